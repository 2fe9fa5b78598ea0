"""Reads behind the demand forecasts: the demand history (what the refresh
fits, the product page and the API show), the calendars of the three
granularities, and the forecasts and reorder suggestions themselves.

Demand is units ordered: the quantity of order lines of orders not
cancelled, on the local (Asia/Shanghai) day the order was placed. A line's
units count for a warehouse where they were reserved (reservations held or
already shipped, not those given back); units never reserved there (pending
orders, backorders, imported history) count for the order channel's default
warehouse. Every unit counts once for "all warehouses" (warehouse None),
including those of channels without a default warehouse.
"""

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from analytics.models import ForecastRun, Granularity, ReorderSuggestion
from analytics.selectors.scope import day_start
from orders.models import Order, OrderLine, Reservation

# The length of a season, in periods: a week of days, a year of weeks or months.
SEASON = {Granularity.DAY: 7, Granularity.WEEK: 52, Granularity.MONTH: 12}
# Average days per period, to turn a per-period error into a daily one.
PERIOD_DAYS = {Granularity.DAY: 1.0, Granularity.WEEK: 7.0, Granularity.MONTH: 365.25 / 12}
# Periods of history shown with a forecast (page and API).
HISTORY_SHOWN = {Granularity.DAY: 182, Granularity.WEEK: 104, Granularity.MONTH: 36}
GRANULARITIES = (Granularity.MONTH, Granularity.WEEK, Granularity.DAY)

HELD = (Reservation.Status.ACTIVE, Reservation.Status.CONSUMED)

Key = tuple[int, int | None]  # (product id, warehouse id or None for all warehouses)


# --- Calendars -------------------------------------------------------------------------


