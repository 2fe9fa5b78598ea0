"""Care rules on orders: a VIP's order about to miss its promised date, and
a thank-you for a large order."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.hooks import CareCause, CareRuleSpec, register_care_rule
from crm.models import Customer
from orders.models import Order
from orders.selectors import OPEN_STATUSES

LARGE_ORDER_TOTAL = Decimal("5000")


def _at_risk_since(order: Order) -> datetime:
    """When the order became at risk: the start of the day ORDER_AT_RISK_DAYS
    before its promised date (local time), or when it was placed if later."""
    day = order.promised_date - timedelta(days=settings.ORDER_AT_RISK_DAYS)
    start = timezone.make_aware(datetime.combine(day, time.min))
    return max(start, order.placed_at)


def vip_order_at_risk_causes(rule, since, until):
    """VIP orders not yet shipped (open, including on hold: the customer waits
    all the same) whose promised date is at most ORDER_AT_RISK_DAYS away.
    One task per order and promised date: a new promise that slips again
    raises a new task."""
    days = settings.ORDER_AT_RISK_DAYS
    orders = (
        Order.objects.filter(
            Q(promised_date__gte=timezone.localdate(since) + timedelta(days=days - 1))
            | Q(placed_at__gte=since),
            status__in=OPEN_STATUSES,
            promised_date__isnull=False,
            promised_date__lte=timezone.localdate(until) + timedelta(days=days),
            customer__tier=Customer.Tier.VIP,
            customer__merged_into__isnull=True,
        )
        .only("pk", "number", "customer_id", "placed_at", "promised_date", "status")
        .order_by("pk")
    )
    for order in orders:
        occurred_at = _at_risk_since(order)
        if not since <= occurred_at < until:
            continue
        yield CareCause(
            customer_id=order.customer_id,
            key=f"order:{order.pk}:at-risk:{order.promised_date:%Y%m%d}",
            occurred_at=occurred_at,
            reference=order.number,
            detail=_("Order %(number)s is %(status)s and promised for %(date)s.")
            % {
                "number": order.number,
                "status": order.get_status_display(),
                "date": order.promised_date.isoformat(),
            },
            priority="high",
        )


def thank_large_order_causes(rule, since, until):
    threshold = rule.threshold if rule.threshold is not None else LARGE_ORDER_TOTAL
    orders = (
        Order.objects.filter(
            placed_at__gte=since,
            placed_at__lt=until,
            total__gte=threshold,
            customer__merged_into__isnull=True,
        )
        .exclude(status=Order.Status.CANCELLED)
        .only("pk", "number", "customer_id", "placed_at", "total", "currency")
        .order_by("placed_at", "pk")
    )
    for order in orders:
        yield CareCause(
            customer_id=order.customer_id,
            key=f"order:{order.pk}:large",
            occurred_at=order.placed_at,
            reference=order.number,
            detail=_("Order %(number)s of %(total)s %(currency)s.")
            % {"number": order.number, "total": order.total, "currency": order.currency},
        )


register_care_rule(
    CareRuleSpec(
        code="vip_order_at_risk",
        name=gettext_lazy("VIP order at risk of being late"),
        description=gettext_lazy(
            "A VIP customer's order is not shipped and its promised date is only days "
            "away (T-3, the at-risk window): tell the customer before they ask."
        ),
        find=vip_order_at_risk_causes,
        default_delay_days=0,
        order=20,
    )
)

register_care_rule(
    CareRuleSpec(
        code="thank_large_order",
        name=gettext_lazy("Thank the customer for a large order"),
        description=gettext_lazy(
            "An order whose total reaches the threshold was placed (not cancelled): "
            "thank the customer a day later."
        ),
        find=thank_large_order_causes,
        default_delay_days=1,
        default_threshold=LARGE_ORDER_TOTAL,
        order=50,
    )
)
