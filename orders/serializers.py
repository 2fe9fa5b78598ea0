from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inventory.models import Product, Warehouse
from orders.models import Order, OrderEvent, OrderLine, Reservation, SalesChannel
from orders.services import LineInput


class SalesChannelSerializer(serializers.ModelSerializer):
    default_warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SalesChannel
        fields = [
            "code",
            "name",
            "kind",
            "default_warehouse",
            "auto_confirm",
            "allow_backorder",
            "active",
        ]
        read_only_fields = fields


class SalesChannelWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=SalesChannel.Kind.choices)
    default_warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False, allow_null=True
    )
    auto_confirm = serializers.BooleanField(default=False)
    allow_backorder = serializers.BooleanField(default=False)
    active = serializers.BooleanField(required=False)


class CustomerRefSerializer(serializers.Serializer):
    """An existing customer by code, or the buyer's name with phone and/or e-mail."""

    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("code"):
            return attrs
        if not attrs.get("name"):
            raise serializers.ValidationError({"name": [_("Give the customer's name or code.")]})
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError(
                {"phone": [_("Give a phone number or an e-mail address.")]}
            )
        return attrs


class ShippingAddressSerializer(serializers.Serializer):
    recipient = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=32)
    province = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=50)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    street = serializers.CharField(max_length=255)
    postcode = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


class OrderLineInputSerializer(serializers.Serializer):
    sku = serializers.SlugRelatedField(
        slug_field="sku",
        queryset=Product.objects.filter(active=True),
        error_messages={"does_not_exist": _("Unknown SKU {value}.")},
    )
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )

    def validate(self, attrs):
        if attrs["discount"] > attrs["unit_price"] * attrs["quantity"]:
            raise serializers.ValidationError(
                {"discount": [_("The discount cannot exceed the line's value.")]}
            )
        return attrs


class OrderCreateSerializer(serializers.Serializer):
    channel = serializers.SlugRelatedField(slug_field="code", queryset=SalesChannel.objects.all())
    external_ref = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    customer = CustomerRefSerializer()
    shipping_address = ShippingAddressSerializer()
    promised_date = serializers.DateField(required=False, allow_null=True, default=None)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="CNY")
    shipping_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    tax_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=500)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    campaign_code = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="The code of the marketing campaign the order answers (e.g. CP-202611-001); "
        "its revenue counts there. An unknown code is refused (400, field campaign_code).",
    )

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        data["lines"] = [
            LineInput(
                product=line["sku"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount=line["discount"],
            )
            for line in data["lines"]
        ]
        return data


class OrderActionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReservationSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="stock_level.warehouse.code")

    class Meta:
        model = Reservation
        fields = ["warehouse", "quantity", "status"]


class OrderLineSerializer(serializers.ModelSerializer):
    reservations = ReservationSerializer(many=True, read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "line_no",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "discount",
            "line_total",
            "quantity_reserved",
            "quantity_backordered",
            "quantity_shipped",
            "quantity_returned",
            "reservations",
        ]


class OrderEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = OrderEvent
        fields = [
            "kind",
            "from_status",
            "to_status",
            "reason",
            "by",
            "visible_to_customer",
            "created_at",
        ]


class OrderSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code")
    customer = serializers.SerializerMethodField()
    at_risk = serializers.BooleanField(read_only=True)
    tracking_url = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "payment_status",
            "channel",
            "external_ref",
            "customer",
            "shipping_address",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "placed_at",
            "promised_date",
            "priority_score",
            "at_risk",
            "tracking_url",
            "lines",
        ]
        read_only_fields = fields

    def get_customer(self, order) -> dict:
        return {"code": order.customer.code, "name": order.customer.name}

    def get_tracking_url(self, order) -> str:
        path = f"/track/{order.tracking_token}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class OrderDetailSerializer(OrderSerializer):
    events = OrderEventSerializer(many=True, read_only=True)
    campaign_code = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "campaign_code", "events"]
        read_only_fields = fields

    def get_campaign_code(self, order) -> str | None:
        # Read only when the order has one: no query for the others.
        return order.campaign.code if order.campaign_id else None


class OrderListSerializer(OrderSerializer):
    class Meta(OrderSerializer.Meta):
        fields = [f for f in OrderSerializer.Meta.fields if f != "lines"]
        read_only_fields = fields


class BulkOrdersSerializer(serializers.Serializer):
    orders = serializers.ListField(child=serializers.DictField(), allow_empty=False, max_length=500)
