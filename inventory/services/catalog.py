"""Every write to products and warehouses goes through here."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from erp.core.updates import fields_update
from inventory.models import Product


class ProductInvalid(DomainError):
    status_code = 400
    code = "invalid"


def gtin_is_valid(code: str) -> bool:
    """EAN-8/UPC-A/EAN-13/GTIN-14 check digit (GS1 mod-10)."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


@transaction.atomic
def product_create(
    *,
    sku: str,
    name: str,
    barcode: str | None = None,
    unit: str = Product.Unit.PIECE,
    category: str = "",
    weight_kg: Decimal = Decimal("0"),
    volume_m3: Decimal = Decimal("0"),
    list_price: Decimal = Decimal("0"),
    unit_cost: Decimal = Decimal("0"),
    currency: str | None = None,
    reorder_point: int = 0,
    safety_stock: int = 0,
    reorder_quantity: int = 0,
) -> Product:
    sku = (sku or "").strip().upper()
    if not sku:
        raise ProductInvalid(_("This field may not be blank."), field="sku")
    if Product.objects.filter(sku=sku).exists():
        raise ProductInvalid(_("A product with this SKU exists already."), field="sku")
    barcode = (barcode or "").strip() or None
    if barcode is not None:
        if not gtin_is_valid(barcode):
            raise ProductInvalid(
                _("Enter a valid EAN-13/GTIN barcode (digits with a correct check digit)."),
                field="barcode",
            )
        if Product.objects.filter(barcode=barcode).exists():
            raise ProductInvalid(_("Another product has this barcode."), field="barcode")
    if list_price < 0 or unit_cost < 0:
        raise ProductInvalid(_("Prices cannot be negative."), field="list_price")
    try:
        # The checks above give clear messages; the unique constraints guard
        # against two requests creating the same SKU or barcode at once.
        with transaction.atomic():
            return Product.objects.create(
                sku=sku,
                name=name.strip(),
                barcode=barcode,
                unit=unit,
                category=category.strip(),
                weight_kg=weight_kg,
                volume_m3=volume_m3,
                list_price=list_price,
                unit_cost=unit_cost,
                currency=currency or settings.DEFAULT_CURRENCY,
                reorder_point=reorder_point,
                safety_stock=safety_stock,
                reorder_quantity=reorder_quantity,
            )
    except IntegrityError:
        field = "sku" if Product.objects.filter(sku=sku).exists() else "barcode"
        raise ProductInvalid(
            _("A product with this SKU or barcode exists already."), field=field
        ) from None


@transaction.atomic
def warehouse_create(
    *,
    code: str,
    name: str,
    kind: str,
    city: str,
    latitude: Decimal,
    longitude: Decimal,
    province: str = "",
    address: str = "",
):
    from inventory.models import Warehouse

    code = code.strip().upper()
    if Warehouse.objects.filter(code=code).exists():
        raise ProductInvalid(_("A warehouse with this code exists already."), field="code")
    if not (-90 <= latitude <= 90) or not (-180 <= longitude <= 180):
        raise ProductInvalid(_("Coordinates are out of range."), field="latitude")
    return Warehouse.objects.create(
        code=code,
        name=name,
        kind=kind,
        city=city,
        province=province,
        address=address,
        latitude=latitude,
        longitude=longitude,
    )


PRODUCT_EDITABLE = {
    "name",
    "barcode",
    "unit",
    "category",
    "weight_kg",
    "volume_m3",
    "list_price",
    "reorder_point",
    "safety_stock",
    "reorder_quantity",
    "active",
}
WAREHOUSE_EDITABLE = {
    "name",
    "kind",
    "province",
    "city",
    "address",
    "latitude",
    "longitude",
    "active",
}


@transaction.atomic
def product_update(*, product: Product, **changes) -> Product:
    """Change a product's details. Its cost follows receipts, never an edit."""
    if "barcode" in changes:
        barcode = (changes["barcode"] or "").strip() or None
        if barcode is not None and not gtin_is_valid(barcode):
            raise ProductInvalid(
                _("Enter a valid EAN-13/GTIN barcode (digits with a correct check digit)."),
                field="barcode",
            )
        if barcode and Product.objects.filter(barcode=barcode).exclude(pk=product.pk).exists():
            raise ProductInvalid(_("Another product has this barcode."), field="barcode")
        changes["barcode"] = barcode
    product = Product.objects.select_for_update().get(pk=product.pk)
    return fields_update(product, changes, allowed=PRODUCT_EDITABLE)


@transaction.atomic
def warehouse_update(*, warehouse, **changes):
    from inventory.models import Warehouse

    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    return fields_update(warehouse, changes, allowed=WAREHOUSE_EDITABLE)
