"""The fulfilment timeline: open orders with the time each reached its stage,
most urgent first (issue 7 item 6)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from orders.models import Order, OrderEvent
from orders.selectors import OPEN_STATUSES, order_list, order_warehouse

# Open: not yet shipped, delivered, completed or cancelled.
TIMELINE_STATUSES = OPEN_STATUSES


@dataclass(frozen=True)
class TimelineFilter:
    channel_id: int | None = None
    warehouse_id: int | None = None
    at_risk_only: bool = False


def _reached(status: str) -> Subquery:
    """When the order first moved to `status` (from its status events)."""
    return Subquery(
        OrderEvent.objects.filter(
            order=OuterRef("pk"), kind=OrderEvent.Kind.STATUS, to_status=status
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )


def timeline_orders(f: TimelineFilter | None = None, *, today: date | None = None):
    """Open orders, highest priority first, then the earliest promised date.

    Each carries `confirmed_at`, `fulfilment_at` and `partially_shipped_at`
    (first time it reached the stage, None if never), `at_risk` (as the order
    list marks it: promised within ORDER_AT_RISK_DAYS, or past) and `overdue`
    (promised date already past)."""
    f = f or TimelineFilter()
    today = today or timezone.localdate()
    queryset: QuerySet[Order] = (
        order_list(today=today)
        .filter(status__in=TIMELINE_STATUSES)
        .annotate(
            confirmed_at=_reached(Order.Status.CONFIRMED),
            fulfilment_at=_reached(Order.Status.IN_FULFILMENT),
            partially_shipped_at=_reached(Order.Status.PARTIALLY_SHIPPED),
            overdue=Case(
                When(promised_date__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )
    if f.channel_id:
        queryset = queryset.filter(channel_id=f.channel_id)
    if f.warehouse_id:
        # The same rule as the KPIs and the order list use.
        queryset = queryset.alias(warehouse=order_warehouse()).filter(warehouse=f.warehouse_id)
    if f.at_risk_only:
        queryset = queryset.filter(at_risk=True)
    return queryset.order_by(
        F("priority_score").desc(),
        F("promised_date").asc(nulls_last=True),
        "placed_at",
        "pk",
    )
