"""The daily rollup behind the KPIs: build it incrementally, rebuild it whole.

A day is always rebuilt whole: its rows are deleted and written again from
the facts (analytics.selectors.facts), in one transaction, so a run leaves
every day it touched exactly as the raw data says, whichever cells of it
changed or disappeared. Runs take an advisory lock (erp.core.db.advisory_lock)
and so are serialised; running twice changes nothing, and a run that waited
for another only redoes what changed meanwhile.

Which days an incremental run (rollup_daily) rebuilds:
- the days whose facts may have changed since the last run: for every order
  touched since the watermark (the order itself, its reservations, shipments,
  events or returns), the days of its facts - placed, confirmed, delivered,
  shipments dispatched, returns requested - and of its tickets; for every
  ticket touched (the ticket, its events, its feedback), the days it was
  opened, first answered, resolved (now and before a reopening) and answered
  the survey; for orders not yet allocated of a channel whose default
  warehouse changed, their days;
- the stock days from the first stock move since the watermark to today (a
  closing balance carries forward), all of them when a product's category
  changed;
- the last ANALYTICS_ROLLUP_RECENT_DAYS days, and any day after the last one
  built (a run missed for a week leaves no gap).
The watermark is the run's start less ANALYTICS_ROLLUP_OVERLAP_MINUTES, so a
transaction that committed after a run looked is seen by the next one.
"""

import hashlib
import time as clock
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from aftersales.models import Feedback, ReturnRequest, Ticket, TicketEvent
from analytics.models import DailyFacts, DailyReturnReason, DailyStockFacts, RollupState
from analytics.selectors.facts import (
    local_day,
    order_facts,
    product_categories,
    return_reason_facts,
    stock_facts,
)
from erp.core.db import advisory_lock
from inventory.models import StockMove
from logistics.models import Shipment
from orders.models import Order, OrderEvent, Reservation, SalesChannel
from orders.selectors import CONFIRMATION

ROLLUP = "daily"
LOCK_KEY = "analytics.rollup_daily"
CHUNK = 2000
# Dirty days closer together than this are rebuilt as one range (fewer queries).
MERGE_GAP_DAYS = 7


def today() -> date:
    return local_day(timezone.now())


def _state() -> RollupState:
    RollupState.objects.get_or_create(name=ROLLUP)
    return RollupState.objects.select_for_update().get(name=ROLLUP)


def category_digest() -> str:
    text = "\n".join(f"{pk}:{category}" for pk, category in sorted(product_categories().items()))
    return hashlib.sha256(text.encode()).hexdigest()


def earliest_day() -> date | None:
    """The first day any fact can fall on."""
    moments = [
        Order.objects.aggregate(m=Min("placed_at"))["m"],
        StockMove.objects.aggregate(m=Min("created_at"))["m"],
        Ticket.objects.aggregate(m=Min("created_at"))["m"],
    ]
    moments = [m for m in moments if m is not None]
    return local_day(min(moments)) if moments else None


def _ranges(days: Iterable[date], gap: int = MERGE_GAP_DAYS) -> list[tuple[date, date]]:
    """Sorted days as inclusive ranges, joining those at most `gap` days apart."""
    ranges: list[list[date]] = []
    for day in sorted(set(days)):
        if ranges and (day - ranges[-1][1]).days <= gap:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(start, end) for start, end in ranges]


def _span(start: date, end: date) -> set[date]:
    return {start + timedelta(n) for n in range((end - start).days + 1)}


# --- Writing days -------------------------------------------------------------------


def _write_order_days(start: date, end: date) -> int:
    DailyFacts.objects.filter(day__gte=start, day__lte=end).delete()
    DailyReturnReason.objects.filter(day__gte=start, day__lte=end).delete()
    rows = [
        DailyFacts(day=day, channel_id=channel, warehouse_id=warehouse, **facts)
        for (day, channel, warehouse), facts in order_facts(start, end).items()
    ]
    DailyFacts.objects.bulk_create(rows, batch_size=1000)
    reasons = [
        DailyReturnReason(
            day=day, channel_id=channel, warehouse_id=warehouse, reason=reason, returns=n
        )
        for (day, channel, warehouse, reason), n in return_reason_facts(start, end).items()
    ]
    DailyReturnReason.objects.bulk_create(reasons, batch_size=1000)
    return len(rows)


