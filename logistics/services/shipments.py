"""Shipments: create them from an order's reserved stock, move them through
their transition table, ship (consume the reservations), deliver."""

import secrets
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.services import acting_person
from logistics.models import (
    SHIPMENT_IN_WAREHOUSE,
    SHIPMENT_ON_THE_ROAD,
    SHIPMENT_TRANSITIONS,
    ProofOfDelivery,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
)
from logistics.routing import haversine_metres
from logistics.services.errors import (
    LogisticsInvalid,
    ShipmentConflict,
    ShipmentTransitionNotAllowed,
)
from logistics.signals import shipment_status_changed
from orders.geo import CITY_COORDINATES
from orders.lock_objects import lines_for_update, order_for_update
from orders.models import Order, Reservation
from orders.services import order_deliver, order_ship_units, order_transition

Status = Shipment.Status
ORDER_SHIPPABLE = (
    Order.Status.CONFIRMED,
    Order.Status.IN_FULFILMENT,
    Order.Status.PARTIALLY_SHIPPED,
)
# Road distance is longer than the great circle; a common planning factor.
CIRCUITY = {"road": Decimal("1.25"), "courier": Decimal("1.25"), "rail": Decimal("1.2")}


def shipment_for_update(shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("order", "warehouse", "carrier")
        .get(pk=shipment_id)
    )


def unassigned_units(order: Order) -> dict[tuple[int, int], int]:
    """{(order line id, warehouse id): units} reserved for the order and not yet
    on a shipment that is still in the warehouse."""
    reserved = defaultdict(int)
    for line_id, warehouse_id, quantity in Reservation.objects.filter(
        order_line__order=order, status=Reservation.Status.ACTIVE
    ).values_list("order_line_id", "stock_level__warehouse_id", "quantity"):
        reserved[(line_id, warehouse_id)] += quantity
    for line_id, warehouse_id, quantity in ShipmentLine.objects.filter(
        shipment__order=order, shipment__status__in=SHIPMENT_IN_WAREHOUSE
    ).values_list("order_line_id", "shipment__warehouse_id", "quantity"):
        reserved[(line_id, warehouse_id)] -= quantity
    return {key: units for key, units in reserved.items() if units > 0}


def destination_of(order: Order) -> tuple[str, Decimal | None, Decimal | None]:
    """The city and coordinates a shipment of the order goes to: the address's
    own coordinates if it has them, else the city's centre."""
    address = order.shipping_address or {}
    city = str(address.get("city", ""))[:50]
    lat, lon = address.get("latitude"), address.get("longitude")
    if lat is not None and lon is not None:
        try:
            return city, Decimal(str(lat)), Decimal(str(lon))
        except ArithmeticError:
            pass
    if city in CITY_COORDINATES:
        lat, lon = CITY_COORDINATES[city]
        return city, Decimal(str(lat)), Decimal(str(lon))
    return city, None, None


