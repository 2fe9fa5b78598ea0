"""Returns under concurrency (PostgreSQL): two requests for the last
returnable units at once - exactly one gets them; two refunds at once never
give back more than was paid. Each has a negative control showing the race
the locks prevent. A return received while an order for the same products
is confirmed never deadlocks with it, whatever order its lines are in."""

import threading
import time
from decimal import Decimal

import pytest

from aftersales.models import ReturnLine
from aftersales.services import returns as returns_service
from aftersales.services.returns import ReturnInvalid, return_request_create
from orders.models import Order, OrderLine, Refund
from orders.services import RefundExceedsPaid, order_payment_record, order_refund
from orders.services import payments as payments_service
from tests.aftersales.conftest import (  # noqa: F401  (shared fixtures)
    carrier,
    delivered,
    packed,
    place,
    stock,
    weighed,
    world,
)
from tests.concurrency.test_stock_race import run_concurrently as run_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(target, n=2):
    return run_all(target, n)


def _ask_for_two_teas(order):
    tea = OrderLine.objects.get(order=order, sku="TEA-1")

    def ask(i):
        return return_request_create(
            order=order,
            kind="return",
            reason=f"第{i}位客服录入",
            lines=[{"order_line": tea, "quantity": 2}],
        )

    return tea, ask


def _requested(tea) -> int:
    return sum(ReturnLine.objects.filter(order_line=tea).values_list("quantity", flat=True))


@pytest.fixture
def one_tea_on_its_way_back(delivered):  # noqa: F811
    """3 TEA-1 delivered, 1 already on an open return: 2 may still come back."""
    tea = OrderLine.objects.get(order=delivered, sku="TEA-1")
    return_request_create(
        order=delivered,
        kind="return",
        reason="先退一件",
        lines=[{"order_line": tea, "quantity": 1}],
    )
    return delivered


def test_two_requests_for_the_last_units_exactly_one_succeeds(one_tea_on_its_way_back):
    tea, ask = _ask_for_two_teas(one_tea_on_its_way_back)
    results, errors = run_concurrently(ask)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], ReturnInvalid), errors
    assert errors[0].field == "lines[0].quantity"
    assert _requested(tea) == 3  # never more than was delivered


def test_negative_control_without_the_order_lock_both_get_them(
    one_tea_on_its_way_back, monkeypatch
):
    # Take the locks away and let both requests read before either writes.
    monkeypatch.setattr(
        returns_service,
        "order_for_update",
        lambda pk: Order.objects.select_related("channel", "customer").get(pk=pk),
    )
    monkeypatch.setattr(
        returns_service,
        "lines_for_update",
        lambda order_id: list(OrderLine.objects.filter(order_id=order_id).order_by("pk")),
    )
    both_read = threading.Barrier(2)
    read = returns_service.returnable_lines

    def read_then_wait(*args, **kwargs):
        result = read(*args, **kwargs)
        both_read.wait(timeout=20)
        return result

    monkeypatch.setattr(returns_service, "returnable_lines", read_then_wait)
    tea, ask = _ask_for_two_teas(one_tea_on_its_way_back)
    results, errors = run_concurrently(ask)
    assert errors == []
    assert len(results) == 2
    assert _requested(tea) == 5 > 3  # more asked back than was ever delivered


@pytest.fixture
def paid_500(delivered):  # noqa: F811
    order_payment_record(order=delivered, amount=Decimal("500.00"), method="alipay")
    return delivered


def _refund_300(order):
    return lambda i: order_refund(order=order, amount=Decimal("300.00"), reason=f"退款{i}")


def test_two_refunds_at_once_never_exceed_the_payment(paid_500):
    results, errors = run_concurrently(_refund_300(paid_500))
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], RefundExceedsPaid), errors
    assert sum(Refund.objects.values_list("amount", flat=True)) == Decimal("300.00")
    paid_500.refresh_from_db()
    assert paid_500.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED


