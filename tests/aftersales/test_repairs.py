"""Repair work orders: warranty from the purchase date and the product's
months, spare parts out of stock through REPAIR_CONSUMPTION moves (never the
reserved units), labour, and the cost split covered / charged."""

import re
import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest

from aftersales.models import (
    RepairEvent,
    RepairOrder,
    RepairPart,
    ReturnLine,
    ReturnRequest,
    Ticket,
    TicketEvent,
)
from aftersales.services.repairs import (
    RepairConflict,
    RepairInvalid,
    RepairTransitionNotAllowed,
    add_months,
    repair_assign_technician,
    repair_cancel,
    repair_complete,
    repair_create,
    repair_diagnose,
    repair_labour_record,
    repair_part_add,
    repair_return_to_customer,
    repair_transition,
)
from inventory.models import StockLevel, StockMove
from inventory.services import InsufficientStock, stock_receive, stock_reserve
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def make_ticket(customer, kind="repair", assignee=None) -> Ticket:
    return Ticket.objects.create(
        number=f"TK-{secrets.token_hex(4)}",
        subject="Kettle does not heat",
        customer=customer,
        kind=kind,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        assignee=assignee,
    )


@pytest.fixture
def bench(frozen_clock, make_user):
    """A kettle with 12 months' warranty, a heating element (list price 50)
    with 5 in stock at SP01 received at 30, a customer with a ticket, and a
    technician (an after-sales agent). Today is 2026-11-27."""
    warehouse = WarehouseFactory(code="SP01")
    kettle = ProductFactory(sku="KETTLE-1", list_price=Decimal("300"), warranty_months=12)
    element = ProductFactory(sku="ELEM-1", list_price=Decimal("50"), unit_cost=Decimal("0"))
    stock_receive(warehouse=warehouse, product=element, quantity=5, unit_cost=Decimal("30"))
    customer = CustomerFactory(name="王芳")
    return {
        "clock": frozen_clock,
        "warehouse": warehouse,
        "kettle": kettle,
        "element": element,
        "customer": customer,
        "ticket": make_ticket(customer),
        "tech": make_user("aftersales_agent", username="tech"),
    }


def open_repair(bench, purchase_date=date(2026, 6, 1), **kwargs) -> RepairOrder:
    values = {
        "customer": bench["customer"],
        "product": bench["kettle"],
        "fault_description": "Does not heat up.",
        "serial_number": "SN-0001",
        "purchase_date": purchase_date,
        "ticket": bench["ticket"],
        "parts_warehouse": bench["warehouse"],
    }
    return repair_create(**{**values, **kwargs})


def work_on(bench, repair, *, void_reason="") -> RepairOrder:
    """Diagnose, fit two elements (list price 50) and record 1.5 h at 80."""
    repair_diagnose(
        repair=repair, diagnosis="Heating element burnt out.", warranty_void_reason=void_reason
    )
    repair_transition(repair=repair, to_status=Status.REPAIRING)
    repair_part_add(repair=repair, product=bench["element"], quantity=2)
    repair_labour_record(repair=repair, hours=Decimal("1.5"))
    repair.refresh_from_db()
    return repair


def test_repair_number_labour_rate_and_warranty_dates(bench):
    repair = open_repair(bench)
    assert re.fullmatch(r"RP-20261127-\d{5}", repair.number)
    assert repair.number == f"RP-20261127-{repair.pk:05d}"
    assert repair.status == Status.REPORTED
    assert repair.labour_rate == Decimal("80.00")
    assert (repair.warranty_months, repair.warranty_until) == (12, date(2027, 6, 1))
    assert repair.in_warranty is True
    assert repair.ticket == bench["ticket"]
    event = RepairEvent.objects.get(repair=repair)
    assert (event.from_status, event.to_status) == ("", Status.REPORTED)
    linked = TicketEvent.objects.get(ticket=bench["ticket"], kind=TicketEvent.Kind.LINKED)
    assert linked.to_value == repair.number