@transaction.atomic
def shipment_create(
    *,
    order: Order,
    warehouse=None,
    lines: list[tuple[int, int]] | None = None,
    carrier=None,
    planned_pickup_at=None,
    window_start=None,
    planned_delivery_at=None,
    temperature_range: tuple | None = None,
    humidity_range: tuple | None = None,
    destination: tuple | None = None,
    note: str = "",
    actor=None,
) -> Shipment:
    """A shipment of `lines` - (order line number, units) pairs - from one
    warehouse, out of what is reserved there and not on another shipment yet.
    Without `lines` it takes all of that. Without `warehouse`, the one
    warehouse holding the order's unshipped reserved stock (400 if several)."""
    with lock_timeout():
        order = order_for_update(order.pk)
        if order.status not in ORDER_SHIPPABLE:
            raise ShipmentConflict(
                _("An order that is %(status)s cannot be shipped.")
                % {"status": Order.Status(order.status).label},
                field="order",
            )
        order_lines = {line.line_no: line for line in lines_for_update(order.pk)}
        free = unassigned_units(order)
        if warehouse is None:
            warehouse = _only_warehouse(order, free)
        if lines is None:
            wanted = [(line, free.get((line.pk, warehouse.pk), 0)) for line in order_lines.values()]
            wanted = [(line, units) for line, units in wanted if units > 0]
            if not wanted:
                raise ShipmentConflict(
                    _("Nothing reserved for %(order)s at %(warehouse)s is left to ship.")
                    % {"order": order.number, "warehouse": warehouse.code},
                    field="warehouse",
                )
        else:
            wanted = _chosen_lines(lines, order_lines, free, warehouse)
        _check_ranges(temperature_range, "temperature")
        _check_ranges(humidity_range, "humidity")
        if window_start and planned_delivery_at and window_start >= planned_delivery_at:
            raise LogisticsInvalid(
                _("The delivery window must end after it starts."), field="planned_delivery_at"
            )
        city, lat, lon = destination if destination else destination_of(order)
        shipment = Shipment.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            order=order,
            warehouse=warehouse,
            carrier=carrier,
            destination_city=city,
            destination_latitude=lat,
            destination_longitude=lon,
            planned_pickup_at=planned_pickup_at,
            window_start=window_start,
            planned_delivery_at=planned_delivery_at,
            eta=planned_delivery_at,
            temperature_min=(temperature_range or (None, None))[0],
            temperature_max=(temperature_range or (None, None))[1],
            humidity_min=(humidity_range or (None, None))[0],
            humidity_max=(humidity_range or (None, None))[1],
            note=note[:500],
            created_by=acting_person(actor),
        )
        shipment.number = f"SH-{timezone.localtime():%Y%m%d}-{shipment.pk:05d}"
        weight = volume = Decimal("0")
        rows = []
        for line, units in wanted:
            rows.append(ShipmentLine(shipment=shipment, order_line=line, quantity=units))
            weight += line.product.weight_kg * units
            volume += line.product.volume_m3 * units
        ShipmentLine.objects.bulk_create(rows)
        shipment.weight_kg, shipment.volume_m3 = weight, volume
        shipment.save(update_fields=["number", "weight_kg", "volume_m3"])
        _record(
            shipment,
            kind=ShipmentEvent.Kind.STATUS,
            to_status=Status.PLANNED,
            description=_("Shipment created from %(warehouse)s with %(units)s unit(s).")
            % {"warehouse": warehouse.code, "units": sum(u for _l, u in wanted)},
            actor=actor,
        )
        if order.status == Order.Status.CONFIRMED:
            order_transition(
                order=order,
                to_status=Order.Status.IN_FULFILMENT,
                actor=actor,
                reason=_("Shipment %(number)s planned.") % {"number": shipment.number},
            )
    return shipment


def _only_warehouse(order: Order, free: dict):
    from inventory.models import Warehouse

    ids = sorted({warehouse_id for (_line, warehouse_id) in free})
    if len(ids) == 1:
        return Warehouse.objects.get(pk=ids[0])
    if not ids:
        raise ShipmentConflict(
            _("Nothing reserved for %(order)s is left to ship.") % {"order": order.number},
            field="order",
        )
    codes = ", ".join(Warehouse.objects.filter(pk__in=ids).values_list("code", flat=True))
    raise LogisticsInvalid(
        _("The order's stock is reserved in %(codes)s; choose the warehouse.") % {"codes": codes},
        field="warehouse",
    )


def _chosen_lines(lines, order_lines, free, warehouse):
    wanted, seen = [], set()
    if not lines:
        raise LogisticsInvalid(_("Choose at least one line to ship."), field="lines")
    for index, (line_no, units) in enumerate(lines):
        line = order_lines.get(line_no)
        if line is None:
            raise LogisticsInvalid(
                _("The order has no line %(line)s.") % {"line": line_no},
                field=f"lines[{index}].line",
            )
        if line_no in seen:
            raise LogisticsInvalid(
                _("Line %(line)s is listed twice.") % {"line": line_no},
                field=f"lines[{index}].line",
            )
        seen.add(line_no)
        if units is None or units <= 0:
            raise LogisticsInvalid(
                _("The quantity must be at least 1."), field=f"lines[{index}].quantity"
            )
        available = free.get((line.pk, warehouse.pk), 0)
        if units > available:
            raise ShipmentConflict(
                _(
                    "Line %(line)s (%(sku)s) has %(available)s unit(s) reserved at "
                    "%(warehouse)s and not on another shipment; %(units)s asked."
                )
                % {
                    "line": line_no,
                    "sku": line.sku,
                    "available": available,
                    "warehouse": warehouse.code,
                    "units": units,
                },
                field=f"lines[{index}].quantity",
            )
        wanted.append((line, units))
    return wanted


def _check_ranges(bounds, name):
    if not bounds:
        return
    low, high = bounds
    if low is not None and high is not None and low >= high:
        raise LogisticsInvalid(
            _("The lowest allowed value must be below the highest."), field=f"{name}_min"
        )


