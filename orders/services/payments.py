"""Money in and out of an order: payments received and refunds given.

Both lock the order row first (orders.lock_objects), so the sums they check
are the sums they write against: two refunds at once can never give back
more than was paid, and two payments can never pay more than the total.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.errors import DomainError
from erp.core.outbox import outbox_emit
from erp.core.services import acting_person
from orders.lock_objects import order_for_update
from orders.models import Order, OrderEvent, Payment, Refund
from orders.services.errors import OrderInvalid

CENTS = Decimal("0.01")
PaymentStatus = Order.PaymentStatus


class RefundExceedsPaid(DomainError):
    """More would go back than the customer has paid and not yet had back."""

    status_code = 409
    code = "refund_exceeds_paid"


class PaymentExceedsTotal(DomainError):
    status_code = 409
    code = "payment_exceeds_total"


def _money(value, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise OrderInvalid(_("Enter an amount of money."), field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise OrderInvalid(_("The amount must be greater than zero."), field=field)
    if amount != amount.quantize(CENTS):
        raise OrderInvalid(_("The amount has at most two decimal places."), field=field)
    return amount


def order_paid_total(order: Order) -> Decimal:
    total = order.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return Decimal(total).quantize(CENTS)


def order_refunded_total(order: Order) -> Decimal:
    total = order.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return Decimal(total).quantize(CENTS)


def order_refundable(order: Order) -> Decimal:
    """What can still be refunded: paid minus refunded."""
    return order_paid_total(order) - order_refunded_total(order)


def _payment_status(order: Order, paid: Decimal, refunded: Decimal) -> str:
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    if paid >= order.total and paid > 0:
        return PaymentStatus.PAID
    return order.payment_status


@transaction.atomic
def order_payment_record(
    *,
    order: Order,
    amount,
    method: str,
    reference: str = "",
    paid_at=None,
    actor=None,
) -> Payment:
    """Record money received for an order. Once the payments reach the order's
    total it is paid. Paying more than the total is refused (409)."""
    amount = _money(amount)
    method = (method or "").strip()
    if not method:
        raise OrderInvalid(_("Say how the customer paid."), field="method")
    now = timezone.now()
    paid_at = paid_at or now
    if paid_at > now + timezone.timedelta(minutes=5):
        raise OrderInvalid(_("The payment time is in the future."), field="paid_at")
    with lock_timeout():
        order = order_for_update(order.pk)
        if order.status == Order.Status.CANCELLED:
            raise OrderInvalid(_("A cancelled order takes no payments."), field="order")
        paid = order_paid_total(order)
        if paid + amount > order.total:
            raise PaymentExceedsTotal(
                _(
                    "Only %(currency)s %(left)s of %(number)s is still unpaid "
                    "(total %(total)s, paid %(paid)s)."
                )
                % {
                    "currency": order.currency,
                    "left": order.total - paid,
                    "number": order.number,
                    "total": order.total,
                    "paid": paid,
                },
                field="amount",
            )
        payment = Payment.objects.create(
            order=order,
            amount=amount,
            currency=order.currency,
            method=method[:30],
            reference=(reference or "").strip()[:64],
            paid_at=paid_at,
        )
        status = _payment_status(order, paid + amount, order_refunded_total(order))
        if status != order.payment_status:
            order.payment_status = status
            order.save(update_fields=["payment_status", "updated_at"])
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            reason=(
                _("Payment of %(currency)s %(amount)s received (%(method)s).")
                % {"currency": order.currency, "amount": amount, "method": method}
            )[:500],
            actor=acting_person(actor),
            visible_to_customer=True,
        )
    return payment


@transaction.atomic
def order_refund(
    *,
    order: Order,
    amount,
    reason: str,
    reference: str = "",
    actor=None,
) -> Refund:
    """Give money back for an order. The refunds never add up to more than
    the payments: anything more is refused (409, field `amount`) and nothing
    is written. The order becomes partially refunded or refunded."""
    amount = _money(amount)
    reason = (reason or "").strip()
    if not reason:
        raise OrderInvalid(_("Say why the money is refunded."), field="reason")
    with lock_timeout():
        order = order_for_update(order.pk)
        paid = order_paid_total(order)
        refunded = order_refunded_total(order)
        left = paid - refunded
        if amount > left:
            raise RefundExceedsPaid(
                _(
                    "Only %(currency)s %(left)s of %(number)s can still be refunded "
                    "(paid %(paid)s, refunded %(refunded)s); %(amount)s asked."
                )
                % {
                    "currency": order.currency,
                    "left": left,
                    "number": order.number,
                    "paid": paid,
                    "refunded": refunded,
                    "amount": amount,
                },
                field="amount",
            )
        refund = Refund.objects.create(
            order=order,
            amount=amount,
            currency=order.currency,
            reason=reason[:255],
            reference=(reference or "").strip()[:60],
            refunded_at=timezone.now(),
        )
        order.payment_status = _payment_status(order, paid, refunded + amount)
        order.save(update_fields=["payment_status", "updated_at"])
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            reason=(
                _("Refund of %(currency)s %(amount)s: %(reason)s")
                % {"currency": order.currency, "amount": amount, "reason": reason}
            )[:500],
            actor=acting_person(actor),
            visible_to_customer=True,
        )
        outbox_emit(
            type="refund.created",
            aggregate=refund,
            payload={
                "refund_id": refund.pk,
                "order_id": order.pk,
                "number": order.number,
                "amount": f"{amount:.2f}",
                "currency": order.currency,
                "payment_status": order.payment_status,
            },
        )
    return refund
