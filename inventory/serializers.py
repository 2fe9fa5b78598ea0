from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inventory.models import Product, StockCount, StockCountLine, StockLevel, StockMove, Warehouse


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "barcode",
            "unit",
            "category",
            "weight_kg",
            "volume_m3",
            "currency",
            "unit_cost",
            "list_price",
            "reorder_point",
            "safety_stock",
            "reorder_quantity",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductCreateSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    barcode = serializers.CharField(max_length=14, required=False, allow_blank=True)
    unit = serializers.ChoiceField(choices=Product.Unit.choices, default=Product.Unit.PIECE)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    weight_kg = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal("0"), default=Decimal("0")
    )
    volume_m3 = serializers.DecimalField(
        max_digits=10, decimal_places=4, min_value=Decimal("0"), default=Decimal("0")
    )
    list_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0"), default=Decimal("0")
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    reorder_point = serializers.IntegerField(min_value=0, default=0)
    safety_stock = serializers.IntegerField(min_value=0, default=0)
    reorder_quantity = serializers.IntegerField(min_value=0, default=0)
    active = serializers.BooleanField(required=False)


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = [
            "code",
            "name",
            "kind",
            "province",
            "city",
            "address",
            "latitude",
            "longitude",
            "active",
        ]
        read_only_fields = fields


class StockLevelSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    available = serializers.IntegerField(source="available_qty", read_only=True)
    reorder_point = serializers.IntegerField(source="product.reorder_point", read_only=True)
    is_low = serializers.BooleanField(read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "warehouse",
            "sku",
            "product_name",
            "on_hand",
            "reserved",
            "available",
            "reorder_point",
            "is_low",
            "updated_at",
        ]
        read_only_fields = fields


class StockMoveSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    by = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "warehouse",
            "sku",
            "quantity",
            "unit_cost",
            "on_hand_after",
            "reference",
            "note",
            "by",
            "created_at",
        ]
        read_only_fields = fields


STOCK_MOVE_INPUT_KINDS = [
    ("receipt", "receipt"),
    ("adjustment", "adjustment"),
    ("scrap", "scrap"),
    ("return", "return"),
    ("transfer", "transfer"),
]


class StockMoveCreateSerializer(serializers.Serializer):
    """A receipt, an adjustment (signed), a scrap (negative), a customer
    return, or a transfer between two warehouses."""

    kind = serializers.ChoiceField(choices=STOCK_MOVE_INPUT_KINDS)
    sku = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    to_warehouse = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False
    )
    quantity = serializers.IntegerField()
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0"), required=False
    )
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["kind"] == "transfer" and "to_warehouse" not in attrs:
            raise serializers.ValidationError({"to_warehouse": [_("Needed for a transfer.")]})
        return attrs


class StockCountLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    expected = serializers.SerializerMethodField()
    moved_during_count = serializers.SerializerMethodField()
    variance = serializers.SerializerMethodField()

    class Meta:
        model = StockCountLine
        fields = [
            "sku",
            "name",
            "expected",
            "counted",
            "moved_during_count",
            "variance",
            "counted_at",
            "correction",
        ]

    def _hidden(self, line) -> bool:
        # Blind: nobody sees the book figures while counting goes on.
        return line.count.blind and line.count.status == StockCount.Status.OPEN

    def get_expected(self, line) -> int | None:
        return None if self._hidden(line) else line.expected

    def get_moved_during_count(self, line) -> int | None:
        return None if self._hidden(line) else line.moved_during_count

    def get_variance(self, line) -> int | None:
        return None if self._hidden(line) else line.variance


class StockCountSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    lines = StockCountLineSerializer(many=True, read_only=True)

    class Meta:
        model = StockCount
        fields = [
            "number",
            "warehouse",
            "status",
            "blind",
            "note",
            "created_at",
            "posted_at",
            "lines",
        ]
        read_only_fields = fields


class StockCountCreateSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    skus = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), many=True, required=False
    )
    blind = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class StockCountEntrySerializer(serializers.Serializer):
    sku = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    counted = serializers.IntegerField(min_value=0)


class StockCountEntriesSerializer(serializers.Serializer):
    lines = StockCountEntrySerializer(many=True, allow_empty=False)


class WarehouseWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Warehouse.Kind.choices, default=Warehouse.Kind.REGIONAL)
    province = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=50)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    active = serializers.BooleanField(required=False)
