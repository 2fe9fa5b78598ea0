"""Imports of products and stock (see erp.core.imports)."""

from django.utils.translation import gettext_lazy as _

from erp.core.imports import Importer
from inventory.models import Product
from inventory.serializers import ProductCreateSerializer, StockMoveCreateSerializer
from inventory.services import product_create, product_update, stock_receive


def _present(row: dict) -> dict:
    """Empty cells mean "not given" (defaults apply), not "blank"."""
    return {k: v for k, v in row.items() if v != ""}


class ProductImporter(Importer):
    """New SKUs are created; known SKUs are updated with the columns given."""

    key = "products"
    title = _("Import products")
    permission = "inventory.add_product"
    columns = [
        "sku",
        "name",
        "barcode",
        "unit",
        "category",
        "weight_kg",
        "volume_m3",
        "list_price",
        "unit_cost",
        "reorder_point",
        "safety_stock",
        "reorder_quantity",
    ]
    required = ["sku", "name"]
    example = [
        {
            "sku": "TEA-LJ-250",
            "name": "西湖龙井 250g",
            "barcode": "6901234567892",
            "unit": "box",
            "category": "茶叶",
            "weight_kg": "0.300",
            "list_price": "168.00",
            "reorder_point": "20",
        },
    ]

    def write(self, row, *, actor):
        data = _present(row)
        existing = Product.objects.filter(sku=data.get("sku", "").upper()).first()
        serializer = ProductCreateSerializer(data=data, partial=existing is not None)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if existing is None:
            return "created", product_create(**fields).sku
        fields.pop("sku", None)
        fields.pop("unit_cost", None)  # cost follows receipts, never an import
        return "updated", product_update(product=existing, **fields).sku


class StockImporter(Importer):
    """Each row is a receipt into a warehouse (opening stock, deliveries)."""

    key = "stock"
    title = _("Import stock receipts")
    permission = "inventory.add_stockmove"
    columns = ["warehouse", "sku", "quantity", "unit_cost", "reference", "note"]
    required = ["warehouse", "sku", "quantity"]
    example = [
        {
            "warehouse": "SH01",
            "sku": "TEA-LJ-250",
            "quantity": "120",
            "unit_cost": "52.50",
            "reference": "PO-2026-1107",
        }
    ]

    def write(self, row, *, actor):
        serializer = StockMoveCreateSerializer(data={**_present(row), "kind": "receipt"})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["quantity"] <= 0:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"quantity": [_("A receipt needs a quantity above zero.")]})
        move = stock_receive(
            warehouse=data["warehouse"],
            product=data["sku"],
            quantity=data["quantity"],
            unit_cost=data.get("unit_cost"),
            reference=data["reference"],
            note=data["note"],
            actor=actor,
        )
        return "created", f"{move.warehouse.code} {move.product.sku} +{move.quantity}"
