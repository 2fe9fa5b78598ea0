"""Segments over the API: the saved filter, its live count and customers."""

from rest_framework import serializers

from crm.models import Customer, Segment


class SegmentSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "filters", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class SegmentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="The segment filter's query as an object: tier (list), kind, tags (list of "
        "names), account_manager (username), marketing_consent, language, province, segment "
        "(RFM, list), churn_level (list), min_ltv, max_ltv, min_orders, max_orders, "
        "last_order_after, last_order_before (dates), bought_category, bought_within_days, "
        "channel (code). Unknown keys or bad values answer 400 naming the key.",
    )


class SegmentCountSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    consenting = serializers.IntegerField()


class SegmentCustomerSerializer(serializers.ModelSerializer):
    segment = serializers.CharField(source="score.segment", default=None)
    lifetime_value = serializers.DecimalField(
        source="score.lifetime_value", max_digits=16, decimal_places=2, default=None
    )
    orders_count = serializers.IntegerField(source="score.orders_count", default=None)
    last_order_at = serializers.DateTimeField(source="score.last_order_at", default=None)
    churn_level = serializers.CharField(source="score.churn_level", default=None)

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "kind",
            "tier",
            "phone",
            "email",
            "marketing_consent",
            "language",
            "segment",
            "churn_level",
            "lifetime_value",
            "orders_count",
            "last_order_at",
        ]
        read_only_fields = fields


class SevenPSerializer(serializers.Serializer):
    """The 7P analysis of a segment (figures per P; see crm.selectors.segment_seven_p)."""

    profile = serializers.DictField()
    persistency = serializers.DictField()
    profitability = serializers.DictField()
    performance = serializers.DictField()
    prospecting = serializers.DictField()
    product = serializers.DictField()
    promotion = serializers.DictField()
