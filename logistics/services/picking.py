"""Pick waves and packing: batch a warehouse's planned shipments into a wave
whose pick list walks the bins in order, confirm what was picked, pack by
scanning each unit, close or cancel the wave.

Every write that touches a shipment's lines holds that shipment's row lock
(shipment_for_update), taken in primary-key order when there are several, so
two scans of the same shipment are serialised and the last one of them sees
every line full and moves the shipment to packed. Where a wave is locked too,
the wave comes first."""

import secrets

from django.db import transaction
from django.db.models import Exists, F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.services import acting_person
from inventory.models import Product, StockLevel
from logistics.models import PickLine, PickWave, Shipment, ShipmentEvent, ShipmentLine
from logistics.services.errors import LogisticsInvalid, ShipmentConflict
from logistics.services.shipments import _record, shipment_for_update, shipment_transition

Status = Shipment.Status
# A wave may close once none of its shipments is still waiting to be packed.
WAVE_PENDING = (Status.PLANNED, Status.PICKING)


def _wave_for_update(wave_id: int) -> PickWave:
    return PickWave.objects.select_for_update(of=("self",)).get(pk=wave_id)


def walk_order(rows: list[dict]) -> list[dict]:
    """Pick-list rows sorted as a picker walks: by bin (rows without a bin
    last), then SKU, then shipment number."""
    return sorted(
        rows, key=lambda r: (r["location_code"] == "", r["location_code"], r["sku"], r["number"])
    )


