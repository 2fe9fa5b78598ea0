"""Returns and exchanges (RMA): request -> approve / reject -> return label
-> receive (into stock or quarantine) -> inspect (restock, scrap, repair per
line) -> refund or exchange.

Every write locks, in this order: the order, its lines (when quantities
change), the return, then - before any stock changes - the products it
receives and every stock level it touches, each in primary-key order (the
order allocation locks levels in, so a return and an order confirmation of
the same products wait for each other instead of deadlocking). So two
requests for the last returnable units of an order are decided one after
the other, and nothing is ever counted twice.

Units received into stock are not announced (no backorder takes them)
until inspection restocks them, so scrapping or repairing them stays
possible. Each status change goes through
`_transition`, which checks RETURN_TRANSITIONS and writes a ReturnEvent.

How many units of an order line may still come back:
    delivered - already returned (received) - requested in returns not yet received
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from aftersales.models import (
    RETURN_TRANSITIONS,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnPolicy,
    ReturnRequest,
    Ticket,
)
from erp.core.db import lock_timeout
from erp.core.errors import DomainError
from erp.core.outbox import outbox_emit
from erp.core.services import acting_person
from inventory.lock_objects import stock_levels_for_update
from inventory.models import Product, StockMove, Warehouse
from inventory.services import stock_adjust, stock_receive
from inventory.services.stock import stock_level_get, stock_receipt_announce
from logistics.models import Carrier, Shipment, ShipmentLine
from orders.lock_objects import lines_for_update, order_for_update
from orders.models import Order, OrderEvent, OrderLine
from orders.services import (
    LineInput,
    RefundExceedsPaid,
    order_create,
    order_payment_record,
    order_refund,
    order_refundable,
)

Status = ReturnRequest.Status
Kind = ReturnRequest.Kind
Disposition = ReturnLine.Disposition
CENTS = Decimal("0.01")
# Requested units still on their way back: they count against what may be returned.
PRE_RECEIPT = (Status.REQUESTED, Status.APPROVED, Status.AWAITING_RECEIPT)
OPEN_STATUSES = (*PRE_RECEIPT, Status.RECEIVED, Status.INSPECTED)
MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# The photo formats taken (Pillow's names) and the extension each is stored under.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class ReturnInvalid(DomainError):
    status_code = 400
    code = "invalid"


class ReturnConflict(DomainError):
    status_code = 409
    code = "conflict"


class ReturnTransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


def return_for_update(pk: int) -> ReturnRequest:
    return (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order", "customer", "warehouse", "ticket")
        .get(pk=pk)
    )


def _lock(rma: ReturnRequest, *, lines: bool = False):
    """Lock the return's order (and its lines), then the return itself."""
    order = order_for_update(rma.order_id)
    order_lines = {line.pk: line for line in lines_for_update(order.pk)} if lines else {}
    return order, order_lines, return_for_update(rma.pk)


def _lock_stock(warehouse: Warehouse, *, receive=(), change=()) -> None:
    """Before any stock changes (the order, its lines and the return are locked
    already): lock the products about to be received - stock_receive locks a
    product before its level - and then every stock level the call will touch,
    created empty if need be, each in primary-key order. Allocation
    (orders.services.lifecycle.allocate_lines) locks all its levels up front in
    that order too, so the two never wait on each other in a cycle, whatever
    order the return's lines are in."""
    received = sorted({product.pk for product in receive})
    if received:
        list(
            Product.objects.filter(pk__in=received)
            .order_by("pk")
            .select_for_update(of=("self",), no_key=True)
        )
    products = {product.pk: product for product in (*receive, *change)}
    levels = [
        stock_level_get(warehouse=warehouse, product=product)
        for _pk, product in sorted(products.items())
    ]
    if levels:
        list(stock_levels_for_update([level.pk for level in levels]))


# --- What may come back ------------------------------------------------------


@dataclass
class Policy:
    days: int
    no_reason: bool
    policy: ReturnPolicy | None = None


def return_policy_for(*, channel, category: str) -> Policy:
    """The return window of a product category sold through a channel: the
    active policy for both, else for the category, else for the channel,
    else the catch-all policy, else settings.RETURN_WINDOW_DAYS."""
    candidates = ReturnPolicy.objects.filter(active=True).filter(
        Q(channel=channel) | Q(channel__isnull=True), Q(category=category) | Q(category="")
    )

    def rank(policy):
        return (bool(policy.category), policy.channel_id is not None)

    best = max(candidates, key=rank, default=None)
    if best is None:
        return Policy(days=settings.RETURN_WINDOW_DAYS, no_reason=False)
    return Policy(days=best.days, no_reason=best.no_reason, policy=best)


