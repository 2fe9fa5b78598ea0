"""Repair work orders (维修单): open one for a product with a fault, decide
the warranty from the purchase date, diagnose, take spare parts out of stock
(REPAIR_CONSUMPTION moves), record labour, and split the cost between what
the warranty covers and what the customer pays.

Every write locks the repair row first (then, through inventory, the stock
level), so two technicians working on one repair or two repairs taking the
last spare part are serialised; status changes go through one transition
function that checks REPAIR_TRANSITIONS and writes a RepairEvent."""

import calendar
import secrets
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import (
    REPAIR_TRANSITIONS,
    RepairEvent,
    RepairOrder,
    RepairPart,
    Ticket,
    TicketEvent,
)
from erp.core.db import lock_timeout
from erp.core.errors import DomainError
from erp.core.services import acting_person
from inventory.models import Product, StockMove
from inventory.services.stock import stock_adjust

Status = RepairOrder.Status
CENT = Decimal("0.01")
# Where work on the repair happens: parts, labour and the diagnosis are
# recorded only while the repair is on the bench.
ON_THE_BENCH = (Status.DIAGNOSING, Status.WAITING_PARTS, Status.REPAIRING)
FINISHED = (Status.DONE, Status.RETURNED, Status.CANCELLED)
MAX_LABOUR_HOURS = Decimal("9999.99")


class RepairInvalid(DomainError):
    """Bad input: answered 400 with the field it concerns."""

    status_code = 400
    code = "invalid"


class RepairConflict(DomainError):
    """The repair's status does not allow it (409)."""

    status_code = 409
    code = "conflict"


class RepairTransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later; the month's last day when
    that month is shorter (31 January + 1 month = 28/29 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def warranty_until(purchase_date: date | None, months: int) -> date | None:
    """The last day the warranty covers; None without a purchase date or warranty."""
    if purchase_date is None or months <= 0:
        return None
    return add_months(purchase_date, months)


def is_internal(repair: RepairOrder) -> bool:
    """A unit that came back on a return and was sent to repair: the customer
    was refunded or replaced for it, so it is the company's own refurbishment."""
    return repair.return_line_id is not None


def _in_warranty(repair: RepairOrder) -> bool:
    """Reported on or before the warranty's last day, and not voided; never
    for an internal repair (the warranty is the customer's, the unit is ours)."""
    if is_internal(repair) or repair.warranty_until is None or repair.warranty_void_reason:
        return False
    return timezone.localdate(repair.reported_at) <= repair.warranty_until


def repair_for_update(repair_id: int) -> RepairOrder:
    return (
        RepairOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "product", "parts_warehouse")
        .get(pk=repair_id)
    )


def _event(repair: RepairOrder, *, from_status: str, to_status: str, reason: str, actor) -> None:
    RepairEvent.objects.create(
        repair=repair,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        actor=acting_person(actor),
    )


def _note(repair: RepairOrder, reason: str, actor) -> None:
    """A timeline row for work that does not change the status."""
    _event(repair, from_status=repair.status, to_status=repair.status, reason=reason, actor=actor)


def _link_ticket(ticket: Ticket, repair: RepairOrder, actor) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.LINKED,
        to_value=repair.number,
        reason=_("Repair %(number)s opened.") % {"number": repair.number},
        actor=acting_person(actor),
    )


def repair_recost(repair: RepairOrder) -> RepairOrder:
    """Parts at list price and at cost, labour, and who pays: all of it is
    covered in warranty (unless voided), all of it is charged outside. An
    internal repair (of a returned unit) is neither: nothing is covered or
    charged, the parts cost and labour stay recorded as the company's cost.
    The caller holds the repair's lock; saves the figures."""
    parts_price = parts_cost = Decimal("0")
    for quantity, unit_price, unit_cost in repair.parts.values_list(
        "quantity", "unit_price", "unit_cost"
    ):
        parts_price += quantity * unit_price
        parts_cost += quantity * unit_cost
    repair.parts_price = parts_price.quantize(CENT, rounding=ROUND_HALF_UP)
    repair.parts_cost = parts_cost.quantize(CENT, rounding=ROUND_HALF_UP)
    repair.labour_amount = (repair.labour_hours * repair.labour_rate).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    repair.in_warranty = _in_warranty(repair)
    total = repair.parts_price + repair.labour_amount
    if is_internal(repair):
        repair.covered_amount, repair.charged_amount = Decimal("0.00"), Decimal("0.00")
    elif repair.in_warranty:
        repair.covered_amount, repair.charged_amount = total, Decimal("0.00")
    else:
        repair.covered_amount, repair.charged_amount = Decimal("0.00"), total
    repair.save(
        update_fields=[
            "parts_price",
            "parts_cost",
            "labour_amount",
            "in_warranty",
            "covered_amount",
            "charged_amount",
            "updated_at",
        ]
    )
    return repair


