from rest_framework import serializers

from crm.models import Customer, TierThreshold


class TierThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierThreshold
        fields = ["tier", "min_spend_12m", "min_orders_12m"]


class TierThresholdWriteSerializer(serializers.Serializer):
    min_spend_12m = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    min_orders_12m = serializers.IntegerField(min_value=0)


class CustomerTierWriteSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(
        choices=Customer.Tier.choices,
        allow_blank=True,
        help_text='The tier to keep; "" clears it (the computed tier applies again).',
    )
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class CustomerTierSerializer(serializers.ModelSerializer):
    computed_tier = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["code", "tier", "tier_override", "tier_override_reason", "computed_tier"]

    def get_computed_tier(self, customer) -> str | None:
        score = getattr(customer, "score", None) if hasattr(customer, "score") else None
        return score.computed_tier if score else None