def deliveries(order: Order) -> dict[int, tuple[int, datetime | None]]:
    """{order line id: (units delivered, when the last of them was delivered)}."""
    rows = (
        ShipmentLine.objects.filter(
            shipment__order=order, shipment__status=Shipment.Status.DELIVERED
        )
        .values("order_line_id")
        .annotate(
            units=Sum("quantity"),
            last=Max(
                Coalesce("shipment__delivered_at", "shipment__proof_of_delivery__delivered_at")
            ),
        )
    )
    return {row["order_line_id"]: (row["units"], row["last"]) for row in rows}


def pending_units(order: Order) -> dict[int, int]:
    """{order line id: units requested in returns not yet received}."""
    rows = ReturnLine.objects.filter(request__order=order, request__status__in=PRE_RECEIPT)
    return dict(
        rows.values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )


@dataclass
class Returnable:
    """One order line as a return request sees it."""

    line: OrderLine
    delivered: int
    returned: int
    pending: int
    delivered_at: datetime | None
    last_day: date | None
    policy: Policy

    @property
    def in_window(self) -> bool:
        return self.last_day is not None and timezone.localdate() <= self.last_day

    @property
    def available(self) -> int:
        return max(self.delivered - self.returned - self.pending, 0)

    @property
    def returnable(self) -> int:
        """What may be requested now: inside the window only."""
        return self.available if self.in_window else 0


def returnable_lines(order: Order, *, lines=None) -> list[Returnable]:
    """Every line of the order with what may still come back. Callers that
    decide on it hold the order's lock and pass its locked lines."""
    if lines is None:
        lines = list(order.lines.order_by("line_no"))
    products = {p.pk: p for p in Product.objects.filter(pk__in={ln.product_id for ln in lines})}
    delivered = deliveries(order)
    pending = pending_units(order)
    policies: dict[str, Policy] = {}
    result = []
    for line in sorted(lines, key=lambda ln: ln.line_no):
        category = products[line.product_id].category
        if category not in policies:
            policies[category] = return_policy_for(channel=order.channel, category=category)
        policy = policies[category]
        units, last = delivered.get(line.pk, (0, None))
        last_day = timezone.localdate(last) + timedelta(days=policy.days) if last else None
        result.append(
            Returnable(
                line=line,
                delivered=units,
                returned=line.quantity_returned,
                pending=pending.get(line.pk, 0),
                delivered_at=last,
                last_day=last_day,
                policy=policy,
            )
        )
    return result


def discount_share(line: OrderLine, units: int, *, before: int = 0) -> Decimal:
    """The part of the line's discount that falls on `units` of it, after
    `before` of its units came back already. Allocated cumulatively - the
    share of the first before+units units less the share of the first
    `before` - so however the line comes back, one unit at a time or all at
    once, the shares add up to exactly the discount (never a cent more)."""
    if not line.discount or not line.quantity:
        return Decimal("0.00")

    def first(count: int) -> Decimal:
        return (line.discount * count / line.quantity).quantize(CENTS, rounding=ROUND_HALF_UP)

    return first(before + units) - first(before)


def line_value(line: OrderLine, units: int, *, before: int = 0) -> Decimal:
    """What `units` of an order line cost the customer: unit price less their
    share of the line's discount (`before`: units of it returned earlier)."""
    return (line.unit_price * units).quantize(CENTS) - discount_share(line, units, before=before)


def received_before(rma: ReturnRequest, line: ReturnLine) -> int:
    """Units of the line's order line that returns received before this one
    (by time of receipt, then by return) brought back."""
    earlier = ReturnLine.objects.filter(
        order_line_id=line.order_line_id, quantity_received__gt=0
    ).exclude(request_id=rma.pk)
    if rma.received_at is not None:
        earlier = earlier.filter(
            Q(request__received_at__lt=rma.received_at)
            | Q(request__received_at=rma.received_at, request_id__lt=rma.pk)
        )
    return earlier.aggregate(units=Sum("quantity_received"))["units"] or 0


def returned_value(rma: ReturnRequest) -> Decimal:
    """The value of what was received back."""
    return sum(
        (
            line_value(line.order_line, line.quantity_received, before=received_before(rma, line))
            for line in rma.lines.select_related("order_line")
            if line.quantity_received
        ),
        Decimal("0.00"),
    )


# --- Transitions ---------------------------------------------------------------


def return_allowed_targets(rma: ReturnRequest) -> set[str]:
    return set(RETURN_TRANSITIONS.get(rma.status, set()))


def _check_allowed(rma: ReturnRequest, to_status: str) -> None:
    if to_status not in RETURN_TRANSITIONS.get(rma.status, set()):
        raise ReturnTransitionNotAllowed(
            _("A return that is %(from)s cannot become %(to)s.")
            % {"from": Status(rma.status).label, "to": Status(to_status).label},
            field="status",
        )