def _write_stock_days(start: date, end: date) -> int:
    DailyStockFacts.objects.filter(day__gte=start, day__lte=end).delete()
    rows = [
        DailyStockFacts(day=day, warehouse_id=warehouse, category=category, **facts)
        for (day, warehouse, category), facts in stock_facts(start, end).items()
    ]
    DailyStockFacts.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _build(order_days: set[date], stock_from: date | None, last: date) -> dict:
    order_days = {day for day in order_days if day <= last}
    rows = 0
    for start, end in _ranges(order_days):
        rows += _write_order_days(start, end)
    stock_days = 0
    if stock_from is not None and stock_from <= last:
        rows += _write_stock_days(stock_from, last)
        stock_days = (last - stock_from).days + 1
    return {"days": len(order_days), "stock_days": stock_days, "rows": rows}


def _finish(state: RollupState, result: dict, started, began: float, built_through) -> dict:
    state.built_through = built_through
    state.last_run_at = started
    state.last_run_days = max(result["days"], result["stock_days"])
    state.last_run_seconds = Decimal(f"{clock.monotonic() - began:.2f}")
    state.save()
    return {**result, "built_through": built_through.isoformat() if built_through else None}


# --- What changed -------------------------------------------------------------------


def _chunks(ids: set[int]):
    ordered = sorted(ids)
    for index in range(0, len(ordered), CHUNK):
        yield ordered[index : index + CHUNK]


def _days_of(moments) -> set[date]:
    return {local_day(moment) for moment in moments if moment is not None}