def period_start(day: date, granularity: str) -> date:
    """The first day of the period holding `day`."""
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def period_next(start: date, granularity: str, count: int = 1) -> date:
    if granularity == Granularity.DAY:
        return start + timedelta(days=count)
    if granularity == Granularity.WEEK:
        return start + timedelta(days=7 * count)
    months = start.year * 12 + start.month - 1 + count
    return date(months // 12, months % 12 + 1, 1)


def period_days(start: date, granularity: str) -> int:
    if granularity == Granularity.MONTH:
        return calendar.monthrange(start.year, start.month)[1]
    return 7 if granularity == Granularity.WEEK else 1


def complete_periods(since: date, today: date, granularity: str) -> list[date]:
    """Starts of the periods wholly inside [since, today): the history fitted."""
    start = period_start(since, granularity)
    if start < since:
        start = period_next(start, granularity)
    starts = []
    while period_next(start, granularity) <= today:
        starts.append(start)
        start = period_next(start, granularity)
    return starts


def future_periods(today: date, granularity: str, count: int) -> list[date]:
    """Starts of the periods forecast: the current one (partly past) and those after it."""
    first = period_start(today, granularity)
    return [period_next(first, granularity, k) for k in range(count)]


def history_since(today: date) -> date:
    """The first day of the history fitted: the first of a month, so that
    every month in it is complete."""
    return (today - timedelta(days=settings.ANALYTICS_FORECAST_HISTORY_DAYS)).replace(day=1)


# --- Demand history --------------------------------------------------------------------


def demand_by_day(*, since: date, until: date, product_ids=None) -> dict[Key, dict[date, int]]:
    """Units ordered per (product, warehouse) and local day in [since, until),
    and per (product, None) for all warehouses (see the module's docstring).
    Two aggregate queries however many orders."""
    start, end = day_start(since), day_start(until)
    day = TruncDate("order__placed_at", tzinfo=timezone.get_current_timezone())
    lines = OrderLine.objects.filter(order__placed_at__gte=start, order__placed_at__lt=end).exclude(
        order__status=Order.Status.CANCELLED
    )
    reservations = Reservation.objects.filter(
        status__in=HELD,
        order_line__order__placed_at__gte=start,
        order_line__order__placed_at__lt=end,
    ).exclude(order_line__order__status=Order.Status.CANCELLED)
    if product_ids is not None:
        lines = lines.filter(product_id__in=list(product_ids))
        reservations = reservations.filter(order_line__product_id__in=list(product_ids))
    held = (
        Reservation.objects.filter(order_line=OuterRef("pk"), status__in=HELD)
        .values("order_line")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    unreserved = (
        lines.annotate(held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)))
        .values("product_id", "order__channel__default_warehouse_id", day=day)
        .annotate(units=Sum(F("quantity") - F("held")))
        .values_list("product_id", "order__channel__default_warehouse_id", "day", "units")
    )
    reserved = (
        reservations.values(
            "order_line__product_id",
            "stock_level__warehouse_id",
            day=TruncDate("order_line__order__placed_at", tzinfo=timezone.get_current_timezone()),
        )
        .annotate(units=Sum("quantity"))
        .values_list("order_line__product_id", "stock_level__warehouse_id", "day", "units")
    )
    demand: dict[Key, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for rows in (unreserved, reserved):
        for product_id, warehouse_id, on, units in rows:
            if not units:
                continue
            if isinstance(on, datetime):  # some backends return the truncated date as datetime
                on = on.date()
            demand[(product_id, None)][on] += units
            if warehouse_id is not None:
                demand[(product_id, warehouse_id)][on] += units
    return {key: dict(days) for key, days in demand.items()}


def bucket(by_day: dict[date, int], starts: list[date], granularity: str) -> list[int]:
    """Units per period (zero-filled) for the periods starting at `starts`."""
    index = {start: i for i, start in enumerate(starts)}
    values = [0] * len(starts)
    for on, units in by_day.items():
        i = index.get(period_start(on, granularity))
        if i is not None:
            values[i] += units
    return values


def demand_history(
    keys: list[Key], *, granularities=GRANULARITIES, today: date | None = None
) -> dict[tuple[Key, str], list[tuple[date, int]]]:
    """The last HISTORY_SHOWN complete periods of demand for each (product,
    warehouse) key and granularity, as [(period start, units)], oldest first.
    One pair of queries for all the keys."""
    if not keys or not granularities:  # e.g. an empty page of forecasts
        return {}
    today = today or timezone.localdate()
    since = min(_shown_since(today, granularity) for granularity in granularities)
    product_ids = {product_id for product_id, _warehouse in keys}
    demand = demand_by_day(since=since, until=today, product_ids=product_ids) if keys else {}
    history = {}
    for granularity in granularities:
        starts = complete_periods(_shown_since(today, granularity), today, granularity)
        for key in keys:
            values = bucket(demand.get(key, {}), starts, granularity)
            history[(key, granularity)] = list(zip(starts, values, strict=True))
    return history


def _shown_since(today: date, granularity: str) -> date:
    last = period_start(today, granularity)
    return period_next(last, granularity, -HISTORY_SHOWN[granularity])


# --- Forecasts and suggestions ---------------------------------------------------------


def forecast_run_list() -> QuerySet[ForecastRun]:
    return ForecastRun.objects.select_related("product", "warehouse").prefetch_related("points")


def reorder_suggestion_list() -> QuerySet[ReorderSuggestion]:
    return ReorderSuggestion.objects.select_related("product", "warehouse", "run").order_by(
        "product__sku", F("warehouse__code").asc(nulls_first=True)
    )


def forecast_daily_demand(*, now: datetime | None = None) -> dict[int, tuple]:
    """{product id: (units a day, model label)} from current all-warehouses
    reorder suggestions (forecast demand over the lead time / lead time),
    those generated within ANALYTICS_FORECAST_MAX_AGE_HOURS."""
    now = now or timezone.now()
    fresh = now - timedelta(hours=settings.ANALYTICS_FORECAST_MAX_AGE_HOURS)
    rows = ReorderSuggestion.objects.filter(
        warehouse__isnull=True, generated_at__gte=fresh, generated_at__lte=now
    ).values_list("product_id", "daily_demand", "run__model_label")
    return {product_id: (daily, label) for product_id, daily, label in rows}