def _transition(
    rma: ReturnRequest, to_status: str, *, actor, reason: str = "", fields=()
) -> ReturnEvent:
    """Move a locked return on, saving `fields` changed with it, and record the event."""
    _check_allowed(rma, to_status)
    from_status = rma.status
    rma.status = to_status
    rma.save(update_fields=[*fields, "status", "updated_at"])
    return ReturnEvent.objects.create(
        request=rma,
        from_status=from_status,
        to_status=to_status,
        reason=str(reason)[:500],
        actor=acting_person(actor),
        created_at=timezone.now(),
    )


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReturnInvalid(message, field=field)
    return text


def _whole(value, field: str, *, minimum: int) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ReturnInvalid(_("Enter a whole number."), field=field) from None
    if number != value and str(number) != str(value).strip():
        raise ReturnInvalid(_("Enter a whole number."), field=field)
    if number < minimum:
        raise ReturnInvalid(
            _("Enter a number of at least %(min)s.") % {"min": minimum}, field=field
        )
    return number


def _choice(value, choices, field: str, *, blank: bool = False) -> str:
    value = str(value or "").strip()
    if blank and not value:
        return ""
    if value not in {c for c, _label in choices}:
        raise ReturnInvalid(_("“%(value)s” is not a valid choice.") % {"value": value}, field=field)
    return value


def _photo_size(photo) -> int:
    size = getattr(photo, "size", None)
    if size is None:
        photo.seek(0, 2)
        size = photo.tell()
        photo.seek(0)
    return size


def _photo_format(photo) -> str | None:
    """The format of a whole JPEG, PNG or WebP image (Pillow reads and
    verifies it, whatever its name or declared type say); None for anything else."""
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            found = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds for broken or foreign files
        return None
    finally:
        photo.seek(0)
    return found if found in PHOTO_FORMATS else None


def photos_check(photos) -> list[tuple[object, str]]:
    """[(photo, its format)]: at most MAX_PHOTOS, each a JPEG, PNG or WebP image
    of at most 10 MB. Errors name `photos` or the file: `photos[i]`. Also the
    check of the photos customers send with a repair or a complaint (portal)."""
    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise ReturnInvalid(
            _("At most %(count)s photos per return.") % {"count": MAX_PHOTOS}, field="photos"
        )
    checked = []
    for index, photo in enumerate(photos):
        name = getattr(photo, "name", "") or f"#{index + 1}"
        if _photo_size(photo) > MAX_PHOTO_BYTES:
            raise ReturnInvalid(
                _("%(name)s is larger than 10 MB.") % {"name": name}, field=f"photos[{index}]"
            )
        found = _photo_format(photo)
        if found is None:
            raise ReturnInvalid(
                _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name},
                field=f"photos[{index}]",
            )
        checked.append((photo, found))
    return checked


def _link_ticket(ticket: Ticket, rma: ReturnRequest, actor) -> None:
    from aftersales.models import TicketEvent
    from aftersales.services.tickets import ticket_event_record

    ticket_event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.LINKED,
        actor=actor,
        to_value=rma.number,
        reason=_("Return %(number)s") % {"number": rma.number},
    )


# --- Request -------------------------------------------------------------------


