"""Imports and exports of products and stock (see erp.core.imports and
erp.core.transfers). An export has the import's columns first, so it imports again."""

from django.utils.translation import gettext_lazy as _

from erp.core.imports import Importer
from erp.core.transfers import Exporter
from inventory.filters import ProductFilter, StockLevelFilter
from inventory.models import Product
from inventory.selectors import product_list, stock_level_list
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
    domain = "inventory"
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
            active = fields.pop("active", True)  # new products start active
            product = product_create(**fields)
            if not active:
                product = product_update(product=product, active=False)
            return "created", product.sku
        fields.pop("sku", None)
        fields.pop("unit_cost", None)  # cost follows receipts, never an import
        # Only what differs is a change (an exported file imports again as is).
        fields = {k: v for k, v in fields.items() if getattr(existing, k) != v}
        if not fields:
            return "duplicate", existing.sku
        return "updated", product_update(product=existing, **fields).sku


class StockImporter(Importer):
    """Each row is a receipt into a warehouse (opening stock, deliveries)."""

    key = "stock"
    title = _("Import stock receipts")
    permission = "inventory.add_stockmove"
    domain = "inventory"
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
        if data["quantity"] == 0:  # e.g. an exported level with nothing on hand
            return "duplicate", f"{data['warehouse'].code} {data['sku'].sku} +0"
        if data["quantity"] < 0:
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


class ProductExporter(Exporter):
    key = "products"
    title = _("Export products")
    permission = "inventory.view_product"
    domain = "inventory"
    columns = [*ProductImporter.columns, "currency", "active"]
    filterset_class = ProductFilter

    def queryset(self):
        return product_list().order_by("sku")

    def rows(self, queryset):
        for product in queryset.iterator(chunk_size=2000):
            yield {column: getattr(product, column) for column in self.columns}


class StockExporter(Exporter):
    """Stock levels. `quantity` is what is on hand, so importing the file into
    an empty stock books the same levels as receipts; `reserved` and
    `available` are for reading only."""

    key = "stock"
    title = _("Export stock levels")
    permission = "inventory.view_stocklevel"
    domain = "inventory"
    columns = [*StockImporter.columns, "reserved", "available"]
    filterset_class = StockLevelFilter

    def queryset(self):
        return stock_level_list()

    def rows(self, queryset):
        for level in queryset.iterator(chunk_size=2000):
            yield {
                "warehouse": level.warehouse.code,
                "sku": level.product.sku,
                "quantity": level.on_hand,
                "unit_cost": level.product.unit_cost,
                "reference": "EXPORT",
                "note": "",
                "reserved": level.reserved,
                "available": level.on_hand - level.reserved,
            }
