from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from oauth2_provider.models import AbstractAccessToken
from rest_framework import serializers

from aftersales.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest, Ticket
from inventory.models import Product, Warehouse
from logistics.models import Carrier
from orders.models import Order

# --- Read ----------------------------------------------------------------------


class ReturnLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line.line_no", read_only=True)
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    name = serializers.CharField(source="order_line.name", read_only=True)
    unit_price = serializers.DecimalField(
        source="order_line.unit_price", max_digits=12, decimal_places=2, read_only=True
    )
    replacement_product = serializers.CharField(
        source="replacement_product.sku", default=None, read_only=True
    )
    repairs = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta:
        model = ReturnLine
        fields = [
            "line",
            "sku",
            "name",
            "unit_price",
            "quantity",
            "quantity_received",
            "reason",
            "condition",
            "disposition",
            "inspection_note",
            "replacement_product",
            "repairs",
        ]
        read_only_fields = fields


class ReturnPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Where to fetch the photo (with the same credentials)"
    )

    class Meta:
        model = ReturnPhoto
        fields = ["id", "url", "caption", "created_at"]
        read_only_fields = fields

    def get_url(self, photo) -> str:
        return reverse(
            "return-photo", kwargs={"number": photo.request.number, "photo_id": photo.pk}
        )


class ReturnEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default="", read_only=True)

    class Meta:
        model = ReturnEvent
        fields = ["created_at", "from_status", "to_status", "reason", "actor"]
        read_only_fields = fields


class ReturnRequestSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    ticket = serializers.CharField(source="ticket.number", default=None, read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", default=None, read_only=True)
    replacement_order = serializers.CharField(
        source="replacement_order.number", default=None, read_only=True
    )
    currency = serializers.CharField(source="order.currency", read_only=True)
    units = serializers.IntegerField(read_only=True, default=None)
    units_received = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = ReturnRequest
        fields = [
            "number",
            "kind",
            "status",
            "order",
            "customer",
            "customer_name",
            "ticket",
            "reason",
            "units",
            "units_received",
            "warehouse",
            "receive_into",
            "currency",
            "refund_amount",
            "price_difference",
            "replacement_order",
            "requested_at",
            "decided_at",
            "received_at",
            "inspected_at",
            "completed_at",
        ]
        read_only_fields = fields


class RefundRowSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    reason = serializers.CharField()
    reference = serializers.CharField()
    refunded_at = serializers.DateTimeField()


class ReturnRequestDetailSerializer(ReturnRequestSerializer):
    return_carrier = serializers.CharField(
        source="return_carrier.code", default=None, read_only=True
    )
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)
    lines = ReturnLineSerializer(many=True, read_only=True)
    photos = ReturnPhotoSerializer(many=True, read_only=True)
    events = ReturnEventSerializer(many=True, read_only=True)
    refunds = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ReturnRequestSerializer.Meta):
        fields = [
            *ReturnRequestSerializer.Meta.fields,
            "rejection_reason",
            "decided_by",
            "return_carrier",
            "return_tracking_number",
            "allowed_transitions",
            "lines",
            "photos",
            "refunds",
            "events",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, rma) -> list[str]:
        from aftersales.services.returns import return_allowed_targets

        return sorted(return_allowed_targets(rma))

    @staticmethod
    def _refunds(rma):
        return rma.order.refunds.filter(reference=rma.number).order_by("refunded_at", "pk")

    @extend_schema_field(RefundRowSerializer(many=True))
    def get_refunds(self, rma) -> list[dict]:
        return RefundRowSerializer(self._refunds(rma), many=True).data


# --- Write ---------------------------------------------------------------------


class ReturnLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, help_text="The order's line number")
    quantity = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    condition = serializers.ChoiceField(
        choices=ReturnLine.Condition.choices, required=False, allow_blank=True, default=""
    )
    replacement_product = serializers.SlugRelatedField(
        slug_field="sku",
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text="Exchanges only: SKU of the goods wanted instead (default: the same product)",
    )


class ReturnCreateSerializer(serializers.Serializer):
    order = serializers.SlugRelatedField(
        slug_field="number", queryset=Order.objects.all(), help_text="Order number"
    )
    kind = serializers.ChoiceField(choices=ReturnRequest.Kind.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(
        # `system` tickets are opened by the suite itself, never on request.
        choices=[c for c in Ticket.Channel.choices if c[0] != Ticket.Channel.SYSTEM],
        required=False,
        help_text="Where the request came from (the ticket's channel); default `api` for an "
        "integration, `phone` for staff",
    )
    ticket = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Ticket.objects.all(),
        required=False,
        allow_null=True,
        help_text="An existing ticket of the order's customer to link (staff: one they may "
        "see); without one a return/exchange ticket is opened",
    )
    lines = ReturnLineInputSerializer(many=True, allow_empty=False)
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=10,
        write_only=True,
        help_text="At most 10 JPEG, PNG or WebP images of at most 10 MB each",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not isinstance(request.auth, AbstractAccessToken):
            from aftersales.selectors import tickets_visible_to

            # Staff link only tickets they may see; one they may not is "not found".
            self.fields["ticket"].queryset = tickets_visible_to(request.user, Ticket.objects.all())


class ReturnApproveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReturnLabelSerializer(serializers.Serializer):
    carrier = serializers.SlugRelatedField(
        slug_field="code", queryset=Carrier.objects.filter(active=True)
    )
    tracking_number = serializers.CharField(max_length=50)


class ReturnReceiveLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The order's line number")
    quantity = serializers.IntegerField(min_value=0)


class ReturnReceiveSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.filter(active=True)
    )
    receive_into = serializers.ChoiceField(choices=ReturnRequest.ReceiveInto.choices)
    lines = ReturnReceiveLineSerializer(
        many=True,
        required=False,
        help_text="Units that arrived per line; leave out when everything requested arrived",
    )


class ReturnInspectLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The order's line number")
    disposition = serializers.ChoiceField(choices=ReturnLine.Disposition.choices)
    condition = serializers.ChoiceField(
        choices=ReturnLine.Condition.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnInspectSerializer(serializers.Serializer):
    lines = ReturnInspectLineSerializer(many=True, allow_empty=False)


class ReturnRefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave out to refund the value of the goods received",
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_amount(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError(_("The amount must be greater than zero."))
        return value
