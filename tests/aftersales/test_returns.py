"""Returns and exchanges (RMA), through the services: the flow end to end
with its stock moves and refunds, what may come back, the return window,
quarantine, repairs, and refunds that can never exceed what was paid."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from aftersales.models import (
    RepairOrder,
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    Ticket,
    TicketEvent,
)
from aftersales.services.returns import (
    ReturnInvalid,
    ReturnTransitionNotAllowed,
    return_approve,
    return_cancel,
    return_exchange,
    return_inspect,
    return_label_issue,
    return_receive,
    return_refund,
    return_reject,
    return_request_create,
    returnable_lines,
)
from inventory.models import StockLevel, StockMove
from logistics.services import shipment_create, shipment_deliver, shipment_dispatch
from orders.models import Order, OrderEvent, Refund
from orders.services import (
    LineInput,
    RefundExceedsPaid,
    order_confirm,
    order_create,
    order_payment_record,
    order_refund,
    order_refundable,
)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

Status = ReturnRequest.Status


@pytest.fixture
def paid(frozen_clock, delivered):
    """The delivered order (3 TEA-1 + 2 CUP-1 at 100.00, total 500.00), paid in full."""
    order_payment_record(order=delivered, amount=Decimal("500.00"), method="alipay")
    delivered.refresh_from_db()
    return delivered


def lines_of(order):
    return {line.sku: line for line in order.lines.all()}


def on_hand(world, warehouse, product):
    return StockLevel.objects.get(warehouse=world[warehouse], product=world[product]).on_hand


def request(order, *wanted, kind="return", reason="不想要了", **kwargs):
    lines = lines_of(order)
    return return_request_create(
        order=order,
        kind=kind,
        reason=reason,
        lines=[
            {"order_line": lines[sku], "quantity": qty, **extra}
            for sku, qty, *rest in wanted
            for extra in [rest[0] if rest else {}]
        ],
        **kwargs,
    )


def through_receipt(rma, world, carrier, receive_into="stock", lines=None):
    return_approve(rma=rma)
    return_label_issue(rma=rma, carrier=carrier, tracking_number="SF-R-1")
    return return_receive(rma=rma, warehouse=world["sh"], receive_into=receive_into, lines=lines)


def test_rma_flow_end_to_end(paid, world, carrier):
    assert paid.payment_status == Order.PaymentStatus.PAID
    assert (on_hand(world, "sh", "tea"), on_hand(world, "sh", "cup")) == (7, 8)

    rma = request(paid, ("TEA-1", 2, {"condition": "unopened"}), ("CUP-1", 1))
    assert rma.number == f"RMA-20261127-{rma.pk:05d}"
    assert rma.status == Status.REQUESTED and rma.customer == paid.customer
    # A return ticket was opened for it and the link recorded on the ticket.
    assert rma.ticket.kind == Ticket.Kind.RETURN and rma.ticket.order == paid
    assert rma.ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value=rma.number).exists()

    rma = return_approve(rma=rma)
    rma = return_label_issue(rma=rma, carrier=carrier, tracking_number="SF-R-1")
    assert rma.status == Status.AWAITING_RECEIPT and rma.return_tracking_number == "SF-R-1"

    rma = return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
    assert rma.status == Status.RECEIVED
    # Back in stock at once, through RETURN moves that name the return.
    assert (on_hand(world, "sh", "tea"), on_hand(world, "sh", "cup")) == (9, 9)
    moves = StockMove.objects.filter(kind=StockMove.Kind.RETURN, reference=rma.number)
    assert sorted((m.product.sku, m.quantity) for m in moves) == [("CUP-1", 1), ("TEA-1", 2)]
    lines = lines_of(paid)
    assert (lines["TEA-1"].quantity_returned, lines["CUP-1"].quantity_returned) == (2, 1)

    rma = return_inspect(
        rma=rma,
        lines=[
            {"line": lines["TEA-1"].line_no, "disposition": "restock", "condition": "unopened"},
            {"line": lines["CUP-1"].line_no, "disposition": "scrap", "note": "杯口破损"},
        ],
    )
    assert rma.status == Status.INSPECTED
    scrap = StockMove.objects.get(kind=StockMove.Kind.SCRAP, reference=rma.number)
    assert (scrap.product.sku, scrap.quantity) == ("CUP-1", -1)
    assert (on_hand(world, "sh", "tea"), on_hand(world, "sh", "cup")) == (9, 8)
    assert ReturnLine.objects.get(request=rma, order_line=lines["CUP-1"]).disposition == "scrap"

    rma = return_refund(rma=rma)
    assert rma.status == Status.REFUNDED and rma.refund_amount == Decimal("300.00")
    refund = Refund.objects.get(order=paid)
    assert (refund.amount, refund.reference) == (Decimal("300.00"), rma.number)
    paid.refresh_from_db()
    assert paid.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    assert OrderEvent.objects.filter(
        order=paid, visible_to_customer=True, reason__contains="300.00"
    ).exists()
    assert list(rma.events.values_list("to_status", flat=True)) == [
        "requested",
        "approved",
        "awaiting_receipt",
        "received",
        "inspected",
        "refunded",
    ]
    call_command("check_stock_ledger")  # every level still equals the sum of its moves


def test_returned_quantity_never_exceeds_delivered_less_returned(paid, world, carrier):
    first = request(paid, ("TEA-1", 3))
    # All three teas are on an open return: not one more may be asked for.
    with pytest.raises(ReturnInvalid) as refused, translation.override("en"):
        request(paid, ("TEA-1", 1))
    assert refused.value.field == "lines[0].quantity"
    assert "3 delivered, 0 returned, 3 in open returns" in refused.value.message
    assert ReturnRequest.objects.count() == 1

    # Received (only two arrived): they count as returned; the third is free again.
    through_receipt(first, world, carrier, lines=[{"line": 1, "quantity": 2}])
    assert lines_of(paid)["TEA-1"].quantity_returned == 2
    second = request(paid, ("TEA-1", 1))
    with pytest.raises(ReturnInvalid) as refused, translation.override("en"):
        request(paid, ("TEA-1", 1))
    assert refused.value.field == "lines[0].quantity"
    assert "3 delivered, 2 returned, 1 in open returns" in refused.value.message
    # Cancelled, its unit may be asked for again.
    return_cancel(rma=second, reason="顾客改主意了")
    assert request(paid, ("TEA-1", 1)).status == Status.REQUESTED


def test_receiving_more_than_requested_is_refused(paid, world, carrier):
    rma = request(paid, ("TEA-1", 2))
    return_approve(rma=rma)
    with pytest.raises(ReturnInvalid) as refused:
        return_receive(
            rma=rma, warehouse=world["sh"], receive_into="stock", lines=[{"line": 1, "quantity": 3}]
        )
    assert refused.value.field == "lines[0].quantity"
    assert not StockMove.objects.filter(reference=rma.number).exists()
    assert lines_of(paid)["TEA-1"].quantity_returned == 0


def test_quarantine_enters_stock_only_when_restocked(paid, world, carrier):
    rma = request(paid, ("TEA-1", 2), ("CUP-1", 1))
    rma = through_receipt(rma, world, carrier, receive_into="quarantine")
    assert rma.receive_into == "quarantine"
    # Held aside: no stock move, no change on hand; yet counted as returned.
    assert not StockMove.objects.filter(reference=rma.number).exists()
    assert (on_hand(world, "sh", "tea"), on_hand(world, "sh", "cup")) == (7, 8)
    assert lines_of(paid)["TEA-1"].quantity_returned == 2

    return_inspect(
        rma=rma,
        lines=[{"line": 1, "disposition": "restock"}, {"line": 2, "disposition": "scrap"}],
    )
    restock = StockMove.objects.get(reference=rma.number)
    assert (restock.kind, restock.product.sku, restock.quantity) == ("return", "TEA-1", 2)
    # The scrapped cup never entered stock, so nothing leaves it either.
    assert (on_hand(world, "sh", "tea"), on_hand(world, "sh", "cup")) == (9, 8)
    call_command("check_stock_ledger")


def test_every_received_line_needs_a_disposition(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 2), ("CUP-1", 1)), world, carrier)
    with pytest.raises(ReturnInvalid) as refused:
        return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    assert refused.value.field == "lines"
    assert "CUP-1" in refused.value.message
    with pytest.raises(ReturnInvalid) as refused:
        return_inspect(
            rma=rma,
            lines=[{"line": 1, "disposition": "burn"}, {"line": 2, "disposition": "scrap"}],
        )
    assert refused.value.field == "lines[0].disposition"
    rma.refresh_from_db()
    assert rma.status == Status.RECEIVED


def test_repair_disposition_opens_a_repair_per_unit_and_takes_it_out_of_stock(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 2)), world, carrier)
    assert on_hand(world, "sh", "tea") == 9
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "repair", "note": "开机无反应"}])
    repairs = list(RepairOrder.objects.filter(return_line__request=rma))
    assert len(repairs) == 2
    assert {r.fault_description for r in repairs} == {"开机无反应"}
    assert all(r.customer == paid.customer and r.ticket == rma.ticket for r in repairs)
    outs = StockMove.objects.filter(kind=StockMove.Kind.ADJUSTMENT, product=world["tea"])
    assert sorted(m.reference for m in outs) == sorted(r.number for r in repairs)
    assert all(m.quantity == -1 for m in outs)
    assert on_hand(world, "sh", "tea") == 7


def test_a_refund_never_exceeds_what_was_paid(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 3)), world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    # 450.00 of the 500.00 went back already (a goodwill refund).
    order_refund(order=paid, amount=Decimal("450.00"), reason="补偿")
    with pytest.raises(RefundExceedsPaid) as refused:
        return_refund(rma=rma)
    assert refused.value.status_code == 409 and refused.value.field == "amount"
    assert "50.00" in refused.value.message
    # Nothing was written: the return waits, one refund only.
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == (Status.INSPECTED, Decimal("0"))
    assert Refund.objects.filter(order=paid).count() == 1
    # A partial refund of what is left goes through.
    rma = return_refund(rma=rma, amount=Decimal("50.00"))
    paid.refresh_from_db()
    assert rma.status == Status.REFUNDED
    assert paid.payment_status == Order.PaymentStatus.REFUNDED


def test_a_refund_is_at_most_the_value_received(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 2)), world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    with pytest.raises(ReturnInvalid) as refused:
        return_refund(rma=rma, amount=Decimal("250.00"))
    assert refused.value.field == "amount"
    assert not Refund.objects.exists()


def test_the_refund_value_takes_the_line_discount_share(
    frozen_clock, world, weighed, stock, carrier, packed
):
    stock("sh", "tea", 5)
    order, _created = order_create(
        channel=world["channel"],
        customer={"name": "李雷", "phone": "13900000009"},
        shipping_address={"recipient": "李雷", "city": "上海市", "street": "南京路2号"},
        lines=[
            LineInput(
                product=world["tea"], quantity=4, unit_price=Decimal("100"), discount=Decimal("10")
            )
        ],
    )
    order_confirm(order=order)
    order_payment_record(order=order, amount=Decimal("390.00"), method="wechat_pay")
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF9")
    shipment_deliver(shipment=shipment, recipient_name="李雷")
    rma = through_receipt(request(order, ("TEA-1", 1)), world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    # 100.00 less a quarter of the 10.00 discount.
    assert return_refund(rma=rma).refund_amount == Decimal("97.50")


def test_an_exchange_for_cheaper_goods_refunds_the_difference(paid, world, carrier):
    lines = lines_of(paid)
    rma = return_request_create(
        order=paid,
        kind="exchange",
        reason="换成杯子",
        lines=[{"order_line": lines["TEA-1"], "quantity": 2, "replacement_product": world["cup"]}],
    )
    assert rma.ticket.kind == Ticket.Kind.EXCHANGE
    rma = through_receipt(rma, world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    rma = return_exchange(rma=rma)

    replacement = rma.replacement_order
    assert rma.status == Status.EXCHANGED
    assert (replacement.channel, replacement.customer) == (paid.channel, paid.customer)
    assert replacement.shipping_address == paid.shipping_address
    assert replacement.external_ref == rma.number
    assert replacement.replaces_return == rma
    line = replacement.lines.get()
    assert (line.sku, line.quantity, line.unit_price) == ("CUP-1", 2, Decimal("20.00"))
    # 2 × 20.00 instead of 2 × 100.00: 160.00 back on the original order ...
    assert rma.price_difference == Decimal("-160.00")
    refunds = Refund.objects.filter(order=paid).order_by("pk")
    assert [(r.amount, r.reference) for r in refunds] == [
        (Decimal("40.00"), rma.number),  # ... the 40.00 exchange credit left it too
        (Decimal("160.00"), rma.number),
    ]
    assert replacement.number in refunds[0].reason
    assert rma.refund_amount == Decimal("160.00")
    # The replacement is paid by the returned goods' value.
    replacement.refresh_from_db()
    assert replacement.payment_status == Order.PaymentStatus.PAID
    assert replacement.payments.get().method == "exchange"
    # 500.00 paid, 160.00 given back: 340.00 may still be refunded across both orders.
    assert order_refundable(paid) + order_refundable(replacement) == Decimal("340.00")


def test_an_exchange_for_dearer_goods_leaves_the_difference_to_pay(paid, world, carrier):
    gift = ProductFactory(sku="TEA-GIFT", list_price=Decimal("300.00"))
    rma = return_request_create(
        order=paid,
        kind="exchange",
        reason="升级礼盒",
        lines=[{"order_line": lines_of(paid)["CUP-1"], "quantity": 1, "replacement_product": gift}],
    )
    rma = through_receipt(rma, world, carrier)
    return_inspect(rma=rma, lines=[{"line": 2, "disposition": "restock"}])
    rma = return_exchange(rma=rma)
    assert rma.price_difference == Decimal("200.00")
    # Nothing went back to the customer; the cup's 100.00 moved to the replacement.
    credit = Refund.objects.get()
    assert (credit.order, credit.amount, credit.reference) == (paid, Decimal("100.00"), rma.number)
    assert rma.refund_amount == Decimal("0")
    replacement = rma.replacement_order
    replacement.refresh_from_db()
    assert replacement.total == Decimal("300.00")
    assert "200.00" in replacement.note
    assert replacement.payments.get().amount == Decimal("100.00")
    assert replacement.payment_status == Order.PaymentStatus.UNPAID


def test_a_like_for_like_exchange_keeps_the_original_price(paid, world, carrier):
    rma = request(paid, ("TEA-1", 1), kind="exchange")
    rma = through_receipt(rma, world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "scrap"}])
    rma = return_exchange(rma=rma)
    line = rma.replacement_order.lines.get()
    assert (line.sku, line.quantity, line.unit_price) == ("TEA-1", 1, Decimal("100.00"))
    assert rma.price_difference == Decimal("0.00")
    with pytest.raises(ReturnTransitionNotAllowed):
        return_exchange(rma=rma)  # a second call makes no second order
    assert Order.objects.filter(external_ref=rma.number).count() == 1


def test_return_window_refused_outside(paid, frozen_clock):
    frozen_clock.advance(days=8)  # default window: 7 days from delivery
    with pytest.raises(ReturnInvalid) as refused:
        request(paid, ("CUP-1", 1))
    assert refused.value.field == "lines[0].order_line"
    assert "2026-12-04" in refused.value.message and "7" in refused.value.message
    # A 15-day policy for the channel opens it again ...
    ReturnPolicy.objects.create(channel=paid.channel, days=15)
    assert request(paid, ("CUP-1", 1)).status == Status.REQUESTED
    # ... but a category's own policy is more specific than the channel's.
    world_tea = lines_of(paid)["TEA-1"].product
    world_tea.category = "生鲜"
    world_tea.save()
    ReturnPolicy.objects.create(category="生鲜", days=3)
    with pytest.raises(ReturnInvalid) as refused:
        request(paid, ("TEA-1", 1))
    assert refused.value.field == "lines[0].order_line"
    options = {o.line.sku: o for o in returnable_lines(paid)}
    assert (options["TEA-1"].returnable, options["CUP-1"].returnable) == (0, 1)


def test_reason_required_unless_the_policy_needs_none(paid):
    with pytest.raises(ReturnInvalid) as refused:
        request(paid, ("TEA-1", 1), reason="")
    assert refused.value.field == "reason"
    ReturnPolicy.objects.create(days=7, no_reason=True)  # 七天无理由退货
    assert request(paid, ("TEA-1", 1), reason="").status == Status.REQUESTED


def test_rejection_needs_a_reason_and_frees_the_units(paid):
    rma = request(paid, ("TEA-1", 3))
    with pytest.raises(ReturnInvalid) as refused:
        return_reject(rma=rma, reason="  ")
    assert refused.value.field == "reason"
    rma.refresh_from_db()
    assert rma.status == Status.REQUESTED
    rma = return_reject(rma=rma, reason="商品已拆封使用")
    assert (rma.status, rma.rejection_reason) == (Status.REJECTED, "商品已拆封使用")
    assert ReturnEvent.objects.get(request=rma, to_status="rejected").reason == "商品已拆封使用"
    assert request(paid, ("TEA-1", 3)).status == Status.REQUESTED


def test_transitions_follow_the_table(paid, world, carrier):
    rma = request(paid, ("TEA-1", 1))
    with pytest.raises(ReturnTransitionNotAllowed):
        return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
    with pytest.raises(ReturnTransitionNotAllowed):
        return_refund(rma=rma)
    return_approve(rma=rma)
    with pytest.raises(ReturnTransitionNotAllowed):
        return_approve(rma=rma)
    # Goods may arrive without a label (the customer brought them to a store).
    rma = return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
    with pytest.raises(ReturnTransitionNotAllowed):
        return_cancel(rma=rma, reason="太晚了")


def test_request_input_is_checked_line_by_line(paid):
    lines = lines_of(paid)
    tea = lines["TEA-1"].product
    cases = [
        ([{"order_line": 99, "quantity": 1}], "lines[0].order_line"),
        ([{"order_line": lines["TEA-1"], "quantity": 0}], "lines[0].quantity"),
        (
            [
                {"order_line": lines["TEA-1"], "quantity": 1},
                {"order_line": lines["TEA-1"], "quantity": 1},
            ],
            "lines[1].order_line",
        ),
        (
            [{"order_line": lines["CUP-1"], "quantity": 1, "condition": "smashed"}],
            "lines[0].condition",
        ),
        (
            [{"order_line": lines["CUP-1"], "quantity": 1, "replacement_product": tea}],
            "lines[0].replacement_product",  # a return (not an exchange) has no replacement
        ),
    ]
    for wanted, field in cases:
        with pytest.raises(ReturnInvalid) as refused:
            return_request_create(order=paid, kind="return", reason="x", lines=wanted)
        assert refused.value.field == field
    assert not ReturnRequest.objects.exists()


def test_an_undelivered_line_cannot_be_returned(world, stock, place, frozen_clock):
    stock("sh", "tea", 5)
    order = place(("tea", 1))
    with pytest.raises(ReturnInvalid) as refused:
        return_request_create(
            order=order,
            kind="return",
            reason="x",
            lines=[{"order_line": order.lines.get(), "quantity": 1}],
        )
    assert refused.value.field == "lines[0].order_line"


def test_an_existing_ticket_is_linked_instead_of_a_new_one(paid):
    from aftersales.services.tickets import ticket_create

    ticket = ticket_create(
        customer=paid.customer, subject="茶叶有问题", kind="complaint", channel="email", order=paid
    )
    rma = request(paid, ("TEA-1", 1), ticket=ticket)
    assert rma.ticket == ticket
    assert Ticket.objects.count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value=rma.number).exists()


# --- Review fixes ---------------------------------------------------------------


def test_an_exchange_credit_is_taken_off_the_original_order(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 1), kind="exchange"), world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    rma = return_exchange(rma=rma)
    replacement = rma.replacement_order
    assert replacement.payments.get().amount == Decimal("100.00")
    # The 100.00 paying the replacement left the original order as a refund ...
    credit = Refund.objects.get(order=paid)
    assert (credit.amount, credit.reference) == (Decimal("100.00"), rma.number)
    assert order_refundable(paid) == Decimal("400.00")
    # ... so both orders together can give back no more than the 500.00 paid.
    assert order_refundable(paid) + order_refundable(replacement) == Decimal("500.00")
    with pytest.raises(RefundExceedsPaid):
        order_refund(order=paid, amount=Decimal("500.00"), reason="全额退款")


def test_an_exchange_is_refused_when_the_original_has_nothing_left(paid, world, carrier):
    rma = through_receipt(request(paid, ("TEA-1", 1), kind="exchange"), world, carrier)
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    order_refund(order=paid, amount=Decimal("450.00"), reason="补偿")
    with pytest.raises(RefundExceedsPaid) as refused:
        return_exchange(rma=rma)
    assert refused.value.status_code == 409
    assert "100.00" in refused.value.message and "50.00" in refused.value.message
    # Nothing was written: no replacement order, no payment, one refund.
    rma.refresh_from_db()
    assert rma.status == Status.INSPECTED and rma.replacement_order is None
    assert not Order.objects.filter(external_ref=rma.number).exists()
    assert Refund.objects.filter(order=paid).count() == 1


def test_single_unit_returns_share_the_discount_to_the_cent(
    frozen_clock, world, weighed, stock, carrier, packed
):
    stock("sh", "tea", 5)
    order, _created = order_create(
        channel=world["channel"],
        customer={"name": "李雷", "phone": "13900000009"},
        shipping_address={"recipient": "李雷", "city": "上海市", "street": "南京路2号"},
        lines=[
            LineInput(
                product=world["tea"], quantity=3, unit_price=Decimal("100"), discount=Decimal("10")
            )
        ],
    )
    order_confirm(order=order)
    order_payment_record(order=order, amount=Decimal("290.00"), method="wechat_pay")
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF9")
    shipment_deliver(shipment=shipment, recipient_name="李雷")
    refunds = []
    for _unit in range(3):
        rma = through_receipt(request(order, ("TEA-1", 1)), world, carrier)
        return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
        refunds.append(return_refund(rma=rma).refund_amount)
    # 3.33 + 3.34 + 3.33 of the 10.00 discount: exactly what was paid comes back.
    assert refunds == [Decimal("96.67"), Decimal("96.66"), Decimal("96.67")]
    assert sum(refunds) == Decimal("290.00")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.REFUNDED


@pytest.fixture
def backorder(paid, world, place):
    """An order of 8 TEA-1 on a channel that allows backorders: the 7 in
    Shanghai reserved, 1 on backorder."""
    world["channel"].allow_backorder = True
    world["channel"].save()
    order = place(("tea", 8), phone="13900000077")
    order_confirm(order=order)
    line = order.lines.get()
    assert (line.quantity_reserved, line.quantity_backordered) == (7, 1)
    return line


def test_units_received_into_stock_wait_for_inspection(
    paid, world, carrier, backorder, django_capture_on_commit_callbacks
):
    level = StockLevel.objects.get(warehouse=world["sh"], product=world["tea"])
    with django_capture_on_commit_callbacks(execute=True):
        rma = through_receipt(request(paid, ("TEA-1", 1)), world, carrier)
    # In stock, but announced to nobody: the backorder still waits ...
    level.refresh_from_db()
    backorder.refresh_from_db()
    assert (level.on_hand, level.reserved) == (8, 7)
    assert backorder.quantity_backordered == 1
    # ... so the faulty unit can still be scrapped.
    with django_capture_on_commit_callbacks(execute=True):
        return_inspect(rma=rma, lines=[{"line": 1, "disposition": "scrap", "note": "破损"}])
    level.refresh_from_db()
    backorder.refresh_from_db()
    assert (level.on_hand, level.reserved, backorder.quantity_backordered) == (7, 7, 1)

    # A good unit restocked at inspection is announced then: the backorder takes it.
    with django_capture_on_commit_callbacks(execute=True):
        rma = through_receipt(request(paid, ("TEA-1", 1)), world, carrier)
    backorder.refresh_from_db()
    assert backorder.quantity_backordered == 1
    with django_capture_on_commit_callbacks(execute=True):
        return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    level.refresh_from_db()
    backorder.refresh_from_db()
    assert (level.on_hand, level.reserved, backorder.quantity_backordered) == (8, 8, 0)
    call_command("check_stock_ledger")


def test_a_unit_received_into_stock_can_go_to_repair(
    paid, world, carrier, backorder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rma = through_receipt(request(paid, ("TEA-1", 1)), world, carrier)
    with django_capture_on_commit_callbacks(execute=True):
        return_inspect(rma=rma, lines=[{"line": 1, "disposition": "repair", "note": "漏水"}])
    assert RepairOrder.objects.filter(return_line__request=rma).count() == 1
    level = StockLevel.objects.get(warehouse=world["sh"], product=world["tea"])
    assert (level.on_hand, level.reserved) == (7, 7)


def _image(fmt="PNG", name="photo.png", size=(8, 8)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_photos_must_be_jpeg_png_or_webp_images(paid):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cases = [
        # A GIF is an image, but not one of the three taken.
        ([_image("JPEG", "a.jpg"), _image("GIF", "b.gif")], "photos[1]"),
        # A name and a declared type prove nothing: the bytes are read.
        (
            [SimpleUploadedFile("c.png", b"<html>nope</html>", content_type="image/png")],
            "photos[0]",
        ),
        ([_image(name=f"{i}.png") for i in range(11)], "photos"),
    ]
    for photos, field in cases:
        with pytest.raises(ReturnInvalid) as refused:
            request(paid, ("TEA-1", 1), photos=photos)
        assert refused.value.field == field
    assert not ReturnRequest.objects.exists()

    rma = request(
        paid,
        ("TEA-1", 1),
        photos=[_image("JPEG", "破损.jpg"), _image("PNG", "x.png"), _image("WEBP", "evil.html")],
    )
    stored = [(p.image.name.rsplit(".", 1)[-1], p.caption) for p in rma.photos.all()]
    # Stored under names of our own, with the extension of what each really is.
    assert stored == [("jpg", "破损.jpg"), ("png", "x.png"), ("webp", "evil.html")]


def test_a_photo_over_10_mb_is_refused(paid, monkeypatch):
    photo = _image()
    photo.size = 10 * 1024 * 1024 + 1
    with pytest.raises(ReturnInvalid) as refused:
        request(paid, ("TEA-1", 1), photos=[photo])
    assert refused.value.field == "photos[0]"
