from decimal import Decimal

from rest_framework import serializers

from inventory.models import Product, Warehouse


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
