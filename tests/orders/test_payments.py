"""Payments and refunds of an order: the payment status follows them, and
refunds never add up to more than was paid."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent, Payment, Refund
from orders.services import (
    OrderInvalid,
    PaymentExceedsTotal,
    RefundExceedsPaid,
    order_payment_record,
    order_refund,
    order_refundable,
)

pytestmark = pytest.mark.django_db
PaymentStatus = Order.PaymentStatus


@pytest.fixture
def order(place):
    """Two TEA-1 at 100.00: total 200.00."""
    return place(("tea", 2))


def test_payments_make_the_order_paid_once_they_reach_the_total(order):
    order_payment_record(order=order, amount=Decimal("120.00"), method="alipay", reference="A1")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.UNPAID
    payment = order_payment_record(order=order, amount="80.00", method="bank")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert (payment.amount, payment.currency) == (Decimal("80.00"), "CNY")
    notes = OrderEvent.objects.filter(order=order, kind="note", visible_to_customer=True)
    assert notes.count() == 2


@pytest.mark.parametrize(
    ("amount", "method", "field"),
    [
        ("0", "alipay", "amount"),
        ("-5", "alipay", "amount"),
        ("1.005", "alipay", "amount"),
        ("abc", "alipay", "amount"),
        ("10", " ", "method"),
    ],
)
def test_bad_payments_are_refused(order, amount, method, field):
    with pytest.raises(OrderInvalid) as refused:
        order_payment_record(order=order, amount=amount, method=method)
    assert refused.value.field == field
    assert not Payment.objects.exists()


def test_paying_more_than_the_total_is_refused(order):
    order_payment_record(order=order, amount=Decimal("150.00"), method="alipay")
    with pytest.raises(PaymentExceedsTotal) as refused:
        order_payment_record(order=order, amount=Decimal("60.00"), method="alipay")
    assert refused.value.field == "amount" and "50.00" in refused.value.message
    assert Payment.objects.count() == 1


def test_refunds_never_exceed_the_payments(order):
    order_payment_record(order=order, amount=Decimal("200.00"), method="alipay")
    refund = order_refund(order=order, amount=Decimal("50.00"), reason="少发一件", reference="X1")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    assert (refund.amount, refund.reference) == (Decimal("50.00"), "X1")
    assert order_refundable(order) == Decimal("150.00")
    with pytest.raises(RefundExceedsPaid) as refused:
        order_refund(order=order, amount=Decimal("150.01"), reason="再退")
    assert refused.value.status_code == 409 and refused.value.field == "amount"
    assert "150.00" in refused.value.message
    assert Refund.objects.count() == 1
    order_refund(order=order, amount=Decimal("150.00"), reason="全部退款")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED
    event = OrderEvent.objects.filter(order=order, reason__contains="全部退款").get()
    assert event.visible_to_customer


def test_nothing_paid_nothing_to_refund(order):
    with pytest.raises(RefundExceedsPaid):
        order_refund(order=order, amount=Decimal("1.00"), reason="x")
    with pytest.raises(OrderInvalid) as refused:
        order_refund(order=order, amount=Decimal("1.00"), reason=" ")
    assert refused.value.field == "reason"