@transaction.atomic
def shipments_create_for_order(*, order: Order, actor=None, **options) -> list[Shipment]:
    """One shipment per warehouse holding unshipped reserved units of the order."""
    from inventory.models import Warehouse

    warehouse_ids = sorted({wh for (_line, wh) in unassigned_units(order)})
    if not warehouse_ids:
        raise ShipmentConflict(
            _("Nothing reserved for %(order)s is left to ship.") % {"order": order.number},
            field="order",
        )
    return [
        shipment_create(order=order, warehouse=warehouse, actor=actor, **options)
        for warehouse in Warehouse.objects.filter(pk__in=warehouse_ids).order_by("pk")
    ]


def _record(shipment, *, kind, actor=None, **fields) -> ShipmentEvent:
    fields.setdefault("occurred_at", timezone.now())
    fields.setdefault("source", ShipmentEvent.Source.STAFF if acting_person(actor) else "system")
    return ShipmentEvent.objects.create(
        shipment=shipment, kind=kind, actor=acting_person(actor), **fields
    )


def allowed_targets(shipment: Shipment) -> set[str]:
    """Where the shipment may go next. Out of an exception it returns only to
    the status it was stopped in, or ends (delivered, returned to sender)."""
    targets = set(SHIPMENT_TRANSITIONS[shipment.status])
    if shipment.status == Status.EXCEPTION:
        targets = {Status.DELIVERED, Status.RETURNED_TO_SENDER}
        if shipment.exception_from:
            targets.add(shipment.exception_from)
    return targets


def shipment_transition(
    *,
    shipment: Shipment,
    to_status: str,
    actor=None,
    reason: str = "",
    source: str | None = None,
    occurred_at=None,
    **event_fields,
) -> ShipmentEvent:
    """Move a locked shipment to `to_status` if the table allows it, with its
    event, and do what the new status means: dispatched consumes the
    reservations (the order becomes partially shipped or shipped), delivered
    may deliver the order. Callers hold the shipment's row lock."""
    from_status = shipment.status
    if to_status not in allowed_targets(shipment):
        raise ShipmentTransitionNotAllowed(
            _("A shipment that is %(from)s cannot become %(to)s.")
            % {"from": Status(from_status).label, "to": Status(to_status).label},
            field="status",
        )
    when = occurred_at or timezone.now()
    changed = ["status", "exception_from", "updated_at"]
    if to_status == Status.DISPATCHED and from_status == Status.PACKED:
        _ship(shipment, actor)
        shipment.picked_up_at = when
        estimate_carbon(shipment)
        estimate_freight(shipment)
        changed += ["picked_up_at", "distance_km", "co2e_kg", "freight_cost"]
    if to_status == Status.DELIVERED:
        shipment.delivered_at = when
        changed.append("delivered_at")
    shipment.exception_from = from_status if to_status == Status.EXCEPTION else ""
    shipment.status = to_status
    shipment.save(update_fields=changed)
    event = _record(
        shipment,
        kind=ShipmentEvent.Kind.STATUS,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        description=reason[:500],
        occurred_at=when,
        **({"source": source} if source else {}),
        **event_fields,
    )
    if to_status == Status.DELIVERED:
        _deliver_order_if_complete(shipment, actor)
    if to_status in (Status.DELIVERED, Status.RETURNED_TO_SENDER) and shipment.vehicle_id:
        _free_vehicle_when_route_done(shipment.vehicle_id)
    order_id = shipment.order_id
    transaction.on_commit(
        lambda: shipment_status_changed.send(
            sender=Shipment,
            shipment_id=shipment.pk,
            order_id=order_id,
            from_status=from_status,
            to_status=to_status,
        ),
        robust=True,
    )
    return event


def _carrier_backlog_replay(shipment: Shipment, actor) -> None:
    """Carrier events that arrived before we caught up (a delivered scan before
    our dispatch click) apply now, in time order."""
    from logistics.services.tracking import carrier_backlog_replay

    carrier_backlog_replay(shipment=shipment, actor=actor)


def _free_vehicle_when_route_done(vehicle_id: int) -> None:
    """A vehicle out on a route is available again once none of its shipments
    is still on the road."""
    from logistics.models import SHIPMENT_ON_THE_ROAD, Vehicle

    if not Shipment.objects.filter(vehicle_id=vehicle_id, status__in=SHIPMENT_ON_THE_ROAD).exists():
        Vehicle.objects.filter(pk=vehicle_id, status=Vehicle.Status.ON_ROUTE).update(
            status=Vehicle.Status.AVAILABLE
        )


