from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from oauth2_provider.models import AbstractAccessToken
from rest_framework import serializers

from aftersales.models import RepairEvent, RepairOrder, RepairPart, Ticket
from aftersales.selectors import tickets_visible_to
from crm.models import Customer
from inventory.models import Product, Warehouse
from orders.models import Order, OrderLine


class RepairOrderSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    product = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    technician = serializers.CharField(source="technician.username", default=None, read_only=True)
    ticket = serializers.CharField(source="ticket.number", default=None, read_only=True)
    order = serializers.CharField(source="order_line.order.number", default=None, read_only=True)
    line = serializers.IntegerField(source="order_line.line_no", default=None, read_only=True)

    class Meta:
        model = RepairOrder
        fields = [
            "number",
            "status",
            "customer",
            "customer_name",
            "product",
            "product_name",
            "serial_number",
            "order",
            "line",
            "ticket",
            "technician",
            "purchase_date",
            "warranty_months",
            "warranty_until",
            "in_warranty",
            "warranty_void_reason",
            "currency",
            "covered_amount",
            "charged_amount",
            "reported_at",
            "done_at",
            "returned_at",
        ]
        read_only_fields = fields


class RepairPartSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    stock_move = serializers.IntegerField(source="stock_move_id", read_only=True)
    stock_move_reference = serializers.CharField(source="stock_move.reference", read_only=True)

    class Meta:
        model = RepairPart
        fields = [
            "sku",
            "name",
            "warehouse",
            "quantity",
            "unit_cost",
            "unit_price",
            "stock_move",
            "stock_move_reference",
            "created_at",
        ]
        read_only_fields = fields


class RepairEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default="", read_only=True)

    class Meta:
        model = RepairEvent
        fields = ["created_at", "from_status", "to_status", "reason", "actor"]
        read_only_fields = fields


class RepairOrderDetailSerializer(RepairOrderSerializer):
    parts_warehouse = serializers.CharField(
        source="parts_warehouse.code", default=None, read_only=True
    )
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    parts = RepairPartSerializer(many=True, read_only=True)
    events = RepairEventSerializer(many=True, read_only=True)

    class Meta(RepairOrderSerializer.Meta):
        fields = [
            *RepairOrderSerializer.Meta.fields,
            "fault_description",
            "diagnosis",
            "parts_warehouse",
            "labour_hours",
            "labour_rate",
            "parts_price",
            "parts_cost",
            "labour_amount",
            "total_amount",
            "parts",
            "events",
        ]
        read_only_fields = fields


def _technicians():
    return get_user_model().objects.filter(is_active=True)


class RepairCreateSerializer(serializers.Serializer):
    customer = serializers.SlugRelatedField(
        slug_field="code", queryset=Customer.objects.all(), help_text="Customer code"
    )
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="SKU of the product to repair"
    )
    fault_description = serializers.CharField(max_length=5000)
    serial_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    order = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Order.objects.all(),
        required=False,
        help_text="Order the product was bought with; its placed date is the purchase date.",
    )
    line = serializers.IntegerField(
        min_value=1, required=False, help_text="Line number on the order (with `order`)."
    )
    purchase_date = serializers.DateField(
        required=False, help_text="Without an order: the purchase date (from the receipt)."
    )
    ticket = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Ticket.objects.all(),
        required=False,
        help_text="Ticket the repair belongs to (one you may see; integration tokens may "
        "name any); leave out to open a repair ticket.",
    )
    technician = serializers.SlugRelatedField(
        slug_field="username", queryset=_technicians(), required=False
    )
    parts_warehouse = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Warehouse.objects.all(),
        required=False,
        help_text="Warehouse spare parts come from by default.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not isinstance(request.auth, AbstractAccessToken):
            # A ticket the user may not see is answered like one that does not exist.
            self.fields["ticket"].queryset = tickets_visible_to(request.user, Ticket.objects.all())

    def validate(self, data):
        order, line_no = data.pop("order", None), data.pop("line", None)
        if order is not None and line_no is None:
            raise serializers.ValidationError({"line": _("Give the order's line number.")})
        if line_no is not None and order is None:
            raise serializers.ValidationError({"order": _("Give the order number.")})
        if order is not None:
            order_line = OrderLine.objects.filter(order=order, line_no=line_no).first()
            if order_line is None:
                raise serializers.ValidationError(
                    {
                        "line": _("Order %(number)s has no line %(line)s.")
                        % {"number": order.number, "line": line_no}
                    }
                )
            data["order_line"] = order_line
        return data


class RepairTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RepairOrder.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RepairAssignSerializer(serializers.Serializer):
    technician = serializers.SlugRelatedField(slug_field="username", queryset=_technicians())


class RepairDiagnoseSerializer(serializers.Serializer):
    diagnosis = serializers.CharField(max_length=5000)
    warranty_void_reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Damage the customer caused (a drop, water): the repair is out of warranty.",
    )


class RepairPartInputSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), help_text="SKU of the spare part"
    )
    warehouse = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Warehouse.objects.all(),
        required=False,
        help_text="Leave out to take it from the repair's spare parts warehouse.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class RepairLabourSerializer(serializers.Serializer):
    hours = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text="Total labour hours worked on the repair so far.",
    )


class RepairCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RepairReturnSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )


class RepairCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