def test_negative_control_without_the_order_lock_refunds_exceed_the_payment(paid_500, monkeypatch):
    monkeypatch.setattr(
        payments_service,
        "order_for_update",
        lambda pk: Order.objects.select_related("channel", "customer").get(pk=pk),
    )
    both_read = threading.Barrier(2)
    refunded = payments_service.order_refunded_total

    def read_then_wait(order):
        total = refunded(order)
        both_read.wait(timeout=20)
        return total

    monkeypatch.setattr(payments_service, "order_refunded_total", read_then_wait)
    _results, errors = run_concurrently(_refund_300(paid_500))
    assert errors == []
    assert sum(Refund.objects.values_list("amount", flat=True)) == Decimal("600.00") > 500


@pytest.fixture
def cups_then_teas(world, weighed, stock, place, carrier, packed):  # noqa: F811
    """A delivered order whose lines are 3 CUP-1 then 3 TEA-1; TEA-1's stock
    level in Shanghai has the lower primary key, so the return's line order
    is the reverse of the order allocation locks levels in."""
    from logistics.services import shipment_create, shipment_deliver, shipment_dispatch
    from orders.services import order_confirm

    stock("sh", "tea", 20)
    stock("sh", "cup", 20)
    order = place(("cup", 3), ("tea", 3))
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF-D1")
    shipment_deliver(shipment=shipment, recipient_name="王芳")
    return order


def test_a_return_received_while_an_order_is_confirmed_never_deadlocks(
    cups_then_teas,
    world,  # noqa: F811
    place,  # noqa: F811
    staff_api,
    monkeypatch,
):
    """The return thread pauses after its first stock receipt (CUP-1) while the
    order thread confirms TEA-1 and CUP-1. Locking a line's stock only when it
    is reached would hold CUP-1 while waiting for TEA-1, and the allocation hold
    TEA-1 while waiting for CUP-1: a deadlock, which PostgreSQL breaks by failing
    one side. Locked up front in primary-key order, one simply waits."""
    from aftersales.services.returns import return_approve
    from inventory.models import StockLevel
    from orders.services import order_confirm

    warehouse = staff_api("warehouse")
    received_first = threading.Event()
    receive = returns_service.stock_receive

    def receive_then_pause(**kwargs):
        move = receive(**kwargs)
        if not received_first.is_set():
            received_first.set()
            time.sleep(0.7)  # the order thread takes what locks it can meanwhile
        return move

    monkeypatch.setattr(returns_service, "stock_receive", receive_then_pause)
    cup, tea = (OrderLine.objects.get(order=cups_then_teas, sku=sku) for sku in ("CUP-1", "TEA-1"))
    for attempt in range(3):
        received_first.clear()
        rma = return_request_create(
            order=cups_then_teas,
            kind="return",
            reason=f"第{attempt}次",
            lines=[{"order_line": cup, "quantity": 1}, {"order_line": tea, "quantity": 1}],
        )
        return_approve(rma=rma)
        order = place(("tea", 1), ("cup", 1), phone=f"1390000010{attempt}")

        def work(i, rma=rma, order=order):
            if i == 0:
                return warehouse.post(
                    f"/api/v1/returns/{rma.number}/receive/",
                    {"warehouse": "SH01", "receive_into": "stock"},
                    format="json",
                ).status_code
            assert received_first.wait(timeout=20)
            return order_confirm(order=order).status

        results, errors = run_concurrently(work)
        assert errors == [], errors
        assert sorted(map(str, results)) == ["200", "confirmed"], results
        rma.refresh_from_db()
        assert rma.status == "received"
    tea_level = StockLevel.objects.get(warehouse=world["sh"], product=world["tea"])
    cup_level = StockLevel.objects.get(warehouse=world["sh"], product=world["cup"])
    assert tea_level.pk < cup_level.pk
    # 20 in, 3 delivered, 3 back; 3 reserved for the three new orders.
    assert (tea_level.on_hand, tea_level.reserved) == (20, 3)
    assert (cup_level.on_hand, cup_level.reserved) == (20, 3)