def _ship(shipment: Shipment, actor) -> None:
    lines = list(shipment.lines.select_related("order_line"))
    short = [line for line in lines if line.quantity_packed < line.quantity]
    if short:
        raise ShipmentConflict(
            _("%(sku)s is packed %(packed)s of %(units)s; pack every unit before dispatch.")
            % {
                "sku": short[0].order_line.sku,
                "packed": short[0].quantity_packed,
                "units": short[0].quantity,
            },
            field="lines",
        )
    order_ship_units(
        order=shipment.order,
        warehouse_id=shipment.warehouse_id,
        units={line.order_line_id: line.quantity for line in lines},
        actor=actor,
        reference=shipment.number,
    )


def _deliver_order_if_complete(shipment: Shipment, actor) -> None:
    order = order_for_update(shipment.order_id)
    if order.status != Order.Status.SHIPPED:
        return
    delivered = dict(
        ShipmentLine.objects.filter(shipment__order=order, shipment__status=Status.DELIVERED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )
    if all(delivered.get(line.pk, 0) >= line.quantity for line in order.lines.all()):
        # Delivered when the last parcel was signed for (a proof of delivery
        # may be recorded after the fact), not when it was recorded.
        last = Shipment.objects.filter(order=order, status=Status.DELIVERED).aggregate(
            last=Max("delivered_at")
        )["last"]
        order_deliver(
            order=order,
            actor=actor,
            reason=_("Every line delivered (last shipment %(number)s).")
            % {"number": shipment.number},
            delivered_at=last,
        )


def estimate_carbon(shipment: Shipment) -> None:
    """kg CO2e = distance (km) x weight (t) x the carrier's factor (g/t-km) / 1000.
    The distance is the planned route leg if dispatch planning set one, else
    the great-circle distance from the warehouse times a circuity factor."""
    if shipment.distance_km is None:
        if shipment.destination_latitude is None or shipment.destination_longitude is None:
            return
        metres = haversine_metres(
            (float(shipment.warehouse.latitude), float(shipment.warehouse.longitude)),
            (float(shipment.destination_latitude), float(shipment.destination_longitude)),
        )
        mode = shipment.carrier.mode if shipment.carrier_id else "road"
        factor = CIRCUITY.get(mode, Decimal("1"))
        shipment.distance_km = (Decimal(metres) / 1000 * factor).quantize(Decimal("0.01"))
    if not shipment.carrier_id:
        return
    grams = (
        shipment.distance_km
        * (shipment.weight_kg / 1000)
        * shipment.carrier.effective_emission_factor
    )
    shipment.co2e_kg = (grams / 1000).quantize(Decimal("0.001"))


def estimate_freight(shipment: Shipment) -> None:
    """Freight cost = the carrier's base fee + weight (kg) x its fee per kg.
    Left empty when no carrier carries it (nothing to price it with)."""
    if not shipment.carrier_id:
        return
    carrier = shipment.carrier
    cost = carrier.base_fee + (shipment.weight_kg or Decimal("0")) * carrier.fee_per_kg
    shipment.freight_cost = cost.quantize(Decimal("0.01"))


@transaction.atomic
def shipment_dispatch(
    *, shipment: Shipment, actor=None, carrier=None, vehicle=None, tracking_number=None
) -> Shipment:
    """A packed shipment leaves the warehouse: its reserved stock is consumed."""
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
        if carrier is not None:
            shipment.carrier = carrier
        if vehicle is not None:
            shipment.vehicle = vehicle
            if shipment.carrier_id is None and vehicle.carrier_id:
                shipment.carrier = vehicle.carrier
        if tracking_number is not None:
            shipment.tracking_number = tracking_number.strip()[:64]
        if shipment.carrier_id is None:
            raise LogisticsInvalid(_("Choose the carrier that takes it."), field="carrier")
        shipment.save(update_fields=["carrier", "vehicle", "tracking_number", "updated_at"])
        shipment_transition(shipment=shipment, to_status=Status.DISPATCHED, actor=actor)
        _carrier_backlog_replay(shipment, actor)
        if shipment.vehicle_id:
            from logistics.models import Vehicle

            Vehicle.objects.filter(pk=shipment.vehicle_id, status=Vehicle.Status.AVAILABLE).update(
                status=Vehicle.Status.ON_ROUTE
            )
    return shipment


@transaction.atomic
def shipment_cancel(*, shipment: Shipment, reason: str, actor=None) -> Shipment:
    """Cancel a shipment that has not left: its units are free to ship again
    (they stay reserved for the order)."""
    if not reason.strip():
        raise LogisticsInvalid(_("Say why the shipment is cancelled."), field="reason")
    shipment = shipment_for_update(shipment.pk)
    shipment_transition(shipment=shipment, to_status=Status.CANCELLED, actor=actor, reason=reason)
    shipment.lines.update(quantity_picked=0, quantity_packed=0)
    return shipment


@transaction.atomic
def shipment_move(*, shipment: Shipment, to_status: str, actor=None, reason: str = "") -> Shipment:
    """A status change by a person (the API's transitions)."""
    if to_status == Status.CANCELLED:
        return shipment_cancel(shipment=shipment, reason=reason, actor=actor)
    if to_status == Status.DISPATCHED and shipment.status == Status.PACKED:
        return shipment_dispatch(shipment=shipment, actor=actor)
    if to_status == Status.DELIVERED:
        raise LogisticsInvalid(_("Record the delivery with its proof of delivery."), field="status")
    if to_status in (Status.PLANNED, Status.PICKING, Status.PACKED):
        raise LogisticsInvalid(
            _("Pick waves and the packing bench set this status."), field="status"
        )
    if to_status == Status.EXCEPTION:
        raise LogisticsInvalid(
            _("Report the problem with its kind (failed attempt, damage, loss)."),
            field="status",
        )
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
        shipment_transition(shipment=shipment, to_status=to_status, actor=actor, reason=reason)
        _carrier_backlog_replay(shipment, actor)
    return shipment


@transaction.atomic
def shipment_deliver(
    *,
    shipment: Shipment,
    recipient_name: str,
    delivered_at=None,
    latitude=None,
    longitude=None,
    photo=None,
    signature=None,
    note: str = "",
    actor=None,
    source: str | None = None,
) -> ProofOfDelivery:
    """Record the proof of delivery and move the shipment to delivered; the
    order becomes delivered once every line of it is."""
    if not recipient_name.strip():
        raise LogisticsInvalid(_("Who took the goods?"), field="recipient_name")
    now = timezone.now()
    delivered_at = delivered_at or now
    if delivered_at > now + timezone.timedelta(minutes=5):
        raise LogisticsInvalid(_("The delivery time is in the future."), field="delivered_at")
    if (latitude is None) != (longitude is None):
        raise LogisticsInvalid(_("Give both latitude and longitude."), field="latitude")
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
        if shipment.picked_up_at and delivered_at < shipment.picked_up_at:
            raise LogisticsInvalid(
                _("The delivery time is before the shipment left."), field="delivered_at"
            )
        shipment_transition(
            shipment=shipment,
            to_status=Status.DELIVERED,
            actor=actor,
            reason=_("Signed for by %(name)s.") % {"name": recipient_name.strip()},
            occurred_at=delivered_at,
            latitude=latitude,
            longitude=longitude,
            **({"source": source} if source else {}),
        )
        proof = ProofOfDelivery.objects.create(
            shipment=shipment,
            recipient_name=recipient_name.strip()[:100],
            delivered_at=delivered_at,
            latitude=latitude,
            longitude=longitude,
            photo=photo or "",
            signature=signature or "",
            note=note[:500],
            recorded_by=acting_person(actor),
        )
    return proof


def open_shipments_q() -> Q:
    return ~Q(status__in=[Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED])


PROBLEM_KINDS = ("failed_attempt", "damaged", "lost")


@transaction.atomic
def shipment_problem_report(*, shipment: Shipment, kind: str, details: str, actor=None):
    """Staff record a problem the carrier or the customer reported by phone: a
    failed delivery attempt, damage or loss. An exception is opened (and sent
    as a signal) and the shipment stops in `exception` while it is on the road;
    damage found after delivery is recorded without changing the status."""
    from logistics.services.exceptions import exception_open

    if kind not in PROBLEM_KINDS:
        raise LogisticsInvalid(_("Choose a failed attempt, damage or loss."), field="kind")
    if not details.strip():
        raise LogisticsInvalid(_("Describe the problem."), field="details")
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
    if shipment.status not in (*SHIPMENT_ON_THE_ROAD, Status.DELIVERED):
        raise ShipmentConflict(
            _("Problems are reported for shipments that have left; this one is %(status)s.")
            % {"status": Status(shipment.status).label},
            field="status",
        )
    exception, _created = exception_open(
        shipment=shipment, kind=kind, details=details.strip()[:500], actor=actor
    )
    return exception


def shipments_cancel_for_order(*, order_id: int, reason: str) -> int:
    """Cancel the shipments of a cancelled order that are still in the
    warehouse (their stock was given back with the order). Returns how many."""
    cancelled = 0
    for shipment in Shipment.objects.filter(
        order_id=order_id, status__in=SHIPMENT_IN_WAREHOUSE
    ).order_by("pk"):
        shipment_cancel(shipment=shipment, reason=reason)
        cancelled += 1
    return cancelled