def test_in_warranty_the_warranty_covers_parts_and_labour(bench):
    repair = work_on(bench, open_repair(bench))
    # 2 × 50.00 + 1.5 h × 80.00 = 100.00 + 120.00 = 220.00, all of it covered.
    assert repair.parts_price == Decimal("100.00")
    assert repair.labour_amount == Decimal("120.00")
    assert repair.total_amount == Decimal("220.00")
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("220.00"), Decimal("0.00"))
    assert repair.parts_cost == Decimal("60.00")  # 2 × 30.00 moving average


def test_out_of_warranty_the_customer_pays_everything(bench):
    # Bought 2025-10-01: 12 months end 2026-10-01, before today (2026-11-27).
    repair = work_on(bench, open_repair(bench, purchase_date=date(2025, 10, 1)))
    assert repair.warranty_until == date(2026, 10, 1)
    assert repair.in_warranty is False
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("0.00"), Decimal("220.00"))


def test_a_void_reason_puts_the_repair_out_of_warranty_and_back(bench):
    repair = work_on(bench, open_repair(bench), void_reason="Dropped: the housing is cracked.")
    assert repair.in_warranty is False
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("0.00"), Decimal("220.00"))
    repair = repair_diagnose(repair=repair, diagnosis="Element burnt out; housing fine.")
    assert repair.in_warranty is True and repair.warranty_void_reason == ""
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("220.00"), Decimal("0.00"))


def test_no_purchase_date_or_no_warranty_months_is_out_of_warranty(bench):
    assert open_repair(bench, purchase_date=None).in_warranty is False
    bench["kettle"].warranty_months = 0
    bench["kettle"].save()
    repair = open_repair(bench)
    assert (repair.warranty_until, repair.in_warranty) == (None, False)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 5, 15), 12, date(2026, 5, 15)),
        (date(2025, 12, 31), 24, date(2027, 12, 31)),
    ],
)
def test_calendar_months_are_month_end_safe(start, months, end):
    assert add_months(start, months) == end


def test_warranty_runs_from_the_order_placed_date_to_the_last_day(
    bench, world, stock, place, make_user
):
    clock = bench["clock"]
    clock.set(2026, 1, 31, 20, 0)  # placed the evening of 31 January (Shanghai)
    stock("sh", "tea", 5)
    tea = world["tea"]
    tea.warranty_months = 1
    tea.save()
    order = place(("tea", 1))
    line = order.lines.get()
    clock.set(2026, 2, 28, 23, 30)  # the last day: 1 month from 31 January
    inside = repair_create(
        customer=order.customer, product=tea, fault_description="Leaks.", order_line=line
    )
    assert inside.purchase_date == date(2026, 1, 31)
    assert inside.warranty_until == date(2026, 2, 28)
    assert inside.in_warranty is True
    assert inside.ticket.kind == Ticket.Kind.REPAIR  # a repair ticket was opened for it
    assert inside.ticket.order == order
    clock.set(2026, 3, 1, 0, 30)  # one day late
    outside = repair_create(
        customer=order.customer, product=tea, fault_description="Leaks.", order_line=line
    )
    assert outside.in_warranty is False


def test_without_a_ticket_a_repair_ticket_is_opened_and_linked(bench):
    repair = repair_create(
        customer=bench["customer"],
        product=bench["kettle"],
        fault_description="Does not heat up.",
        purchase_date=date(2026, 6, 1),
    )
    ticket = repair.ticket
    assert (ticket.kind, ticket.customer) == (Ticket.Kind.REPAIR, bench["customer"])
    assert repair.number in ticket.subject
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value=repair.number).exists()


