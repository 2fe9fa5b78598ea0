"""Every write to KPI targets (and, later, alerts, forecasts and reports)."""

from decimal import Decimal

from django.db import transaction

from analytics.models import KpiTarget


@transaction.atomic
def target_set(
    *,
    kpi: str,
    comparison: str,
    target: Decimal,
    tolerance_percent: Decimal = Decimal("0"),
    unit="",
) -> KpiTarget:
    """Set the target of a KPI, creating or replacing it."""
    obj, _created = KpiTarget.objects.select_for_update().update_or_create(
        kpi=kpi,
        defaults={
            "comparison": comparison,
            "target": target,
            "tolerance_percent": tolerance_percent,
            "unit": unit,
            "active": True,
        },
    )
    return obj