@transaction.atomic
def wave_create(*, warehouse, shipments=None, actor=None) -> PickWave:
    """A wave of `shipments` (planned, from `warehouse`) or, without them, of
    every planned shipment of the warehouse, oldest first.
    Each shipment moves to picking; its lines become the wave's pick list."""
    every = shipments is None
    if every:
        ids = list(
            Shipment.objects.filter(warehouse=warehouse, status=Status.PLANNED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
    else:
        ids = list(dict.fromkeys(s.pk for s in shipments))
        if not ids:
            raise LogisticsInvalid(_("Choose at least one shipment."), field="shipments")
    with lock_timeout():
        locked = {pk: shipment_for_update(pk) for pk in sorted(ids)}
        if every:
            # Another wave may have taken some since they were listed.
            ids = [pk for pk in ids if locked[pk].status == Status.PLANNED]
        if not ids:
            raise LogisticsInvalid(
                _("%(warehouse)s has no planned shipments to pick.")
                % {"warehouse": warehouse.code},
                field="shipments",
            )
        for pk in ids:
            shipment = locked[pk]
            if shipment.warehouse_id != warehouse.pk:
                raise LogisticsInvalid(
                    _("%(number)s ships from %(other)s, not from %(warehouse)s.")
                    % {
                        "number": shipment.number,
                        "other": shipment.warehouse.code,
                        "warehouse": warehouse.code,
                    },
                    field="shipments",
                )
            if shipment.status != Status.PLANNED:
                raise ShipmentConflict(
                    _("%(number)s is %(status)s; only planned shipments can be picked.")
                    % {"number": shipment.number, "status": Status(shipment.status).label},
                    field="shipments",
                )
        wave = PickWave.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            warehouse=warehouse,
            created_by=acting_person(actor),
        )
        wave.number = f"WV-{timezone.localtime():%Y%m%d}-{wave.pk:05d}"
        wave.save(update_fields=["number"])
        for pk in ids:
            shipment = locked[pk]
            shipment_transition(
                shipment=shipment,
                to_status=Status.PICKING,
                actor=actor,
                reason=_("On pick wave %(wave)s.") % {"wave": wave.number},
            )
        Shipment.objects.filter(pk__in=ids).update(pick_wave=wave)
        PickLine.objects.bulk_create(_pick_lines(wave, warehouse, ids))
    return wave


def _pick_lines(wave, warehouse, shipment_ids) -> list[PickLine]:
    lines = list(
        ShipmentLine.objects.filter(shipment_id__in=shipment_ids).select_related(
            "shipment", "order_line"
        )
    )
    bins = dict(
        StockLevel.objects.filter(
            warehouse=warehouse,
            product_id__in={line.order_line.product_id for line in lines},
            location__isnull=False,
        ).values_list("product_id", "location__code")
    )
    rows = walk_order(
        [
            {
                "line": line,
                "location_code": bins.get(line.order_line.product_id, ""),
                "sku": line.order_line.sku,
                "number": line.shipment.number,
            }
            for line in lines
        ]
    )
    return [
        PickLine(
            wave=wave,
            shipment_line=row["line"],
            location_code=row["location_code"],
            sequence=sequence,
            quantity=row["line"].quantity,
        )
        for sequence, row in enumerate(rows, start=1)
    ]


@transaction.atomic
def pick_confirm(*, line: PickLine, quantity: int, actor=None) -> PickLine:
    """Record how many units of a pick-list row were taken from the bin
    (0 to the row's quantity; a later confirmation replaces an earlier one)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise LogisticsInvalid(_("Give the number of units picked."), field="quantity")
    with lock_timeout():
        # Wave before shipment, as wave_cancel locks them.
        wave = _wave_for_update(line.wave_id)
        shipment = shipment_for_update(line.shipment_line.shipment_id)
        line = PickLine.objects.select_related("shipment_line").get(pk=line.pk)
        if wave.status != PickWave.Status.OPEN:
            raise ShipmentConflict(
                _("Wave %(wave)s is %(status)s.")
                % {"wave": wave.number, "status": wave.get_status_display()},
                field="wave",
            )
        if shipment.status != Status.PICKING:
            raise ShipmentConflict(
                _("%(number)s is %(status)s; its units are no longer picked.")
                % {"number": shipment.number, "status": Status(shipment.status).label},
                field="quantity",
            )
        if not 0 <= quantity <= line.quantity:
            raise LogisticsInvalid(
                _("Between 0 and %(units)s units can be picked here.") % {"units": line.quantity},
                field="quantity",
            )
        packed = line.shipment_line.quantity_packed
        if quantity < packed:
            raise ShipmentConflict(
                _("%(packed)s unit(s) of this line are already packed.") % {"packed": packed},
                field="quantity",
            )
        PickLine.objects.filter(pk=line.pk).update(quantity_picked=quantity)
        ShipmentLine.objects.filter(pk=line.shipment_line_id).update(quantity_picked=quantity)
        if wave.picker_id is None and acting_person(actor):
            wave.picker = actor
            wave.save(update_fields=["picker", "updated_at"])
    line.refresh_from_db()
    return line


def _line_for_code(shipment: Shipment, code: str) -> list[ShipmentLine]:
    lines = list(
        shipment.lines.select_related("order_line__product").order_by("order_line__line_no")
    )
    matches = [
        line
        for line in lines
        if line.order_line.product.barcode == code
        or line.order_line.product.sku.upper() == code.upper()
        or line.order_line.sku.upper() == code.upper()
    ]
    if matches:
        return matches
    product = Product.objects.filter(Q(barcode=code) | Q(sku__iexact=code)).first()
    if product is None:
        raise LogisticsInvalid(
            _("No product has the barcode or SKU %(code)s.") % {"code": code}, field="code"
        )
    raise LogisticsInvalid(
        _("%(sku)s %(name)s is not on shipment %(number)s.")
        % {"sku": product.sku, "name": product.name, "number": shipment.number},
        field="code",
    )


@transaction.atomic
def pack_scan(*, shipment: Shipment, code: str, quantity: int = 1, actor=None) -> ShipmentLine:
    """The packer scans a product's barcode (or types its SKU): `quantity`
    more units of its line go into the box. A scanned unit counts as picked.
    When the last unit of the last line is packed the shipment becomes packed."""
    code = (code or "").strip()
    if not code:
        raise LogisticsInvalid(_("Scan a barcode or type a SKU."), field="code")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise LogisticsInvalid(_("The quantity must be at least 1."), field="quantity")
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
        if shipment.status != Status.PICKING:
            raise ShipmentConflict(
                _("%(number)s is %(status)s; only shipments being picked are packed.")
                % {"number": shipment.number, "status": Status(shipment.status).label},
                field="status",
            )
        matches = _line_for_code(shipment, code)
        # The same product on two order lines: fill them in line order.
        line = next((m for m in matches if m.quantity_packed + quantity <= m.quantity), None)
        if line is None:
            line = matches[0]
            raise ShipmentConflict(
                _(
                    "%(sku)s is packed %(packed)s of %(units)s; %(quantity)s more do not fit "
                    "this shipment."
                )
                % {
                    "sku": line.order_line.sku,
                    "packed": line.quantity_packed,
                    "units": line.quantity,
                    "quantity": quantity,
                },
                field="quantity",
            )
        # Conditional as well as locked: the database never counts past the line.
        updated = ShipmentLine.objects.filter(
            pk=line.pk, quantity_packed__lte=F("quantity") - quantity
        ).update(
            quantity_packed=F("quantity_packed") + quantity,
            quantity_picked=Greatest(F("quantity_picked"), F("quantity_packed") + quantity),
        )
        if not updated:  # pragma: no cover - the lock makes this unreachable
            raise ShipmentConflict(_("The line changed; scan again."), field="quantity")
        line.refresh_from_db(fields=["quantity_packed", "quantity_picked"])
        PickLine.objects.filter(
            shipment_line=line, quantity_picked__lt=line.quantity_picked
        ).update(quantity_picked=line.quantity_picked)
        _record(
            shipment,
            kind=ShipmentEvent.Kind.SCAN,
            source=ShipmentEvent.Source.SCANNER,
            actor=actor,
            visible_to_customer=False,
            location=shipment.warehouse.code,
            description=_("Packed %(quantity)s × %(sku)s (%(packed)s of %(units)s).")
            % {
                "quantity": quantity,
                "sku": line.order_line.sku,
                "packed": line.quantity_packed,
                "units": line.quantity,
            },
        )
        if not shipment.lines.filter(quantity_packed__lt=F("quantity")).exists():
            shipment_transition(
                shipment=shipment,
                to_status=Status.PACKED,
                actor=actor,
                reason=_("Every unit scanned into the box."),
            )
            if shipment.pick_wave_id:
                wave_id = shipment.pick_wave_id
                transaction.on_commit(lambda: wave_close_if_done(wave_id=wave_id), robust=True)
    return line


def wave_close_if_done(*, wave_id: int) -> bool:
    """Close an open wave once none of its shipments waits to be picked or
    packed. Runs after the last pack has committed, as one conditional update
    (no lock held on a shipment, so the wave-before-shipment order stands);
    two last packs at once close it once."""
    pending = Shipment.objects.filter(pick_wave_id=wave_id, status__in=WAVE_PENDING)
    closed = (
        PickWave.objects.filter(pk=wave_id, status=PickWave.Status.OPEN)
        .exclude(Exists(pending))
        .update(status=PickWave.Status.DONE, updated_at=timezone.now())
    )
    return bool(closed)


@transaction.atomic
def wave_close(*, wave: PickWave, actor=None) -> PickWave:
    """Done: every shipment of the wave is packed (or has gone further, or was
    cancelled meanwhile)."""
    with lock_timeout():
        wave = _wave_for_update(wave.pk)
        if wave.status != PickWave.Status.OPEN:
            raise ShipmentConflict(
                _("Wave %(wave)s is %(status)s.")
                % {"wave": wave.number, "status": wave.get_status_display()},
                field="status",
            )
        waiting = list(
            wave.shipments.filter(status__in=WAVE_PENDING)
            .order_by("number")
            .values_list("number", flat=True)
        )
        if waiting:
            raise ShipmentConflict(
                _("Not packed yet: %(numbers)s.") % {"numbers": ", ".join(waiting)},
                field="shipments",
            )
        wave.status = PickWave.Status.DONE
        wave.save(update_fields=["status", "updated_at"])
    return wave


@transaction.atomic
def wave_cancel(*, wave: PickWave, actor=None, reason: str = "") -> PickWave:
    """Call the wave off: its shipments still being picked go back to planned
    (their pick and pack counts reset, their pick-list rows removed so a new
    wave can take them); packed ones stay packed."""
    with lock_timeout():
        wave = _wave_for_update(wave.pk)
        if wave.status != PickWave.Status.OPEN:
            raise ShipmentConflict(
                _("Wave %(wave)s is %(status)s.")
                % {"wave": wave.number, "status": wave.get_status_display()},
                field="status",
            )
        ids = sorted(wave.shipments.filter(status=Status.PICKING).values_list("pk", flat=True))
        why = reason.strip()[:400] or _("Pick wave %(wave)s cancelled.") % {"wave": wave.number}
        for pk in ids:
            shipment = shipment_for_update(pk)
            shipment_transition(
                shipment=shipment, to_status=Status.PLANNED, actor=actor, reason=why
            )
        ShipmentLine.objects.filter(shipment_id__in=ids).update(
            quantity_picked=0, quantity_packed=0
        )
        PickLine.objects.filter(wave=wave, shipment_line__shipment_id__in=ids).delete()
        Shipment.objects.filter(pk__in=ids).update(pick_wave=None)
        wave.status = PickWave.Status.CANCELLED
        wave.save(update_fields=["status", "updated_at"])
    return wave