def changed_order_ids(since) -> set[int]:
    """Orders whose facts (or whose dimensions) may have changed since `since`."""
    ids = set(Order.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    ids |= set(
        Reservation.objects.filter(updated_at__gte=since).values_list(
            "order_line__order_id", flat=True
        )
    )
    ids |= set(Shipment.objects.filter(updated_at__gte=since).values_list("order_id", flat=True))
    ids |= set(OrderEvent.objects.filter(created_at__gte=since).values_list("order_id", flat=True))
    ids |= set(
        ReturnRequest.objects.filter(updated_at__gte=since).values_list("order_id", flat=True)
    )
    # A channel's default warehouse is the warehouse of its orders not yet allocated.
    channels = SalesChannel.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
    if channels:
        ids |= set(
            Order.objects.filter(channel_id__in=list(channels))
            .exclude(lines__reservations__isnull=False)
            .values_list("pk", flat=True)
        )
    return ids


def changed_ticket_ids(since, order_ids: set[int]) -> set[int]:
    ids = set(Ticket.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    ids |= set(
        TicketEvent.objects.filter(created_at__gte=since).values_list("ticket_id", flat=True)
    )
    ids |= set(Feedback.objects.filter(updated_at__gte=since).values_list("ticket_id", flat=True))
    for chunk in _chunks(order_ids):  # they count under their order's channel and warehouse
        ids |= set(Ticket.objects.filter(order_id__in=chunk).values_list("pk", flat=True))
    return ids


def order_days(order_ids: set[int]) -> set[date]:
    """Every day a fact of these orders falls on."""
    days: set[date] = set()
    for chunk in _chunks(order_ids):
        for placed, delivered in Order.objects.filter(pk__in=chunk).values_list(
            "placed_at", "delivered_at"
        ):
            days |= _days_of((placed, delivered))
        days |= _days_of(
            OrderEvent.objects.filter(order_id__in=chunk, **CONFIRMATION).values_list(
                "created_at", flat=True
            )
        )
        days |= _days_of(
            Shipment.objects.filter(order_id__in=chunk).values_list("picked_up_at", flat=True)
        )
        days |= _days_of(
            ReturnRequest.objects.filter(order_id__in=chunk).values_list("requested_at", flat=True)
        )
    return days


def ticket_days(ticket_ids: set[int]) -> set[date]:
    """Every day a fact of these tickets falls on, including days they were
    resolved before being reopened (their resolution no longer counts there)."""
    days: set[date] = set()
    for chunk in _chunks(ticket_ids):
        for moments in Ticket.objects.filter(pk__in=chunk).values_list(
            "created_at", "first_responded_at", "resolved_at"
        ):
            days |= _days_of(moments)
        days |= _days_of(
            TicketEvent.objects.filter(
                ticket_id__in=chunk, kind=TicketEvent.Kind.STATUS, to_value=Ticket.Status.RESOLVED
            ).values_list("created_at", flat=True)
        )
        days |= _days_of(
            Feedback.objects.filter(ticket_id__in=chunk).values_list("submitted_at", flat=True)
        )
    return days


def dirty_days(since) -> set[date]:
    """The days whose order, shipment, return or service facts may have
    changed since `since`."""
    orders = changed_order_ids(since)
    tickets = changed_ticket_ids(since, orders)
    return order_days(orders) | ticket_days(tickets)


def stock_dirty_from(since) -> date | None:
    first = StockMove.objects.filter(created_at__gte=since).aggregate(m=Min("created_at"))["m"]
    return None if first is None else local_day(first)


# --- Runs ---------------------------------------------------------------------------


@transaction.atomic
def rollup_daily(*, recent_days: int | None = None) -> dict:
    """Bring the daily rollup up to date (the job analytics.rollup_daily):
    rebuild the days that may have changed, the last `recent_days` days
    (default ANALYTICS_ROLLUP_RECENT_DAYS) and any day not built yet; the
    first run builds everything."""
    advisory_lock(LOCK_KEY)
    state = _state()
    started, began = timezone.now(), clock.monotonic()
    last = local_day(started)
    digest = category_digest()
    if state.watermark is None or state.built_through is None:
        first = earliest_day()
        days = _span(first, last) if first else set()
        result = _build(days, first, last)
    else:
        recent_days = max(recent_days or settings.ANALYTICS_ROLLUP_RECENT_DAYS, 1)
        recent = {last - timedelta(n) for n in range(recent_days)}
        gap = (
            _span(state.built_through + timedelta(1), last) if state.built_through < last else set()
        )
        days = dirty_days(state.watermark) | recent | gap
        starts = [min(recent | gap), stock_dirty_from(state.watermark)]
        if digest != state.category_digest:
            starts.append(earliest_day())
        result = _build(days, min(d for d in starts if d is not None), last)
    state.watermark = started - timedelta(minutes=settings.ANALYTICS_ROLLUP_OVERLAP_MINUTES)
    state.category_digest = digest
    built = max(last, state.built_through) if state.built_through else last
    return _finish(state, result, started, began, built)


@transaction.atomic
def rollup_rebuild(*, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Rebuild the days date_from..date_to whole (default: from the first day
    with data to today), e.g. after a change of definition or a data repair.
    Days after today have no facts and are left alone."""
    advisory_lock(LOCK_KEY)
    state = _state()
    started, began = timezone.now(), clock.monotonic()
    last = local_day(started)
    first = earliest_day()
    date_from = date_from or first or last
    date_to = min(date_to or last, last)
    if date_to < date_from:
        return _finish(
            state, {"days": 0, "stock_days": 0, "rows": 0}, started, began, state.built_through
        )
    result = _build(_span(date_from, date_to), date_from, date_to)
    # Stock balances carry forward: later days built before are rebuilt too.
    if state.built_through and date_to < state.built_through:
        result["rows"] += _write_stock_days(date_to + timedelta(1), state.built_through)
    built = state.built_through
    covers_start = first is None or date_from <= first
    if built is None and covers_start:
        built = date_to
        state.watermark = started - timedelta(minutes=settings.ANALYTICS_ROLLUP_OVERLAP_MINUTES)
        state.category_digest = category_digest()
    elif built is not None and date_from <= built + timedelta(1):
        built = max(built, date_to)
    return _finish(state, result, started, began, built)


def rollup_status() -> dict:
    state = RollupState.objects.filter(name=ROLLUP).first()
    if state is None:
        return {"built_through": None, "last_run_at": None}
    return {"built_through": state.built_through, "last_run_at": state.last_run_at}
