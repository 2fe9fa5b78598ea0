from django.db.models import (
    BooleanField,
    Case,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from inventory.models import Product, StockCount, StockCountLine, StockLevel, StockMove, Warehouse


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_by_code(code: str) -> Product | None:
    """A product by what a scanner or a person types: its barcode or its SKU."""
    code = (code or "").strip()
    if not code:
        return None
    return Product.objects.filter(Q(barcode=code) | Q(sku=code.upper())).first()


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()


def stock_level_list() -> QuerySet[StockLevel]:
    """Levels with `available_qty` and `is_low` (available at or below the
    product's reorder point)."""
    return (
        StockLevel.objects.select_related("warehouse", "product")
        .annotate(available_qty=F("on_hand") - F("reserved"))
        .annotate(
            is_low=Case(
                When(available_qty__lte=F("product__reorder_point"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("warehouse__code", "product__sku")
    )


def stock_move_list() -> QuerySet[StockMove]:
    return StockMove.objects.select_related("warehouse", "product", "actor")


def stock_ledger_mismatches() -> QuerySet[StockLevel]:
    """Levels whose on-hand differs from the sum of their moves (should be none)."""
    return (
        StockLevel.objects.select_related("warehouse", "product")
        .annotate(ledger=Coalesce(Sum("moves__quantity"), Value(0), output_field=IntegerField()))
        .exclude(on_hand=F("ledger"))
        .order_by("pk")
    )


def stock_count_list() -> QuerySet[StockCount]:
    return StockCount.objects.select_related(
        "warehouse", "opened_by", "submitted_by", "approved_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=StockCountLine.objects.select_related("product", "count").order_by(
                "product__sku"
            ),
        )
    )