def _check_technician(technician) -> None:
    if technician is None:
        return
    if not technician.is_active or not technician.has_perm("aftersales.change_repairorder"):
        raise RepairInvalid(
            _("%(user)s may not work on repairs.") % {"user": technician.get_username()},
            field="technician",
        )


@transaction.atomic
def repair_create(
    *,
    customer,
    product: Product,
    fault_description: str,
    serial_number: str = "",
    order_line=None,
    ticket: Ticket | None = None,
    return_line=None,
    purchase_date: date | None = None,
    technician=None,
    parts_warehouse=None,
    actor=None,
    channel: str = Ticket.Channel.PHONE,
) -> RepairOrder:
    """A repair reported now. The purchase date is the order's when an order
    line is given (a different explicit one is refused); the warranty runs the
    product's months from it. Without a ticket (and not from a return), a
    repair ticket is opened for it. A repair of a returned unit (`return_line`)
    is internal: nothing is charged to the customer."""
    fault_description = (fault_description or "").strip()
    if not fault_description:
        raise RepairInvalid(_("Describe the fault."), field="fault_description")
    serial_number = (serial_number or "").strip()
    if len(serial_number) > 64:
        raise RepairInvalid(_("A serial number has at most 64 characters."), field="serial_number")
    if return_line is not None:
        request = return_line.request
        if request.customer_id != customer.pk:
            raise RepairInvalid(
                _("Return %(number)s is not this customer's.") % {"number": request.number},
                field="return_line",
            )
        if order_line is None:
            order_line = return_line.order_line
        elif order_line.pk != return_line.order_line_id:
            raise RepairInvalid(
                _("The return line is for another order line."), field="return_line"
            )
        if ticket is None:
            ticket = request.ticket
    if order_line is not None:
        order = order_line.order
        if order.customer_id != customer.pk:
            raise RepairInvalid(
                _("Order %(number)s is not this customer's.") % {"number": order.number},
                field="order_line",
            )
        if order_line.product_id != product.pk:
            raise RepairInvalid(
                _("Line %(line)s of order %(number)s is for %(sku)s, not %(product)s.")
                % {
                    "line": order_line.line_no,
                    "number": order.number,
                    "sku": order_line.sku,
                    "product": product.sku,
                },
                field="order_line",
            )
        placed = timezone.localdate(order.placed_at)
        if purchase_date is not None and purchase_date != placed:
            raise RepairInvalid(
                _(
                    "The product was bought with order %(number)s: the purchase date is "
                    "%(date)s, the day the order was placed."
                )
                % {"number": order.number, "date": placed.isoformat()},
                field="purchase_date",
            )
        purchase_date = placed
    now = timezone.now()
    if purchase_date is not None and purchase_date > timezone.localdate(now):
        raise RepairInvalid(_("The purchase date cannot be in the future."), field="purchase_date")
    if ticket is not None and ticket.customer_id != customer.pk:
        raise RepairInvalid(
            _("Ticket %(number)s is not this customer's.") % {"number": ticket.number},
            field="ticket",
        )
    _check_technician(technician)
    if parts_warehouse is not None and not parts_warehouse.active:
        raise RepairInvalid(
            _("Warehouse %(code)s is not active.") % {"code": parts_warehouse.code},
            field="parts_warehouse",
        )
    months = product.warranty_months
    repair = RepairOrder.objects.create(
        number=f"tmp-{secrets.token_hex(8)}",
        customer=customer,
        product=product,
        serial_number=serial_number,
        order_line=order_line,
        return_line=return_line,
        fault_description=fault_description,
        purchase_date=purchase_date,
        warranty_months=months,
        warranty_until=warranty_until(purchase_date, months),
        technician=technician,
        parts_warehouse=parts_warehouse,
        labour_rate=Decimal(str(settings.REPAIR_LABOUR_RATE)),
        reported_at=now,
        created_by=acting_person(actor),
    )
    repair.number = f"RP-{timezone.localtime(now):%Y%m%d}-{repair.pk:05d}"
    repair.in_warranty = _in_warranty(repair)
    if ticket is None and return_line is None:
        from aftersales.services.tickets import ticket_create  # the ticket module imports ours

        ticket = ticket_create(
            customer=customer,
            subject=_("Repair %(number)s: %(product)s")
            % {"number": repair.number, "product": product.name},
            kind=Ticket.Kind.REPAIR,
            channel=channel,
            description=fault_description,
            order=order_line.order if order_line is not None else None,
            order_line=order_line,
            actor=actor,
        )
    repair.ticket = ticket
    repair.save(update_fields=["number", "in_warranty", "ticket", "updated_at"])
    _event(
        repair,
        from_status="",
        to_status=Status.REPORTED,
        reason=(
            _("Internal repair of a unit returned with %(number)s: nothing is charged.")
            % {"number": return_line.request.number}
            if return_line is not None
            else _("In warranty until %(date)s.") % {"date": repair.warranty_until}
            if repair.in_warranty
            else _("Out of warranty.")
        ),
        actor=actor,
    )
    if ticket is not None:
        _link_ticket(ticket, repair, actor)
    return repair


