"""The order lifecycle: one transition service, and the actions built on it
(confirm with allocation, cancel, hold, release)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.outbox import outbox_emit
from erp.core.services import acting_person
from inventory.lock_objects import stock_levels_for_update
from inventory.models import StockLevel
from inventory.services import stock_release, stock_reserve
from orders.lock_objects import active_reservations_for_update, lines_for_update, order_for_update
from orders.models import ALLOWED_TRANSITIONS, Order, OrderEvent, OrderLine, Reservation
from orders.services.allocation import Source, plan_allocation
from orders.services.errors import OrderInvalid, StockShortage, TransitionNotAllowed
from orders.signals import order_status_changed

Status = Order.Status
SHIPPABLE = (Status.CONFIRMED, Status.IN_FULFILMENT, Status.PARTIALLY_SHIPPED)
# Status changes published through the outbox (erp.core.outbox).
OUTBOX_TYPES = {
    Status.CONFIRMED: "order.confirmed",
    Status.CANCELLED: "order.cancelled",
    Status.SHIPPED: "order.shipped",
    Status.DELIVERED: "order.delivered",
}


def order_transition(
    *,
    order: Order,
    to_status: str,
    actor=None,
    reason: str = "",
    visible_to_customer: bool = True,
    delivered_at=None,
) -> OrderEvent:
    """Move a locked order to `to_status` if the table allows it, with its event.

    Callers hold the order's row lock (orders.lock_objects.order_for_update).
    Moving to delivered records `delivered_at` (default: now) as the time the
    customer had everything.
    """
    from_status = order.status
    _check_allowed(order, to_status)
    if (
        to_status == Status.CANCELLED
        and Reservation.objects.filter(
            order_line__order=order, status=Reservation.Status.ACTIVE
        ).exists()
    ):
        # Only order_cancel may cancel: it gives the reserved stock back first.
        raise TransitionNotAllowed(
            _("Cancel the order with its cancel action, which releases its stock."), field="status"
        )
    order.status = to_status
    order.held_from = from_status if to_status == Status.ON_HOLD else ""
    fields = ["status", "held_from", "updated_at"]
    if to_status == Status.DELIVERED and order.delivered_at is None:
        order.delivered_at = delivered_at or timezone.now()
        fields.append("delivered_at")
    order.save(update_fields=fields)
    event = OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        actor=acting_person(actor),
        visible_to_customer=visible_to_customer,
    )
    if to_status in OUTBOX_TYPES:
        outbox_emit(
            type=OUTBOX_TYPES[to_status],
            aggregate=order,
            payload={
                "order_id": order.pk,
                "number": order.number,
                "from_status": from_status,
                "status": to_status,
            },
        )
    transaction.on_commit(
        lambda: order_status_changed.send(
            sender=Order, order_id=order.pk, from_status=from_status, to_status=to_status
        ),
        robust=True,
    )
    return event


def _event(order, kind, reason, actor=None, visible=False) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        reason=reason[:500],
        actor=acting_person(actor),
        visible_to_customer=visible,
    )


def allowed_targets(order: Order) -> set[str]:
    """Where this order may go next. A held order may only return to the status
    it was held in, or be cancelled if that status could have been."""
    if order.status != Status.ON_HOLD:
        return set(ALLOWED_TRANSITIONS[order.status])
    held_from = order.held_from or Status.PENDING
    targets = {held_from}
    if Status.CANCELLED in ALLOWED_TRANSITIONS[held_from]:
        targets.add(Status.CANCELLED)
    return targets


def _check_allowed(order: Order, to_status: str) -> None:
    if to_status not in allowed_targets(order):
        raise TransitionNotAllowed(
            _("An order that is %(from)s cannot become %(to)s.")
            % {"from": Status(order.status).label, "to": Status(to_status).label},
            field="status",
        )


def allocate_lines(*, order: Order, lines: list[OrderLine], actor=None, first: bool = False) -> int:
    """Reserve stock for what the (locked) lines still miss; returns units short.

    Locks every stock level of the lines' products in primary-key order first,
    so the plan is made on figures nobody else can change meanwhile and two
    allocations can never wait on each other in a cycle.
    """
    wanted = [
        (line, line.quantity - line.quantity_reserved - line.quantity_shipped) for line in lines
    ]
    wanted = [(line, qty) for line, qty in wanted if qty > 0]
    if not wanted:
        return 0
    product_ids = {line.product_id for line, _qty in wanted}
    level_ids = StockLevel.objects.filter(
        product_id__in=product_ids, warehouse__active=True
    ).values_list("pk", flat=True)
    levels = list(stock_levels_for_update(level_ids).select_related("warehouse"))
    sources = [
        Source(
            level_id=lvl.pk,
            warehouse_id=lvl.warehouse_id,
            product_id=lvl.product_id,
            available=lvl.on_hand - lvl.reserved,
            position=(float(lvl.warehouse.latitude), float(lvl.warehouse.longitude)),
        )
        for lvl in levels
    ]
    plans = plan_allocation(
        lines=[(line.pk, line.product_id, qty) for line, qty in wanted],
        sources=sources,
        default_warehouse_id=order.channel.default_warehouse_id,
        destination_city=(order.shipping_address or {}).get("city", ""),
    )
    by_line = {line.pk: line for line, _qty in wanted}
    codes = {lvl.pk: lvl.warehouse.code for lvl in levels}
    short_total = 0
    notes = []
    for plan in plans:
        line = by_line[plan.line_id]
        for level_id, quantity in plan.takes:
            # Cannot fail: the level is locked and the plan used its figures.
            if not stock_reserve(level_id=level_id, quantity=quantity):
                raise RuntimeError(f"reservation on locked level {level_id} failed")
            Reservation.objects.create(order_line=line, stock_level_id=level_id, quantity=quantity)
            notes.append(f"{line.sku} × {quantity} @ {codes[level_id]}")
        reserved = sum(q for _level, q in plan.takes)
        # The first allocation records what stock could not serve (fill rate).
        first_short = {"quantity_short_at_allocation": plan.short} if first else {}
        OrderLine.objects.filter(pk=line.pk).update(
            quantity_reserved=F("quantity_reserved") + reserved,
            quantity_backordered=plan.short,
            **first_short,
        )
        short_total += plan.short
    if notes:
        _event(order, OrderEvent.Kind.ALLOCATED, "; ".join(notes), actor)
    return short_total


@transaction.atomic
def order_confirm(*, order: Order, actor=None, reason: str = "") -> Order:
    """Confirm a pending order: allocate and reserve every line.

    Short lines become backorders if the channel allows them; otherwise the
    confirmation is refused (409) and nothing is reserved.
    """
    with lock_timeout():
        order = order_for_update(order.pk)
        if order.status != Status.PENDING:
            raise TransitionNotAllowed(
                _("Only a pending order can be confirmed; this one is %(status)s.")
                % {"status": Status(order.status).label},
                field="status",
            )
        lines = lines_for_update(order.pk)
        short = allocate_lines(order=order, lines=lines, actor=actor, first=True)
        if short and not order.channel.allow_backorder:
            raise StockShortage(
                _("Not enough stock to confirm %(number)s: %(short)s unit(s) missing.")
                % {"number": order.number, "short": short}
            )
        if short:
            _event(
                order,
                OrderEvent.Kind.BACKORDERED,
                _("%(short)s unit(s) on backorder.") % {"short": short},
                actor,
                visible=True,
            )
        order_transition(order=order, to_status=Status.CONFIRMED, actor=actor, reason=reason)
    return order


def _release_all(order: Order, actor) -> int:
    active = active_reservations_for_update(order)
    released = 0
    for reservation in active:
        stock_release(level_id=reservation.stock_level_id, quantity=reservation.quantity)
        released += reservation.quantity
    Reservation.objects.filter(pk__in=[r.pk for r in active]).update(
        status=Reservation.Status.RELEASED
    )
    OrderLine.objects.filter(order=order).update(quantity_reserved=0, quantity_backordered=0)
    if released:
        _event(
            order,
            OrderEvent.Kind.RELEASED,
            _("%(units)s reserved unit(s) released.") % {"units": released},
            actor,
        )
    return released


@transaction.atomic
def order_cancel(*, order: Order, actor=None, reason: str = "") -> Order:
    """Cancel: every active reservation goes back to stock."""
    if not reason.strip():
        raise OrderInvalid(_("Say why the order is cancelled."), field="reason")
    with lock_timeout():
        order = order_for_update(order.pk)
        _check_allowed(order, Status.CANCELLED)
        lines_for_update(order.pk)
        _release_all(order, actor)
        order_transition(order=order, to_status=Status.CANCELLED, actor=actor, reason=reason)
    return order


@transaction.atomic
def order_hold(*, order: Order, actor=None, reason: str = "") -> Order:
    """Stop an order until a person releases it; its reservations stay."""
    order = order_for_update(order.pk)
    order_transition(
        order=order, to_status=Status.ON_HOLD, actor=actor, reason=reason, visible_to_customer=False
    )
    return order


@transaction.atomic
def order_release(*, order: Order, actor=None, reason: str = "") -> Order:
    """Let a held order go on from where it was held."""
    order = order_for_update(order.pk)
    if order.status != Status.ON_HOLD:
        raise TransitionNotAllowed(_("Only an order on hold can be released."), field="status")
    order_transition(
        order=order,
        to_status=order.held_from or Status.PENDING,
        actor=actor,
        reason=reason,
        visible_to_customer=False,
    )
    return order


def _ship_from(order: Order, takes, lines: dict, *, reference: str, actor, reason: str) -> int:
    """Consume `takes` - (locked reservation, units) pairs - into shipment stock
    moves, splitting a reservation when only part of it leaves; then move the
    order to shipped or partially shipped. Returns the units shipped."""
    from inventory.services import stock_consume

    shipped = 0
    for reservation, units in takes:
        stock_consume(
            level_id=reservation.stock_level_id,
            quantity=units,
            reference=reference or order.number,
            actor=actor,
        )
        if units == reservation.quantity:
            reservation.status = Reservation.Status.CONSUMED
            reservation.save(update_fields=["status", "updated_at"])
        else:  # the rest stays reserved; the part that left is kept as consumed
            reservation.quantity -= units
            reservation.save(update_fields=["quantity", "updated_at"])
            Reservation.objects.create(
                order_line_id=reservation.order_line_id,
                stock_level_id=reservation.stock_level_id,
                quantity=units,
                status=Reservation.Status.CONSUMED,
            )
        line = lines[reservation.order_line_id]
        line.quantity_shipped += units
        line.quantity_reserved -= units
        shipped += units
    OrderLine.objects.bulk_update(lines.values(), ["quantity_shipped", "quantity_reserved"])
    done = all(line.quantity_shipped >= line.quantity for line in lines.values())
    target = Status.SHIPPED if done else Status.PARTIALLY_SHIPPED
    if target == order.status:  # another part of a partially shipped order
        _event(
            order,
            OrderEvent.Kind.SHIPMENT,
            _("%(units)s more unit(s) shipped.") % {"units": shipped},
            actor,
            visible=True,
        )
    else:
        order_transition(order=order, to_status=target, actor=actor, reason=reason)
    return shipped


def _check_shippable(order: Order) -> None:
    if order.status not in SHIPPABLE:
        raise TransitionNotAllowed(
            _("An order that is %(status)s cannot be shipped.")
            % {"status": Status(order.status).label},
            field="status",
        )


@transaction.atomic
def order_ship(
    *, order: Order, actor=None, reference: str = "", reason: str = "", line_numbers=None
) -> Order:
    """Everything reserved (for all lines, or the given line numbers) leaves the
    warehouses at once: reservations are consumed into shipment stock moves.
    Shipped when every unit has gone, else partially shipped. (Shipments of the
    logistics app use order_ship_units, which ships given quantities.)"""
    with lock_timeout():
        order = order_for_update(order.pk)
        _check_shippable(order)
        lines = {line.pk: line for line in lines_for_update(order.pk)}
        active = active_reservations_for_update(order, line_numbers)
        if not active:
            raise StockShortage(
                _("Nothing is reserved for %(number)s to ship.") % {"number": order.number}
            )
        _ship_from(
            order,
            [(r, r.quantity) for r in active],
            lines,
            reference=reference,
            actor=actor,
            reason=reason,
        )
    return order


@transaction.atomic
def order_ship_units(
    *, order: Order, warehouse_id: int, units: dict[int, int], actor=None, reference: str = ""
) -> Order:
    """Ship given quantities of order lines ({order line id: units}) from one
    warehouse, out of what is reserved for them there. Refused whole (409) if
    any line has fewer units reserved there than asked."""
    with lock_timeout():
        order = order_for_update(order.pk)
        _check_shippable(order)
        lines = {line.pk: line for line in lines_for_update(order.pk)}
        active = [
            r
            for r in active_reservations_for_update(order)
            if r.order_line_id in units and r.stock_level.warehouse_id == warehouse_id
        ]
        takes = []
        for line_id, wanted in units.items():
            if line_id not in lines or wanted <= 0:
                raise OrderInvalid(_("Unknown order line or quantity."), field="lines")
            left = wanted
            for reservation in (r for r in active if r.order_line_id == line_id):
                if left == 0:
                    break
                take = min(left, reservation.quantity)
                takes.append((reservation, take))
                left -= take
            if left:
                raise StockShortage(
                    _("Line %(line)s (%(sku)s) has only %(reserved)s unit(s) reserved here.")
                    % {
                        "line": lines[line_id].line_no,
                        "sku": lines[line_id].sku,
                        "reserved": wanted - left,
                    },
                    field="lines",
                )
        takes.sort(key=lambda take: (take[0].stock_level_id, take[0].pk))
        _ship_from(order, takes, lines, reference=reference, actor=actor, reason="")
    return order


@transaction.atomic
def order_deliver(*, order: Order, actor=None, reason: str = "", delivered_at=None) -> Order:
    """The customer has everything: a shipped order becomes delivered, at
    `delivered_at` (the last proof of delivery's time; default now)."""
    order = order_for_update(order.pk)
    order_transition(
        order=order,
        to_status=Status.DELIVERED,
        actor=actor,
        reason=reason,
        delivered_at=delivered_at,
    )
    return order