@transaction.atomic
def return_request_create(
    *,
    order: Order,
    kind: str,
    lines: list[dict],
    reason: str = "",
    ticket: Ticket | None = None,
    photos=(),
    actor=None,
    channel: str = Ticket.Channel.PHONE,
) -> ReturnRequest:
    """Ask to return (or exchange) delivered goods.

    `lines`: [{"order_line": OrderLine or its line number, "quantity",
    "reason", "condition", "replacement_product"}]. Each line may ask for at
    most what was delivered, less what came back already and what other open
    returns are bringing back; inside its return window (ReturnPolicy, else
    RETURN_WINDOW_DAYS from the delivery). A reason is required unless every
    line's policy needs none. Without a ticket, one is opened (kind return or
    exchange, from `channel`). Errors name the input: lines[0].quantity, ...
    """
    kind = _choice(kind, Kind.choices, "kind")
    channel = _choice(channel, Ticket.Channel.choices, "channel")
    if not lines:
        raise ReturnInvalid(_("Choose at least one line to return."), field="lines")
    photos = photos_check(photos)
    reason = (reason or "").strip()
    if ticket is not None and ticket.customer_id != order.customer_id:
        raise ReturnInvalid(_("The ticket belongs to another customer."), field="ticket")
    now = timezone.now()
    with lock_timeout():
        order = order_for_update(order.pk)
        locked = lines_for_update(order.pk)
        by_pk = {line.pk: line for line in locked}
        by_number = {line.line_no: line for line in locked}
        options = {row.line.pk: row for row in returnable_lines(order, lines=locked)}
        seen: set[int] = set()
        prepared = []
        needs_reason = False
        for index, item in enumerate(lines):
            prefix = f"lines[{index}]"
            wanted = item.get("order_line")
            line = (
                by_pk.get(wanted.pk)
                if isinstance(wanted, OrderLine)
                else by_number.get(wanted)
                if isinstance(wanted, int) and not isinstance(wanted, bool)
                else None
            )
            if line is None:
                raise ReturnInvalid(
                    _("Not a line of order %(order)s.") % {"order": order.number},
                    field=f"{prefix}.order_line",
                )
            if line.pk in seen:
                raise ReturnInvalid(
                    _("Line #%(line)s is listed twice.") % {"line": line.line_no},
                    field=f"{prefix}.order_line",
                )
            seen.add(line.pk)
            quantity = _whole(item.get("quantity"), f"{prefix}.quantity", minimum=1)
            option = options[line.pk]
            names = {"line": line.line_no, "sku": line.sku}
            if not option.delivered:
                raise ReturnInvalid(
                    _("Nothing of line #%(line)s (%(sku)s) has been delivered.") % names,
                    field=f"{prefix}.order_line",
                )
            if not option.in_window:
                raise ReturnInvalid(
                    _(
                        "The return window of line #%(line)s (%(sku)s) closed on %(date)s, "
                        "%(days)s days after its delivery."
                    )
                    % {**names, "date": option.last_day.isoformat(), "days": option.policy.days},
                    field=f"{prefix}.order_line",
                )
            if quantity > option.available:
                raise ReturnInvalid(
                    _(
                        "Only %(left)s of line #%(line)s (%(sku)s) can still be returned: "
                        "%(delivered)s delivered, %(returned)s returned, %(pending)s in open "
                        "returns."
                    )
                    % {
                        **names,
                        "left": option.available,
                        "delivered": option.delivered,
                        "returned": option.returned,
                        "pending": option.pending,
                    },
                    field=f"{prefix}.quantity",
                )
            condition = _choice(
                item.get("condition"),
                ReturnLine.Condition.choices,
                f"{prefix}.condition",
                blank=True,
            )
            replacement = item.get("replacement_product")
            if replacement is not None:
                if kind != Kind.EXCHANGE:
                    raise ReturnInvalid(
                        _("Only an exchange has replacement goods."),
                        field=f"{prefix}.replacement_product",
                    )
                if not replacement.active:
                    raise ReturnInvalid(
                        _("%(sku)s is no longer sold.") % {"sku": replacement.sku},
                        field=f"{prefix}.replacement_product",
                    )
            line_reason = (item.get("reason") or "").strip()[:255]
            if not option.policy.no_reason and not line_reason:
                needs_reason = True
            prepared.append((line, quantity, line_reason, condition, replacement))
        if needs_reason and not reason:
            raise ReturnInvalid(
                _("Say why the goods come back; only a no-reason return policy waives it."),
                field="reason",
            )
        if not reason:
            reason = "; ".join(r for (_l, _q, r, _c, _p) in prepared if r)
        rma = ReturnRequest.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            kind=kind,
            order=order,
            customer=order.customer,
            ticket=ticket,
            reason=reason[:500],
            requested_at=now,
            created_by=acting_person(actor),
        )
        # Numbered from the primary key, like orders: no counter to lock.
        rma.number = f"RMA-{timezone.localtime(now):%Y%m%d}-{rma.pk:05d}"
        rma.save(update_fields=["number"])
        ReturnLine.objects.bulk_create(
            [
                ReturnLine(
                    request=rma,
                    order_line=line,
                    quantity=quantity,
                    reason=line_reason,
                    condition=condition,
                    replacement_product=replacement,
                )
                for line, quantity, line_reason, condition, replacement in prepared
            ]
        )
        for photo, found in photos:
            # Stored under a name of our own with the extension of what it is;
            # the customer's file name is kept as the caption.
            original = str(getattr(photo, "name", "") or "").replace("\\", "/").split("/")[-1]
            ReturnPhoto.objects.create(
                request=rma,
                image=File(photo, name=f"{uuid.uuid4().hex}.{PHOTO_FORMATS[found]}"),
                caption=original[-200:],
            )
        ReturnEvent.objects.create(
            request=rma,
            to_status=Status.REQUESTED,
            reason=reason[:500],
            actor=acting_person(actor),
            created_at=now,
        )
        if ticket is None:
            from aftersales.services.tickets import ticket_create

            ticket = ticket_create(
                customer=order.customer,
                subject=(
                    _("Exchange %(number)s for order %(order)s")
                    if kind == Kind.EXCHANGE
                    else _("Return %(number)s for order %(order)s")
                )
                % {"number": rma.number, "order": order.number},
                kind=kind,  # the ticket kinds "return" and "exchange"
                channel=channel,
                description=reason,
                order=order,
                actor=actor,
            )
            rma.ticket = ticket
            rma.save(update_fields=["ticket", "updated_at"])
        _link_ticket(ticket, rma, actor)
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            reason=(
                _("Return %(number)s requested: %(units)s unit(s).")
                % {"number": rma.number, "units": sum(q for (_l, q, _r, _c, _p) in prepared)}
            )[:500],
            actor=acting_person(actor),
            visible_to_customer=True,
        )
    return rma


