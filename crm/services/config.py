"""Rows crm needs before anything runs: a CareRule per registered rule and
default tier thresholds. Created where missing, never overwritten (staff
change them)."""

from decimal import Decimal

from crm.hooks import CARE_RULES
from crm.models import CareRule, Customer, TierThreshold

# Spend and orders in the last 12 months a tier needs by default.
DEFAULT_TIER_THRESHOLDS = {
    Customer.Tier.SILVER: (Decimal("2000"), 2),
    Customer.Tier.GOLD: (Decimal("10000"), 5),
    Customer.Tier.VIP: (Decimal("50000"), 10),
}


def crm_defaults_sync(sender=None, using="default", **kwargs) -> None:
    for code, spec in CARE_RULES.items():
        CareRule.objects.using(using).get_or_create(
            code=code,
            defaults={
                "enabled": spec.default_enabled,
                "delay_days": spec.default_delay_days,
                "threshold": spec.default_threshold,
            },
        )
    for tier, (spend, orders) in DEFAULT_TIER_THRESHOLDS.items():
        TierThreshold.objects.using(using).get_or_create(
            tier=tier, defaults={"min_spend_12m": spend, "min_orders_12m": orders}
        )
