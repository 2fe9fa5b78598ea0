"""The company's KPI targets: on-time delivery of at least 95%, inventory
turnover within 20% of a 30-day benchmark, and the service targets; the
demo's alerts; and the KPIs' daily rollup over all the demo's history."""

from decimal import Decimal

from analytics.models import KpiTarget
from analytics.services import target_set

K, C = KpiTarget.Kpi, KpiTarget.Comparison
TARGETS = [
    (K.ON_TIME_DELIVERY_RATE, C.AT_LEAST, "95", "0", "%"),
    (K.INVENTORY_TURNOVER_DAYS, C.WITHIN, "30", "20", "d"),
    (K.FILL_RATE, C.AT_LEAST, "98", "0", "%"),
    (K.ORDER_CYCLE_TIME, C.AT_MOST, "72", "0", "h"),
    (K.RETURN_RATE, C.AT_MOST, "5", "0", "%"),
    (K.FIRST_RESPONSE_TIME, C.AT_MOST, "2", "0", "h"),
    (K.RESOLUTION_TIME, C.AT_MOST, "48", "0", "h"),
    (K.CSAT, C.AT_LEAST, "4.5", "0", "/5"),
    (K.BACKORDER_RATE, C.AT_MOST, "5", "0", "%"),
    (K.STOCKOUT_RATE, C.AT_MOST, "3", "0", "%"),
    (K.SLA_COMPLIANCE, C.AT_LEAST, "90", "0", "%"),
    (K.NPS, C.AT_LEAST, "30", "0", ""),
    (K.FREIGHT_COST_PER_ORDER, C.AT_MOST, "15", "0", "CNY"),
    (K.CO2E_PER_ORDER, C.AT_MOST, "1.5", "0", "kg"),
]


def seed(ctx) -> None:
    for kpi, comparison, target, tolerance, unit in TARGETS:
        if KpiTarget.objects.filter(kpi=kpi).exists():
            continue
        target_set(
            kpi=kpi,
            comparison=comparison,
            target=Decimal(target),
            tolerance_percent=Decimal(tolerance),
            unit=unit,
        )
    ctx.report("KPI targets", KpiTarget.objects.count())
    seed_alerts(ctx)
    seed_rollup(ctx)


def seed_rollup(ctx) -> None:
    """Build the KPIs' daily rollup over everything seeded so far (the
    hourly job keeps it up to date from here)."""
    from analytics.services.rollup import rollup_daily

    result = rollup_daily()
    ctx.report("KPI rollup (days)", result["days"])


def seed_alerts(ctx) -> None:
    """Run every alert scan once over the demo's orders, stock, tickets and
    shipments, so the alert list has its T-3, low-stock, SLA and shipment
    alerts, and acknowledge and resolve a few as people would."""
    from analytics.models import Alert
    from analytics.services.lifecycle import alert_acknowledge, alert_resolve
    from analytics.tasks import alert_scan_all

    if Alert.objects.exists():
        ctx.report("alerts", Alert.objects.count(), 0)
        return
    alert_scan_all()
    users = ctx.data["users"]
    for index, alert in enumerate(
        Alert.objects.filter(kind=Alert.Kind.T3_DELIVERY).order_by("pk")[:4]
    ):
        alert_acknowledge(alert=alert, actor=users["clerk"], note="已联系仓库加急处理")
        if index % 2:
            alert_resolve(
                alert=alert, actor=users["clerk"], note="已与客户确认，改为次日发货并告知客户"
            )
    ctx.report("alerts", Alert.objects.count())