def _transition(repair: RepairOrder, to_status: str, *, actor, reason: str) -> RepairOrder:
    """Move a locked repair along REPAIR_TRANSITIONS and record it."""
    from_status = repair.status
    if to_status not in Status.values:
        raise RepairInvalid(_("Unknown status %(status)s.") % {"status": to_status}, field="status")
    if to_status not in REPAIR_TRANSITIONS[from_status]:
        raise RepairTransitionNotAllowed(
            _("A repair that is %(from)s cannot become %(to)s.")
            % {"from": Status(from_status).label, "to": Status(to_status).label},
            field="status",
        )
    reason = (reason or "").strip()
    if to_status == Status.CANCELLED and not reason:
        raise RepairInvalid(_("Say why the repair is cancelled."), field="reason")
    now = timezone.now()
    repair.status = to_status
    fields = ["status", "updated_at"]
    if to_status == Status.DONE:
        repair.done_at = now
        fields.append("done_at")
    elif to_status == Status.RETURNED:
        repair.returned_at = now
        fields.append("returned_at")
    repair.save(update_fields=fields)
    _event(repair, from_status=from_status, to_status=to_status, reason=reason, actor=actor)
    return repair


@transaction.atomic
def repair_transition(
    *, repair: RepairOrder, to_status: str, actor=None, reason: str = ""
) -> RepairOrder:
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        return _transition(repair, to_status, actor=actor, reason=reason)


def _on_the_bench(repair: RepairOrder, what: str) -> None:
    if repair.status not in ON_THE_BENCH:
        raise RepairConflict(
            _("%(what)s cannot be recorded on a repair that is %(status)s.")
            % {"what": what, "status": Status(repair.status).label},
            field="status",
        )


@transaction.atomic
def repair_assign_technician(*, repair: RepairOrder, technician, actor=None) -> RepairOrder:
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        if repair.status in FINISHED:
            raise RepairConflict(
                _("A repair that is %(status)s cannot be reassigned.")
                % {"status": Status(repair.status).label},
                field="status",
            )
        if technician is None:
            raise RepairInvalid(_("Choose a technician."), field="technician")
        _check_technician(technician)
        if repair.technician_id == technician.pk:
            return repair
        repair.technician = technician
        repair.save(update_fields=["technician", "updated_at"])
        _note(
            repair,
            _("Technician: %(user)s.") % {"user": technician.get_username()},
            actor,
        )
        return repair


@transaction.atomic
def repair_diagnose(
    *, repair: RepairOrder, diagnosis: str, warranty_void_reason: str = "", actor=None
) -> RepairOrder:
    """Record what is wrong. A reported repair goes to diagnosing. A void
    reason (a drop, water) puts this repair out of warranty; an empty one
    restores the verdict of the dates."""
    diagnosis = (diagnosis or "").strip()
    if not diagnosis:
        raise RepairInvalid(_("Write the diagnosis."), field="diagnosis")
    warranty_void_reason = (warranty_void_reason or "").strip()
    if len(warranty_void_reason) > 255:
        raise RepairInvalid(
            _("The reason has at most 255 characters."), field="warranty_void_reason"
        )
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        if repair.status == Status.REPORTED:
            _transition(repair, Status.DIAGNOSING, actor=actor, reason="")
        _on_the_bench(repair, _("A diagnosis"))
        repair.diagnosis = diagnosis
        repair.warranty_void_reason = warranty_void_reason
        repair.save(update_fields=["diagnosis", "warranty_void_reason", "updated_at"])
        reason = _("Diagnosis: %(text)s") % {"text": diagnosis}
        if warranty_void_reason:
            reason += " " + _("Warranty void: %(reason)s") % {"reason": warranty_void_reason}
        _note(repair, reason, actor)
        return repair_recost(repair)


