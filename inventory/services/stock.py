"""Stock: receipts, adjustments, transfers, reservations and consumption.

Rules kept here (and backed by CHECK constraints on StockLevel):
- every change of `on_hand` writes one StockMove, so the ledger always sums
  to the level;
- nothing ever takes stock that is reserved for an order: decrements are
  conditional updates (`... WHERE on_hand - q >= reserved`);
- reserving is a single conditional update (`reserved + q <= on_hand`), never
  a read-check-write in Python;
- where more than one level is locked, locks are taken in primary-key order.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.errors import DomainError
from inventory.lock_objects import stock_levels_for_update
from inventory.models import Product, StockLevel, StockMove, Warehouse
from inventory.signals import stock_received

COST_PLACES = Decimal("0.0001")
Kind = StockMove.Kind

# Kinds an adjustment may carry, and the sign each must have (None: either).
ADJUSTMENT_SIGNS = {
    Kind.ADJUSTMENT: None,
    Kind.COUNT_CORRECTION: None,
    Kind.SCRAP: -1,
    Kind.REPAIR_CONSUMPTION: -1,
    Kind.RETURN: +1,
}


class StockInvalid(DomainError):
    status_code = 400
    code = "invalid"


class InsufficientStock(DomainError):
    status_code = 409
    code = "insufficient_stock"


def stock_level_get(*, warehouse: Warehouse, product: Product) -> StockLevel:
    """The level of a product in a warehouse, created empty the first time."""
    level, _created = StockLevel.objects.get_or_create(warehouse=warehouse, product=product)
    return level


def _record(
    level: StockLevel,
    *,
    kind: str,
    quantity: int,
    unit_cost: Decimal,
    reference: str,
    note: str,
    actor,
) -> StockMove:
    """Write the ledger row of a change already applied to the (locked) level."""
    level.refresh_from_db(fields=["on_hand", "reserved"])
    return StockMove.objects.create(
        stock_level=level,
        warehouse_id=level.warehouse_id,
        product_id=level.product_id,
        kind=kind,
        quantity=quantity,
        unit_cost=unit_cost,
        on_hand_after=level.on_hand,
        reference=reference[:60],
        note=note[:255],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _check_quantity(quantity) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise StockInvalid(_("Enter a whole number greater than zero."), field="quantity")
    return quantity


def stock_receipt_announce(*, warehouse_id: int, product_id: int, quantity: int) -> None:
    """Tell receivers (backorder filling) that units became available, once
    the transaction commits. For units a receipt took in unannounced (see
    stock_receive's `announce`) when they are released for sale."""
    # robust: what receivers do (fill backorders) must not fail the receipt.
    transaction.on_commit(
        lambda: stock_received.send(
            sender=StockLevel,
            warehouse_id=warehouse_id,
            product_id=product_id,
            quantity=quantity,
        ),
        robust=True,
    )


def _announce_receipt(level: StockLevel, quantity: int) -> None:
    stock_receipt_announce(
        warehouse_id=level.warehouse_id, product_id=level.product_id, quantity=quantity
    )


def _insufficient(level: StockLevel, wanted: int) -> InsufficientStock:
    level.refresh_from_db(fields=["on_hand", "reserved"])
    return InsufficientStock(
        _(
            "Only %(available)s of %(sku)s can be taken from %(warehouse)s "
            "(%(on_hand)s on hand, %(reserved)s reserved); %(wanted)s asked."
        )
        % {
            "available": level.available,
            "sku": level.product.sku,
            "warehouse": level.warehouse.code,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "wanted": wanted,
        },
        field="quantity",
    )


@transaction.atomic
def stock_receive(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    unit_cost: Decimal | None = None,
    reference: str = "",
    note: str = "",
    actor=None,
    kind: str = Kind.RECEIPT,
    announce: bool = True,
) -> StockMove:
    """Goods in. Updates the product's moving-average unit cost.

    The receipt is announced (stock_received, after commit: backorders are
    filled from it) unless `announce` is False - goods not yet free for sale,
    such as returns awaiting inspection; announce them later with
    stock_receipt_announce."""
    quantity = _check_quantity(quantity)
    if unit_cost is not None and unit_cost < 0:
        raise StockInvalid(_("The unit cost cannot be negative."), field="unit_cost")
    level = stock_level_get(warehouse=warehouse, product=product)
    with lock_timeout():
        # Product first, then the level: receipts of one product are serialised
        # so the moving average sees every earlier receipt. NO KEY UPDATE, so
        # the foreign-key checks of concurrent stock moves (KEY SHARE on the
        # product) do not wait on it - a plain FOR UPDATE deadlocks with transfers.
        product = Product.objects.select_for_update(of=("self",), no_key=True).get(pk=product.pk)
        level = stock_levels_for_update([level.pk]).get()
        cost = product.unit_cost if unit_cost is None else unit_cost
        held = StockLevel.objects.filter(product=product).aggregate(total=Sum("on_hand"))["total"]
        held = held or 0
        average = (product.unit_cost * held + cost * quantity) / (held + quantity)
        product.unit_cost = average.quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        product.save(update_fields=["unit_cost", "updated_at"])
        StockLevel.objects.filter(pk=level.pk).update(
            on_hand=F("on_hand") + quantity, updated_at=timezone.now()
        )
        move = _record(
            level,
            kind=kind,
            quantity=quantity,
            unit_cost=cost,
            reference=reference,
            note=note,
            actor=actor,
        )
    if announce:
        _announce_receipt(level, quantity)
    return move


@transaction.atomic
def stock_adjust(
    *,
    warehouse: Warehouse,
    product: Product,
    quantity: int,
    kind: str = Kind.ADJUSTMENT,
    reference: str = "",
    note: str = "",
    actor=None,
) -> StockMove:
    """A signed correction (adjustment, scrap, count correction, return, repair use).

    A decrease may only take unreserved stock.
    """
    if kind not in ADJUSTMENT_SIGNS:
        raise StockInvalid(_("This kind of stock move cannot be entered by hand."), field="kind")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity == 0:
        raise StockInvalid(_("Enter a whole number other than zero."), field="quantity")
    sign = ADJUSTMENT_SIGNS[kind]
    if sign is not None and (quantity > 0) != (sign > 0):
        raise StockInvalid(
            _("A %(kind)s must be a negative quantity.") % {"kind": Kind(kind).label}
            if sign < 0
            else _("A %(kind)s must be a positive quantity.") % {"kind": Kind(kind).label},
            field="quantity",
        )
    if not note and kind in (Kind.ADJUSTMENT, Kind.SCRAP):
        raise StockInvalid(_("Say why the stock changes."), field="note")
    level = stock_level_get(warehouse=warehouse, product=product)
    with lock_timeout():
        level = stock_levels_for_update([level.pk]).get()
        changed = StockLevel.objects.filter(
            pk=level.pk, on_hand__gte=F("reserved") - quantity
        ).update(on_hand=F("on_hand") + quantity, updated_at=timezone.now())
        if not changed:
            raise _insufficient(level, -quantity)
        move = _record(
            level,
            kind=kind,
            quantity=quantity,
            unit_cost=product.unit_cost,
            reference=reference,
            note=note,
            actor=actor,
        )
    if quantity > 0:
        _announce_receipt(level, quantity)
    return move


def transfer_reference() -> str:
    suffix = get_random_string(6, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    return f"TR-{timezone.localdate():%Y%m%d}-{suffix}"


@transaction.atomic
def stock_transfer(
    *,
    product: Product,
    source: Warehouse,
    destination: Warehouse,
    quantity: int,
    reference: str = "",
    note: str = "",
    actor=None,
) -> tuple[StockMove, StockMove]:
    """Move unreserved units between warehouses: one move out, one move in."""
    quantity = _check_quantity(quantity)
    if source.pk == destination.pk:
        raise StockInvalid(_("Choose two different warehouses."), field="to_warehouse")
    out_level = stock_level_get(warehouse=source, product=product)
    in_level = stock_level_get(warehouse=destination, product=product)
    reference = reference or transfer_reference()
    with lock_timeout():
        locked = {lvl.pk: lvl for lvl in stock_levels_for_update([out_level.pk, in_level.pk])}
        out_level, in_level = locked[out_level.pk], locked[in_level.pk]
        now = timezone.now()
        taken = StockLevel.objects.filter(
            pk=out_level.pk, on_hand__gte=F("reserved") + quantity
        ).update(on_hand=F("on_hand") - quantity, updated_at=now)
        if not taken:
            raise _insufficient(out_level, quantity)
        StockLevel.objects.filter(pk=in_level.pk).update(
            on_hand=F("on_hand") + quantity, updated_at=now
        )
        common = {
            "unit_cost": product.unit_cost,
            "reference": reference,
            "note": note,
            "actor": actor,
        }
        moved_out = _record(out_level, kind=Kind.TRANSFER_OUT, quantity=-quantity, **common)
        moved_in = _record(in_level, kind=Kind.TRANSFER_IN, quantity=quantity, **common)
    _announce_receipt(in_level, quantity)
    return moved_out, moved_in


def stock_reserve(*, level_id: int, quantity: int) -> bool:
    """Reserve `quantity` units of a level if that many are available.

    One conditional UPDATE: concurrent callers can never reserve more than is
    on hand, and no lock is held beyond the statement. Returns whether it did.
    """
    _check_quantity(quantity)
    return (
        StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + quantity).update(
            reserved=F("reserved") + quantity, updated_at=timezone.now()
        )
        == 1
    )


def stock_release(*, level_id: int, quantity: int) -> None:
    """Give back reserved units (a cancelled order, a changed allocation)."""
    _check_quantity(quantity)
    released = StockLevel.objects.filter(pk=level_id, reserved__gte=quantity).update(
        reserved=F("reserved") - quantity, updated_at=timezone.now()
    )
    if not released:
        raise InsufficientStock(_("Cannot release more than is reserved."), field="quantity")


@transaction.atomic
def stock_consume(
    *, level_id: int, quantity: int, reference: str = "", actor=None, kind: str = Kind.SHIPMENT
) -> StockMove:
    """Reserved units leave the warehouse (shipped): on hand and reserved both drop."""
    _check_quantity(quantity)
    with lock_timeout():
        level = stock_levels_for_update([level_id]).select_related("product").get()
        taken = StockLevel.objects.filter(pk=level_id, reserved__gte=quantity).update(
            on_hand=F("on_hand") - quantity,
            reserved=F("reserved") - quantity,
            updated_at=timezone.now(),
        )
        if not taken:
            raise InsufficientStock(_("Cannot ship more than is reserved."), field="quantity")
        return _record(
            level,
            kind=kind,
            quantity=-quantity,
            unit_cost=level.product.unit_cost,
            reference=reference,
            note="",
            actor=actor,
        )


def stock_move_enter(
    *,
    kind,
    product,
    warehouse,
    quantity,
    actor,
    to_warehouse=None,
    unit_cost=None,
    reference="",
    note="",
) -> list[StockMove]:
    """Route one entered stock move to its service."""
    common = {"reference": reference, "note": note, "actor": actor}
    if kind == "receipt":
        return [
            stock_receive(
                warehouse=warehouse,
                product=product,
                quantity=quantity,
                unit_cost=unit_cost,
                **common,
            )
        ]
    if kind == "transfer":
        return list(
            stock_transfer(
                product=product,
                source=warehouse,
                destination=to_warehouse,
                quantity=quantity,
                **common,
            )
        )
    return [
        stock_adjust(warehouse=warehouse, product=product, quantity=quantity, kind=kind, **common)
    ]
