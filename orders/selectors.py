from datetime import timedelta

from django.conf import settings
from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderLine, Reservation, SalesChannel

OPEN_STATUSES = (
    Order.Status.PENDING,
    Order.Status.CONFIRMED,
    Order.Status.IN_FULFILMENT,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.ON_HOLD,
)


def channel_list() -> QuerySet[SalesChannel]:
    return SalesChannel.objects.select_related("default_warehouse")


def at_risk_condition() -> Q:
    """Not yet shipped, and the promised date is at most ORDER_AT_RISK_DAYS away (or past)."""
    horizon = timezone.localdate() + timedelta(days=settings.ORDER_AT_RISK_DAYS)
    return Q(status__in=OPEN_STATUSES, promised_date__lte=horizon)


def order_list() -> QuerySet[Order]:
    return Order.objects.select_related("channel", "customer").annotate(
        at_risk=Case(
            When(at_risk_condition(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def order_detail() -> QuerySet[Order]:
    return order_list().prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.order_by("line_no").prefetch_related(
                Prefetch(
                    "reservations",
                    queryset=Reservation.objects.select_related("stock_level__warehouse"),
                )
            ),
        ),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
    )