# --- Decision and label ----------------------------------------------------------


@transaction.atomic
def return_approve(*, rma: ReturnRequest, actor=None, reason: str = "") -> ReturnRequest:
    """The customer may send the goods back."""
    with lock_timeout():
        _order, _lines, rma = _lock(rma)
        rma.decided_at = timezone.now()
        rma.decided_by = acting_person(actor)
        _transition(
            rma, Status.APPROVED, actor=actor, reason=reason, fields=["decided_at", "decided_by"]
        )
    return rma


@transaction.atomic
def return_reject(*, rma: ReturnRequest, reason: str, actor=None) -> ReturnRequest:
    """Refuse the return; the customer is told why. Its units may be asked for again."""
    reason = _required(reason, "reason", _("Say why the return is rejected."))
    with lock_timeout():
        _order, _lines, rma = _lock(rma)
        rma.rejection_reason = reason[:500]
        rma.decided_at = timezone.now()
        rma.decided_by = acting_person(actor)
        _transition(
            rma,
            Status.REJECTED,
            actor=actor,
            reason=reason,
            fields=["rejection_reason", "decided_at", "decided_by"],
        )
    return rma


@transaction.atomic
def return_label_issue(
    *, rma: ReturnRequest, carrier: Carrier, tracking_number: str, actor=None
) -> ReturnRequest:
    """A return label was issued: the goods are on their way back."""
    if carrier is None:
        raise ReturnInvalid(_("Choose the carrier bringing the goods back."), field="carrier")
    if not carrier.active:
        raise ReturnInvalid(
            _("Carrier %(code)s is not active.") % {"code": carrier.code}, field="carrier"
        )
    tracking_number = _required(
        tracking_number, "tracking_number", _("Enter the return waybill number.")
    )
    with lock_timeout():
        _order, _lines, rma = _lock(rma)
        rma.return_carrier = carrier
        rma.return_tracking_number = tracking_number[:50]
        _transition(
            rma,
            Status.AWAITING_RECEIPT,
            actor=actor,
            reason=f"{carrier.name} {tracking_number}",
            fields=["return_carrier", "return_tracking_number"],
        )
    return rma


@transaction.atomic
def return_cancel(*, rma: ReturnRequest, reason: str, actor=None) -> ReturnRequest:
    """Withdraw a return before its goods arrived; its units may be asked for again."""
    reason = _required(reason, "reason", _("Say why the return is cancelled."))
    with lock_timeout():
        _order, _lines, rma = _lock(rma)
        _transition(rma, Status.CANCELLED, actor=actor, reason=reason)
    return rma


# --- Receipt and inspection ----------------------------------------------------------


def _line_for(return_lines: list[ReturnLine], wanted, field: str) -> ReturnLine:
    """A return line given as itself, its pk-bearing object, or its order line number."""
    for line in return_lines:
        if isinstance(wanted, ReturnLine) and line.pk == wanted.pk:
            return line
        if (
            isinstance(wanted, int)
            and not isinstance(wanted, bool)
            and line.order_line.line_no == wanted
        ):
            return line
    raise ReturnInvalid(_("Not a line of this return."), field=field)