def test_order_line_must_be_the_customers_and_for_the_product(bench, world, stock, place):
    stock("sh", "tea", 5)
    order = place(("tea", 1))
    line = order.lines.get()
    with pytest.raises(RepairInvalid) as error:
        repair_create(
            customer=bench["customer"],
            product=world["tea"],
            fault_description="Leaks.",
            order_line=line,
        )
    assert error.value.field == "order_line" and error.value.status_code == 400
    with pytest.raises(RepairInvalid) as error:
        repair_create(
            customer=order.customer,
            product=bench["kettle"],
            fault_description="Leaks.",
            order_line=line,
        )
    assert error.value.field == "order_line"
    assert "TEA-1" in error.value.message
    assert not RepairOrder.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fault_description": "   "}, "fault_description"),
        ({"purchase_date": date(2026, 11, 28)}, "purchase_date"),
        ({"serial_number": "X" * 65}, "serial_number"),
    ],
)
def test_bad_input_names_the_field(bench, kwargs, field):
    values = {
        "customer": bench["customer"],
        "product": bench["kettle"],
        "fault_description": "Does not heat up.",
        "ticket": bench["ticket"],
        **kwargs,
    }
    with pytest.raises(RepairInvalid) as error:
        repair_create(**values)
    assert error.value.field == field
    assert not RepairOrder.objects.exists()


def test_another_customers_ticket_or_a_user_who_cannot_repair_is_refused(bench, make_user):
    with pytest.raises(RepairInvalid) as error:
        open_repair(bench, ticket=make_ticket(CustomerFactory()))
    assert error.value.field == "ticket"
    with pytest.raises(RepairInvalid) as error:
        open_repair(bench, technician=make_user("warehouse"))
    assert error.value.field == "technician"


def test_parts_leave_stock_with_a_repair_consumption_move(bench):
    element, warehouse = bench["element"], bench["warehouse"]
    # A second receipt at 40: the moving average becomes (5×30 + 5×40) / 10 = 35.
    stock_receive(warehouse=warehouse, product=element, quantity=5, unit_cost=Decimal("40"))
    repair = open_repair(bench)
    repair_diagnose(repair=repair, diagnosis="Element burnt out.")
    part = repair_part_add(repair=repair, product=element, quantity=3, actor=bench["tech"])
    level = StockLevel.objects.get(warehouse=warehouse, product=element)
    assert (level.on_hand, level.reserved) == (7, 0)
    move = StockMove.objects.get(kind=StockMove.Kind.REPAIR_CONSUMPTION)
    assert (move.quantity, move.reference, move.on_hand_after) == (-3, repair.number, 7)
    assert move.actor == bench["tech"]
    assert part.stock_move == move
    assert (part.unit_cost, part.unit_price) == (Decimal("35.0000"), Decimal("50.00"))
    repair.refresh_from_db()
    assert (repair.parts_price, repair.parts_cost) == (Decimal("150.00"), Decimal("105.00"))
    assert repair.events.filter(reason__contains="ELEM-1").exists()


def test_reserved_stock_is_never_taken(bench):
    element, warehouse = bench["element"], bench["warehouse"]
    level = StockLevel.objects.get(warehouse=warehouse, product=element)
    assert stock_reserve(level_id=level.pk, quantity=4)  # 5 on hand, 4 held for orders
    repair = open_repair(bench)
    repair_diagnose(repair=repair, diagnosis="Element burnt out.")
    events = repair.events.count()
    with pytest.raises(InsufficientStock) as error:
        repair_part_add(repair=repair, product=element, quantity=2)
    assert error.value.status_code == 409
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (5, 4)
    assert not StockMove.objects.filter(kind=StockMove.Kind.REPAIR_CONSUMPTION).exists()
    assert not RepairPart.objects.exists()
    assert repair.events.count() == events
    repair.refresh_from_db()
    assert repair.parts_price == Decimal("0")
    # The one free unit may be taken.
    repair_part_add(repair=repair, product=element, quantity=1)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 4)


def test_a_part_from_a_warehouse_without_the_part_is_refused(bench):
    repair = open_repair(bench)
    repair_diagnose(repair=repair, diagnosis="Element burnt out.")
    with pytest.raises(InsufficientStock):
        repair_part_add(
            repair=repair, product=bench["element"], quantity=1, warehouse=WarehouseFactory()
        )
    assert not RepairPart.objects.exists()


