from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
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


def at_risk_condition(today: date | None = None) -> Q:
    """Not yet shipped, and the promised date is at most ORDER_AT_RISK_DAYS
    away from `today` (default: the local date now), or past."""
    horizon = (today or timezone.localdate()) + timedelta(days=settings.ORDER_AT_RISK_DAYS)
    return Q(status__in=OPEN_STATUSES, promised_date__lte=horizon)


def order_warehouse(prefix: str = ""):
    """The warehouse an order counts under in the KPIs and in the lists'
    warehouse filters: where its first reservation was taken (the first
    allocation's choice; a split order counts under that one), else - not
    allocated yet - its channel's default warehouse; null when neither exists.

    An expression for a queryset of orders (prefix "") or of rows pointing to
    an order (prefix "order__" on tickets and returns, "ticket__order__" on
    feedback)."""
    first = (
        Reservation.objects.filter(order_line__order_id=OuterRef(f"{prefix}id"))
        .order_by("pk")
        .values("stock_level__warehouse_id")[:1]
    )
    return Coalesce(
        Subquery(first),
        F(f"{prefix}channel__default_warehouse_id"),
        output_field=BigIntegerField(),
    )


def with_delivered_day(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with `delivered_day`: the local date they were delivered."""
    return queryset.annotate(
        delivered_day=TruncDate("delivered_at", tzinfo=timezone.get_default_timezone())
    )


# Delivered on time (on a `with_delivered_day` queryset): on or before the
# promised date, in local time. Orders without a promised date are neither
# on time nor late.
DELIVERED_ON_TIME = Q(delivered_day__lte=F("promised_date"))
DELIVERED_LATE = Q(delivered_day__gt=F("promised_date"))

# The confirmation: the one move from pending to confirmed (order_confirm),
# when the first allocation reserved what stock could serve.
CONFIRMATION = {"kind": OrderEvent.Kind.STATUS, "from_status": "pending", "to_status": "confirmed"}


def order_list(*, today: date | None = None) -> QuerySet[Order]:
    """Orders with what a list shows; `at_risk` as of `today` (default now)."""
    return Order.objects.select_related("channel", "customer").annotate(
        at_risk=Case(
            When(at_risk_condition(today), then=Value(True)),
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