@transaction.atomic
def return_receive(
    *,
    rma: ReturnRequest,
    warehouse: Warehouse,
    receive_into: str,
    lines: list[dict] | None = None,
    actor=None,
) -> ReturnRequest:
    """The goods arrived at `warehouse`.

    `lines`: [{"line": order line number (or the ReturnLine), "quantity"}],
    each at most what was requested; left out, everything requested arrived.
    Into stock: each line becomes a RETURN stock move at once, at the
    product's unit cost. Into quarantine: no stock move until inspection
    restocks it. The order lines' returned quantities grow by what arrived.
    """
    receive_into = _choice(receive_into, ReturnRequest.ReceiveInto.choices, "receive_into")
    if warehouse is None or not warehouse.active:
        raise ReturnInvalid(_("Choose an active warehouse."), field="warehouse")
    now = timezone.now()
    with lock_timeout():
        order, order_lines, rma = _lock(rma, lines=True)
        _check_allowed(rma, Status.RECEIVED)
        return_lines = list(rma.lines.select_related("order_line__product"))
        if lines is None:
            received = {line.pk: line.quantity for line in return_lines}
            inputs = {line.pk: index for index, line in enumerate(return_lines)}
        else:
            received = {line.pk: 0 for line in return_lines}
            inputs = {}
            given: set[int] = set()
            for index, item in enumerate(lines):
                line = _line_for(return_lines, item.get("line"), f"lines[{index}].line")
                if line.pk in given:
                    raise ReturnInvalid(
                        _("Line #%(line)s is listed twice.") % {"line": line.order_line.line_no},
                        field=f"lines[{index}].line",
                    )
                given.add(line.pk)
                quantity = _whole(item.get("quantity"), f"lines[{index}].quantity", minimum=0)
                if quantity > line.quantity:
                    raise ReturnInvalid(
                        _("Only %(requested)s unit(s) of line #%(line)s were requested.")
                        % {"requested": line.quantity, "line": line.order_line.line_no},
                        field=f"lines[{index}].quantity",
                    )
                received[line.pk] = quantity
                inputs[line.pk] = index
        if not any(received.values()):
            raise ReturnInvalid(_("Nothing arrived: enter at least one unit."), field="lines")
        delivered = deliveries(order)
        into_stock = receive_into == ReturnRequest.ReceiveInto.STOCK
        if into_stock:
            _lock_stock(
                warehouse,
                receive=[line.order_line.product for line in return_lines if received[line.pk]],
            )
        for line in return_lines:
            quantity = received[line.pk]
            if not quantity:
                continue
            order_line = order_lines[line.order_line_id]
            units = delivered.get(order_line.pk, (0, None))[0]
            # The requests were checked against this already; checked again under
            # the lock, so nothing delivered is ever returned twice.
            changed = OrderLine.objects.filter(
                pk=order_line.pk, quantity_returned__lte=units - quantity
            ).update(quantity_returned=F("quantity_returned") + quantity)
            if not changed:
                raise ReturnConflict(
                    _(
                        "Line #%(line)s (%(sku)s): %(units)s delivered, %(returned)s already "
                        "returned; %(quantity)s more cannot come back."
                    )
                    % {
                        "line": order_line.line_no,
                        "sku": order_line.sku,
                        "units": units,
                        "returned": order_line.quantity_returned,
                        "quantity": quantity,
                    },
                    field=f"lines[{inputs[line.pk]}].quantity",
                )
            line.quantity_received = quantity
            line.save(update_fields=["quantity_received"])
            if into_stock:
                # Not announced: no backorder may take the units before
                # inspection decides they can be sold again.
                stock_receive(
                    warehouse=warehouse,
                    product=line.order_line.product,
                    quantity=quantity,
                    kind=StockMove.Kind.RETURN,
                    reference=rma.number,
                    note=_("Returned from order %(order)s line #%(line)s")
                    % {"order": order.number, "line": order_line.line_no},
                    actor=actor,
                    announce=False,
                )
        rma.warehouse = warehouse
        rma.receive_into = receive_into
        rma.received_at = now
        total = sum(received.values())
        _transition(
            rma,
            Status.RECEIVED,
            actor=actor,
            reason=_("%(units)s unit(s) into %(place)s at %(warehouse)s")
            % {
                "units": total,
                "place": ReturnRequest.ReceiveInto(receive_into).label,
                "warehouse": warehouse.code,
            },
            fields=["warehouse", "receive_into", "received_at"],
        )
        outbox_emit(
            type="return.received",
            aggregate=rma,
            payload={
                "return_id": rma.pk,
                "number": rma.number,
                "order_id": order.pk,
                "order_number": order.number,
                "status": rma.status,
                "warehouse": warehouse.code,
                "receive_into": receive_into,
                "units": total,
                "lines": [
                    {"sku": line.order_line.sku, "quantity": received[line.pk]}
                    for line in return_lines
                    if received[line.pk]
                ],
            },
        )
    return rma


def _repair(rma: ReturnRequest, line: ReturnLine, note: str, actor):
    from aftersales.services.repairs import repair_create

    return repair_create(
        customer=rma.customer,
        product=line.order_line.product,
        fault_description=note or line.reason or rma.reason or _("Returned as faulty."),
        order_line=line.order_line,
        ticket=rma.ticket,
        return_line=line,
        purchase_date=timezone.localdate(rma.order.placed_at),
        actor=actor,
    )


