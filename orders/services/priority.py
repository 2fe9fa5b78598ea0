"""Order priority: who is served first when stock is short.

score = urgency weight x urgency + tier weight x tier value + margin weight x margin
- urgency: 0 when the promised date is 10+ days away, up to 10 when due or late;
- tier: standard 0, silver 1, gold 2, VIP 3;
- margin: (total - cost) / total x 10.
The weights are settings (ORDER_PRIORITY_WEIGHTS).
"""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

TIER_VALUE = {"standard": 0, "silver": 1, "gold": 2, "vip": 3}


def priority_score(*, promised_date, tier: str, total: Decimal, cost: Decimal) -> Decimal:
    weights = settings.ORDER_PRIORITY_WEIGHTS
    urgency = 0
    if promised_date is not None:
        days = (promised_date - timezone.localdate()).days
        urgency = max(0, min(10, 10 - days))
    margin = (total - cost) / total * 10 if total > 0 else Decimal("0")
    score = (
        Decimal(str(weights["urgency"])) * urgency
        + Decimal(str(weights["tier"])) * TIER_VALUE.get(tier, 0)
        + Decimal(str(weights["margin"])) * margin
    )
    return score.quantize(Decimal("0.001"))
