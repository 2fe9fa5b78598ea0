"""The company's KPI targets: on-time delivery of at least 95%, inventory
turnover within 20% of a 30-day benchmark, and the service targets."""

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