@transaction.atomic
def return_inspect(*, rma: ReturnRequest, lines: list[dict], actor=None) -> ReturnRequest:
    """Decide each received line: restock, scrap or send to repair.

    `lines`: [{"line": order line number (or the ReturnLine), "disposition",
    "condition", "note"}]; every line with units received needs one.
    Restock: quarantined units enter stock now (RETURN move); units received
    into stock stay - either way they are announced now, so backorders may
    take them. Scrap: units in stock leave with a SCRAP move;
    quarantined ones never entered. Repair: one repair order per unit; units
    in stock leave with an ADJUSTMENT move naming the repair.
    """
    if not lines:
        raise ReturnInvalid(_("Give each received line a disposition."), field="lines")
    now = timezone.now()
    with lock_timeout():
        _order, _order_lines, rma = _lock(rma)
        _check_allowed(rma, Status.INSPECTED)
        return_lines = list(rma.lines.select_related("order_line__product"))
        decisions: dict[int, tuple[str, str, str]] = {}
        for index, item in enumerate(lines):
            prefix = f"lines[{index}]"
            line = _line_for(return_lines, item.get("line"), f"{prefix}.line")
            if line.pk in decisions:
                raise ReturnInvalid(
                    _("Line #%(line)s is listed twice.") % {"line": line.order_line.line_no},
                    field=f"{prefix}.line",
                )
            if not line.quantity_received:
                raise ReturnInvalid(
                    _("Nothing of line #%(line)s was received.")
                    % {"line": line.order_line.line_no},
                    field=f"{prefix}.line",
                )
            disposition = _choice(
                item.get("disposition"), Disposition.choices, f"{prefix}.disposition"
            )
            condition = _choice(
                item.get("condition"),
                ReturnLine.Condition.choices,
                f"{prefix}.condition",
                blank=True,
            )
            note = (item.get("note") or "").strip()[:500]
            decisions[line.pk] = (disposition, condition, note)
        missing = [ln for ln in return_lines if ln.quantity_received and ln.pk not in decisions]
        if missing:
            raise ReturnInvalid(
                _("Every received line needs a disposition; line #%(line)s (%(sku)s) has none.")
                % {"line": missing[0].order_line.line_no, "sku": missing[0].order_line.sku},
                field="lines",
            )
        in_stock = rma.receive_into == ReturnRequest.ReceiveInto.STOCK
        decided = [line for line in return_lines if line.pk in decisions]
        restocked = [ln for ln in decided if decisions[ln.pk][0] == Disposition.RESTOCK]
        taken_out = [ln for ln in decided if decisions[ln.pk][0] != Disposition.RESTOCK]
        _lock_stock(
            rma.warehouse,
            receive=[] if in_stock else [ln.order_line.product for ln in restocked],
            change=[ln.order_line.product for ln in taken_out] if in_stock else [],
        )
        for line in decided:
            disposition, condition, note = decisions[line.pk]
            product, units = line.order_line.product, line.quantity_received
            if disposition == Disposition.RESTOCK and in_stock:
                # In stock since the receipt, unannounced: free for sale from now.
                stock_receipt_announce(
                    warehouse_id=rma.warehouse_id, product_id=product.pk, quantity=units
                )
            elif disposition == Disposition.RESTOCK:
                stock_receive(
                    warehouse=rma.warehouse,
                    product=product,
                    quantity=units,
                    kind=StockMove.Kind.RETURN,
                    reference=rma.number,
                    note=_("Restocked after inspection"),
                    actor=actor,
                )
            elif disposition == Disposition.SCRAP and in_stock:
                stock_adjust(
                    warehouse=rma.warehouse,
                    product=product,
                    quantity=-units,
                    kind=StockMove.Kind.SCRAP,
                    reference=rma.number,
                    note=note or _("Scrapped after inspection"),
                    actor=actor,
                )
            elif disposition == Disposition.REPAIR:
                for _unit in range(units):
                    repair = _repair(rma, line, note, actor)
                    if in_stock:
                        stock_adjust(
                            warehouse=rma.warehouse,
                            product=product,
                            quantity=-1,
                            kind=StockMove.Kind.ADJUSTMENT,
                            reference=repair.number,
                            note=_("Sent to repair %(repair)s from %(number)s")
                            % {"repair": repair.number, "number": rma.number},
                            actor=actor,
                        )
            line.disposition = disposition
            line.condition = condition or line.condition
            line.inspection_note = note
            line.save(update_fields=["disposition", "condition", "inspection_note"])
        rma.inspected_at = now
        _transition(rma, Status.INSPECTED, actor=actor, fields=["inspected_at"])
    return rma


# --- Settlement ------------------------------------------------------------------


