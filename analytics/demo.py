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