def test_parts_and_labour_only_on_the_bench(bench):
    repair = open_repair(bench)
    with pytest.raises(RepairConflict):
        repair_part_add(repair=repair, product=bench["element"], quantity=1)
    with pytest.raises(RepairConflict):
        repair_labour_record(repair=repair, hours=1)
    with pytest.raises(RepairInvalid) as error:
        repair_labour_record(repair=repair, hours="-1")
    assert error.value.field == "hours"
    with pytest.raises(RepairInvalid) as error:
        repair_part_add(repair=repair, product=bench["element"], quantity=0)
    assert error.value.field == "quantity"
    assert StockLevel.objects.get(product=bench["element"]).on_hand == 5


def test_transitions_outside_the_table_are_refused(bench):
    repair = open_repair(bench)
    with pytest.raises(RepairTransitionNotAllowed) as error:
        repair_transition(repair=repair, to_status=Status.REPAIRING)
    assert error.value.status_code == 409
    with pytest.raises(RepairTransitionNotAllowed):
        repair_complete(repair=repair)
    with pytest.raises(RepairTransitionNotAllowed):
        repair_return_to_customer(repair=repair)
    repair.refresh_from_db()
    assert repair.status == Status.REPORTED
    assert repair.events.count() == 1


def test_the_whole_way_with_timeline(bench):
    tech = bench["tech"]
    repair = open_repair(bench)
    repair_assign_technician(repair=repair, technician=tech, actor=tech)
    work_on(bench, repair)
    repair_transition(repair=repair, to_status=Status.WAITING_PARTS, reason="Second element")
    repair_transition(repair=repair, to_status=Status.REPAIRING)
    bench["clock"].advance(hours=2)
    repair = repair_complete(repair=repair, note="Tested: heats to 100 °C.", actor=tech)
    assert repair.status == Status.DONE and repair.done_at == bench["clock"].now
    with pytest.raises(RepairConflict):
        repair_labour_record(repair=repair, hours=3)
    with pytest.raises(RepairTransitionNotAllowed):
        repair_cancel(repair=repair, reason="Changed my mind")
    repair = repair_return_to_customer(repair=repair, note="Sent back", tracking_number="SF123")
    assert repair.status == Status.RETURNED and repair.returned_at is not None
    steps = [
        (e.from_status, e.to_status) for e in repair.events.all() if e.from_status != e.to_status
    ]
    assert steps == [
        ("", Status.REPORTED),
        (Status.REPORTED, Status.DIAGNOSING),
        (Status.DIAGNOSING, Status.REPAIRING),
        (Status.REPAIRING, Status.WAITING_PARTS),
        (Status.WAITING_PARTS, Status.REPAIRING),
        (Status.REPAIRING, Status.DONE),
        (Status.DONE, Status.RETURNED),
    ]
    assert "SF123" in repair.events.last().reason
    assert repair.technician == tech
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("220.00"), Decimal("0.00"))


def test_cancel_needs_a_reason_and_keeps_the_parts_consumed(bench):
    repair = open_repair(bench)
    repair_diagnose(repair=repair, diagnosis="Element burnt out.")
    repair_part_add(repair=repair, product=bench["element"], quantity=1)
    with pytest.raises(RepairInvalid) as error:
        repair_cancel(repair=repair, reason=" ")
    assert error.value.field == "reason"
    repair = repair_cancel(repair=repair, reason="The customer declined the quote.")
    assert repair.status == Status.CANCELLED
    assert StockLevel.objects.get(product=bench["element"]).on_hand == 4
    with pytest.raises(RepairConflict):
        repair_assign_technician(repair=repair, technician=bench["tech"])


def test_labour_rate_is_fixed_when_the_repair_is_opened(bench, settings):
    repair = open_repair(bench)
    settings.REPAIR_LABOUR_RATE = "100.00"
    repair_diagnose(repair=repair, diagnosis="Element burnt out.")
    repair = repair_labour_record(repair=repair, hours=Decimal("2"))
    assert repair.labour_amount == Decimal("160.00")
    assert open_repair(bench).labour_rate == Decimal("100.00")