def _amount(value, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ReturnInvalid(_("Enter an amount of money."), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise ReturnInvalid(_("The amount must be greater than zero."), field=field)
    if amount != amount.quantize(CENTS):
        raise ReturnInvalid(_("The amount has at most two decimal places."), field=field)
    return amount


@transaction.atomic
def return_refund(
    *, rma: ReturnRequest, amount=None, reason: str = "", actor=None
) -> ReturnRequest:
    """Give the money back for what was received: by default its value (unit
    price less the line discount's share, per unit received), or a smaller
    amount. Recorded as a Refund of the order referencing the return; the
    order's refunds never exceed its payments (409 otherwise, nothing written)."""
    with lock_timeout():
        order, _lines, rma = _lock(rma)
        _check_allowed(rma, Status.REFUNDED)
        value = returned_value(rma)
        amount = value if amount is None else _amount(amount)
        if amount > value:
            raise ReturnInvalid(
                _(
                    "At most %(currency)s %(value)s, the value of the goods received, "
                    "can be refunded."
                )
                % {"currency": order.currency, "value": value},
                field="amount",
            )
        reason = (reason or "").strip() or _("Return %(number)s") % {"number": rma.number}
        if amount > 0:
            order_refund(
                order=order, amount=amount, reason=reason, reference=rma.number, actor=actor
            )
        rma.refund_amount = amount
        rma.completed_at = timezone.now()
        _transition(
            rma,
            Status.REFUNDED,
            actor=actor,
            reason=f"{order.currency} {amount}",
            fields=["refund_amount", "completed_at"],
        )
    return rma


@transaction.atomic
def return_exchange(*, rma: ReturnRequest, actor=None) -> ReturnRequest:
    """Send replacement goods: a new order on the same channel, for the same
    customer and address, of the replacement product (or the same one) times
    the units received - the same product at its original price and
    discount, another at its list price. The price difference is the
    replacement's value less the returned goods' value: below zero it is
    refunded on the original order; above zero the customer pays it on the
    replacement order, whose payment already holds the returned goods' value
    as an exchange credit. The credit moves money from the original order to
    the replacement: it is recorded as a refund of the original order
    (reference: the return), so what can still be refunded across both
    orders never exceeds what the customer paid; 409 `refund_exceeds_paid`
    when the original order has not that much paid and not yet refunded
    (nothing is written). The new order's channel reference is the return
    number, so a retried call can never make two."""
    with lock_timeout():
        order, _lines, rma = _lock(rma)
        _check_allowed(rma, Status.EXCHANGED)
        received = [
            ln
            for ln in rma.lines.select_related("order_line__product", "replacement_product")
            if ln.quantity_received
        ]
        if not received:
            raise ReturnConflict(_("Nothing was received to exchange."), field="status")
        inputs = []
        for line in received:
            original, units = line.order_line, line.quantity_received
            product = line.replacement_product or original.product
            if product.pk == original.product_id:
                inputs.append(
                    LineInput(
                        product=product,
                        quantity=units,
                        unit_price=original.unit_price,
                        discount=discount_share(original, units, before=received_before(rma, line)),
                    )
                )
            else:
                inputs.append(
                    LineInput(product=product, quantity=units, unit_price=product.list_price)
                )
        returned = returned_value(rma)
        replacement = sum(
            ((i.unit_price * i.quantity).quantize(CENTS) - i.discount for i in inputs),
            Decimal("0.00"),
        )
        difference = replacement - returned
        credit = min(returned, replacement)
        refunded = -difference if difference < 0 else Decimal("0")
        # Checked before anything is written, with words for an exchange.
        left = order_refundable(order)
        if credit + refunded > left:
            raise RefundExceedsPaid(
                _(
                    "The exchange takes %(currency)s %(needed)s, the value of the goods "
                    "returned, from the payments of order %(order)s, but only %(left)s of "
                    "them is paid and not refunded."
                )
                % {
                    "currency": order.currency,
                    "needed": credit + refunded,
                    "order": order.number,
                    "left": left,
                },
                field="status",
            )
        names = {"number": rma.number, "currency": order.currency, "amount": abs(difference)}
        if difference > 0:
            note = (
                _(
                    "Exchange %(number)s: the customer pays the difference of "
                    "%(currency)s %(amount)s."
                )
                % names
            )
        elif difference < 0:
            note = (
                _("Exchange %(number)s: %(currency)s %(amount)s refunded on the original order.")
                % names
            )
        else:
            note = _("Exchange %(number)s: no price difference.") % names
        new_order, created = order_create(
            channel=order.channel,
            customer={"code": order.customer.code},
            shipping_address=order.shipping_address or {},
            lines=inputs,
            external_ref=rma.number,
            currency=order.currency,
            note=note,
            actor=actor,
        )
        if created and credit > 0:
            # The credit leaves the original order as it pays the replacement.
            order_refund(
                order=order,
                amount=credit,
                reason=_("Exchange credit for replacement order %(replacement)s")
                % {"replacement": new_order.number},
                reference=rma.number,
                actor=actor,
            )
            order_payment_record(
                order=new_order,
                amount=credit,
                method="exchange",
                reference=rma.number,
                actor=actor,
            )
        if refunded > 0:
            order_refund(
                order=order,
                amount=refunded,
                reason=_("Price difference of exchange %(number)s") % {"number": rma.number},
                reference=rma.number,
                actor=actor,
            )
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            reason=(
                _("Exchanged under %(number)s: replacement order %(replacement)s.")
                % {"number": rma.number, "replacement": new_order.number}
            )[:500],
            actor=acting_person(actor),
            visible_to_customer=True,
        )
        rma.replacement_order = new_order
        rma.price_difference = difference
        rma.refund_amount = refunded
        rma.completed_at = timezone.now()
        _transition(
            rma,
            Status.EXCHANGED,
            actor=actor,
            reason=note,
            fields=["replacement_order", "price_difference", "refund_amount", "completed_at"],
        )
    return rma