@transaction.atomic
def repair_part_add(
    *, repair: RepairOrder, product: Product, quantity: int, warehouse=None, actor=None
) -> RepairPart:
    """Take a spare part out of stock for the repair (never units reserved
    for orders: 409 when too few are free) and charge it at list price."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise RepairInvalid(_("Enter a whole number greater than zero."), field="quantity")
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        _on_the_bench(repair, _("A spare part"))
        warehouse = warehouse or repair.parts_warehouse
        if warehouse is None:
            raise RepairInvalid(_("Choose the warehouse the part comes from."), field="warehouse")
        product = Product.objects.get(pk=product.pk)  # today's moving average and list price
        move = stock_adjust(
            warehouse=warehouse,
            product=product,
            quantity=-quantity,
            kind=StockMove.Kind.REPAIR_CONSUMPTION,
            reference=repair.number,
            note=_("Spare part for repair %(number)s") % {"number": repair.number},
            actor=actor,
        )
        part = RepairPart.objects.create(
            repair=repair,
            product=product,
            warehouse=warehouse,
            quantity=quantity,
            unit_cost=move.unit_cost,
            unit_price=product.list_price,
            stock_move=move,
        )
        _note(
            repair,
            _("Spare part %(sku)s × %(quantity)s from %(warehouse)s.")
            % {"sku": product.sku, "quantity": quantity, "warehouse": warehouse.code},
            actor,
        )
        repair_recost(repair)
        return part


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise RepairInvalid(_("Enter a number of hours."), field="hours") from None
    if not hours.is_finite() or hours < 0 or hours > MAX_LABOUR_HOURS:
        raise RepairInvalid(
            _("Enter between 0 and %(max)s hours.") % {"max": MAX_LABOUR_HOURS}, field="hours"
        )
    if hours != hours.quantize(CENT):
        raise RepairInvalid(_("Enter hours to two decimal places at most."), field="hours")
    return hours.quantize(CENT)


@transaction.atomic
def repair_labour_record(*, repair: RepairOrder, hours, actor=None) -> RepairOrder:
    """Set the labour hours worked on the repair (the total so far)."""
    hours = _hours(hours)
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        _on_the_bench(repair, _("Labour"))
        if repair.labour_hours == hours:
            return repair
        repair.labour_hours = hours
        repair.save(update_fields=["labour_hours", "updated_at"])
        _note(repair, _("Labour: %(hours)s h.") % {"hours": hours}, actor)
        return repair_recost(repair)


@transaction.atomic
def repair_complete(*, repair: RepairOrder, note: str = "", actor=None) -> RepairOrder:
    """The repair is finished (from repairing); the cost split is final."""
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        if not repair.diagnosis and repair.status == Status.REPAIRING:
            raise RepairInvalid(
                _("Write the diagnosis before completing the repair."), field="diagnosis"
            )
        _transition(repair, Status.DONE, actor=actor, reason=note)
        return repair_recost(repair)


@transaction.atomic
def repair_return_to_customer(
    *, repair: RepairOrder, note: str = "", tracking_number: str = "", actor=None
) -> RepairOrder:
    """The repaired product went back to the customer (handed over or shipped)."""
    tracking_number = (tracking_number or "").strip()
    if len(tracking_number) > 64:
        raise RepairInvalid(
            _("A tracking number has at most 64 characters."), field="tracking_number"
        )
    reason = (note or "").strip()
    if tracking_number:
        reason = " ".join(
            filter(None, [reason, _("Tracking number %(number)s.") % {"number": tracking_number}])
        )
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        return _transition(repair, Status.RETURNED, actor=actor, reason=reason)


@transaction.atomic
def repair_cancel(*, repair: RepairOrder, reason: str, actor=None) -> RepairOrder:
    """Stop a repair before it is being repaired. Spare parts already taken
    stay consumed (they were fitted or opened); the cost stays recorded."""
    with lock_timeout():
        repair = repair_for_update(repair.pk)
        return _transition(repair, Status.CANCELLED, actor=actor, reason=reason)