def test_report_date_late_in_the_evening_counts_in_shanghai_time(bench):
    # 2026-06-01 + 12 months = 2027-06-01; 23:59 Shanghai is still that day.
    bench["clock"].set(2027, 6, 1, 23, 59)
    assert open_repair(bench).in_warranty is True
    bench["clock"].advance(minutes=2)
    assert open_repair(bench).in_warranty is False


def test_purchase_date_today_is_allowed(bench):
    assert open_repair(bench, purchase_date=date(2026, 11, 27)).in_warranty is True
    assert open_repair(bench, purchase_date=date(2026, 11, 27) - timedelta(days=1)).in_warranty


# --- Repairs of returned units, purchase date of an order line --------------------


@pytest.fixture
def returned(bench, world, stock, place):
    """A TEA-1 bought 2024-03-05 (12 months' warranty: long over) that came
    back on return RMA-20261127-00001, whose customer was refunded for it."""
    bench["clock"].set(2024, 3, 5, 11, 0)
    stock("sh", "tea", 5)
    tea = world["tea"]
    tea.warranty_months = 12
    tea.save()
    order = place(("tea", 1))
    bench["clock"].set(2026, 11, 27, 10, 0)
    rma = ReturnRequest.objects.create(
        number="RMA-20261127-00001",
        kind=ReturnRequest.Kind.RETURN,
        order=order,
        customer=order.customer,
        reason="Does not heat.",
    )
    line = ReturnLine.objects.create(request=rma, order_line=order.lines.get(), quantity=1)
    return {"order": order, "tea": tea, "rma": rma, "line": line}


def repair_of(bench, returned, **kwargs) -> RepairOrder:
    order = returned["order"]
    values = {
        "customer": order.customer,
        "product": returned["tea"],
        "fault_description": "Returned as faulty.",
        "order_line": order.lines.get(),
        "parts_warehouse": bench["warehouse"],
    }
    return repair_create(**{**values, **kwargs})


def test_a_repair_of_a_returned_unit_is_internal_and_charges_nothing(bench, returned):
    # The way the returns service opens it: the order line, the return line, the order's date.
    repair = repair_of(
        bench, returned, return_line=returned["line"], purchase_date=date(2024, 3, 5)
    )
    assert repair.ticket is None  # the return has none: no ticket is opened for our own unit
    assert not Ticket.objects.filter(kind=Ticket.Kind.REPAIR).exclude(pk=bench["ticket"].pk)
    assert "RMA-20261127-00001" in RepairEvent.objects.get(repair=repair).reason
    repair = work_on(bench, repair, void_reason="Dropped in the warehouse.")
    assert repair.in_warranty is False
    # The company's cost stays recorded; nothing is charged to the refunded customer.
    assert (repair.parts_price, repair.parts_cost, repair.labour_amount) == (
        Decimal("100.00"),
        Decimal("60.00"),
        Decimal("120.00"),
    )
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("0.00"), Decimal("0.00"))
    repair_complete(repair=repair)
    repair.refresh_from_db()
    assert (repair.covered_amount, repair.charged_amount) == (Decimal("0.00"), Decimal("0.00"))
    # The same unit brought in by the customer (no return) is charged: out of warranty.
    theirs = work_on(bench, repair_of(bench, returned))
    assert (theirs.covered_amount, theirs.charged_amount) == (Decimal("0.00"), Decimal("220.00"))


def test_with_an_order_line_the_purchase_date_is_the_orders(bench, returned):
    # Bought 2024-03-05: out of warranty. Another date would move it into warranty.
    with pytest.raises(RepairInvalid) as error:
        repair_of(bench, returned, purchase_date=date(2026, 6, 1))
    assert (error.value.field, error.value.status_code) == ("purchase_date", 400)
    assert "2024-03-05" in error.value.message
    assert not RepairOrder.objects.exists() and Ticket.objects.count() == 1  # bench's
    same = repair_of(bench, returned, purchase_date=date(2024, 3, 5))
    assert (same.purchase_date, same.in_warranty) == (date(2024, 3, 5), False)
    assert repair_of(bench, returned).purchase_date == date(2024, 3, 5)
