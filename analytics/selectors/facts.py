"""The additive facts behind the KPIs, computed from the raw data.

Defined once: the daily rollup (analytics.services.rollup) stores what these
functions return, and the KPI selectors use them directly for the days the
rollup has not built yet (and, with source="raw", for every day: the tests
prove the two agree). Each function takes an inclusive range of local days
and returns {key: {fact: value}}; which moment dates a fact and which
dimensions it counts under is documented on analytics.models.kpis.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from aftersales.models import Feedback, ReturnRequest, Ticket
from aftersales.selectors import FEEDBACK_FIGURES
from analytics.selectors.scope import day_bounds, day_start, local_tz
from inventory.models import Product, StockMove
from logistics.models import Shipment
from orders.models import Order, OrderEvent
from orders.selectors import (
    CONFIRMATION,
    DELIVERED_ON_TIME,
    order_warehouse,
    with_delivered_day,
)

ZERO_TIME = timedelta(0)
ZERO = Decimal("0")
# Returns that count: everything but refused and withdrawn requests.
RETURN_EXCLUDED = (ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED)
REASON_LENGTH = 100

FactKey = tuple[date, int | None, int | None]  # day, channel id, warehouse id
StockKey = tuple[date, int, str]  # day, warehouse id, category


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, local_tz()).date()


def _day(field: str):
    return TruncDate(field, tzinfo=local_tz())


def _within(field: str, start: date, end: date) -> Q:
    first, after = day_bounds(start, end)
    return Q(**{f"{field}__gte": first, f"{field}__lt": after})


def _elapsed(later: str, earlier: str):
    return Sum(ExpressionWrapper(F(later) - F(earlier), output_field=DurationField()))


def _money_sum(field: str, places: int = 2):
    return Coalesce(
        Sum(field),
        Value(ZERO),
        output_field=DecimalField(max_digits=18, decimal_places=places),
    )


# --- Orders, shipments, returns and service ----------------------------------------


def _placed(start, end):
    return (
        Order.objects.filter(_within("placed_at", start, end))
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
        .values(day=_day("placed_at"), ch=F("channel_id"), wh=order_warehouse())
        .annotate(orders_placed=Count("pk"), revenue=_money_sum("total"))
    )


def _confirmed(start, end):
    # One confirmation event per order; joined to its lines for the line counts.
    short = Q(order__lines__quantity_short_at_allocation__gt=0)
    return (
        OrderEvent.objects.filter(_within("created_at", start, end), **CONFIRMATION)
        .order_by()
        .values(day=_day("created_at"), ch=F("order__channel_id"), wh=order_warehouse("order__"))
        .annotate(
            orders_confirmed=Count("pk", distinct=True),
            orders_backordered=Count("pk", distinct=True, filter=short),
            lines_allocated=Count("order__lines"),
            lines_short=Count("order__lines", filter=short),
        )
    )


def _delivered(start, end):
    return (
        with_delivered_day(Order.objects.filter(_within("delivered_at", start, end)))
        .order_by()
        .values(day=F("delivered_day"), ch=F("channel_id"), wh=order_warehouse())
        .annotate(
            orders_delivered=Count("pk"),
            orders_delivered_promised=Count("pk", filter=Q(promised_date__isnull=False)),
            orders_on_time=Count("pk", filter=DELIVERED_ON_TIME),
            cycle_time=_elapsed("delivered_at", "placed_at"),
        )
    )


def _dispatched(start, end):
    return (
        Shipment.objects.filter(_within("picked_up_at", start, end))
        .order_by()
        .values(day=_day("picked_up_at"), ch=F("order__channel_id"), wh=F("warehouse_id"))
        .annotate(
            shipments_dispatched=Count("pk"),
            freight_cost=_money_sum("freight_cost"),
            co2e_kg=_money_sum("co2e_kg", places=3),
        )
    )


def _first_shipped(start, end):
    # The order's first shipment to leave (earliest pick-up, then lowest id).
    earlier = Shipment.objects.filter(
        order=OuterRef("order_id"), picked_up_at__isnull=False
    ).filter(
        Q(picked_up_at__lt=OuterRef("picked_up_at"))
        | Q(picked_up_at=OuterRef("picked_up_at"), pk__lt=OuterRef("pk"))
    )
    return (
        Shipment.objects.filter(_within("picked_up_at", start, end))
        .exclude(Exists(earlier))
        .order_by()
        .values(day=_day("picked_up_at"), ch=F("order__channel_id"), wh=order_warehouse("order__"))
        .annotate(orders_shipped=Count("pk"))
    )


def _returns(start, end):
    return (
        ReturnRequest.objects.filter(_within("requested_at", start, end))
        .exclude(status__in=RETURN_EXCLUDED)
        .order_by()
        .values(day=_day("requested_at"), ch=F("order__channel_id"), wh=order_warehouse("order__"))
        .annotate(returns=Count("pk"))
    )


def _ticket_dims(field: str) -> dict:
    return {"day": _day(field), "ch": F("order__channel_id"), "wh": order_warehouse("order__")}


def _tickets_opened(start, end):
    return (
        Ticket.objects.filter(_within("created_at", start, end))
        .order_by()
        .values(**_ticket_dims("created_at"))
        .annotate(tickets_opened=Count("pk"))
    )


def _tickets_responded(start, end):
    return (
        Ticket.objects.filter(_within("first_responded_at", start, end))
        .order_by()
        .values(**_ticket_dims("first_responded_at"))
        .annotate(
            tickets_responded=Count("pk"),
            first_response_time=_elapsed("first_responded_at", "created_at"),
        )
    )


def _tickets_resolved(start, end):
    under_sla = Q(sla_policy__isnull=False)
    return (
        Ticket.objects.filter(_within("resolved_at", start, end))
        .order_by()
        .values(**_ticket_dims("resolved_at"))
        .annotate(
            tickets_resolved=Count("pk"),
            resolution_time=_elapsed("resolved_at", "created_at"),
            tickets_resolved_sla=Count("pk", filter=under_sla),
            tickets_resolved_within_sla=Count(
                "pk",
                filter=under_sla & Q(first_response_breached=False, resolution_breached=False),
            ),
        )
    )


def _answers(start, end):
    return (
        Feedback.objects.filter(_within("submitted_at", start, end))
        .order_by()
        .values(
            day=_day("submitted_at"),
            ch=F("ticket__order__channel_id"),
            wh=order_warehouse("ticket__order__"),
        )
        .annotate(
            csat_answers=Count("csat"),
            csat_sum=Coalesce(Sum("csat"), 0, output_field=IntegerField()),
            nps_answers=Count("nps"),
            nps_promoters=FEEDBACK_FIGURES["promoters"],
            nps_detractors=FEEDBACK_FIGURES["detractors"],
        )
    )


FAMILIES = (
    _placed,
    _confirmed,
    _delivered,
    _dispatched,
    _first_shipped,
    _returns,
    _tickets_opened,
    _tickets_responded,
    _tickets_resolved,
    _answers,
)


def _as_date(value) -> date:
    # TruncDate gives a date; SQLite may hand back a string.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def order_facts(start: date, end: date) -> dict[FactKey, dict]:
    """{(day, channel id, warehouse id): {fact: value}} for the days start..end."""
    facts: dict[FactKey, dict] = defaultdict(dict)
    if end < start:
        return {}
    for family in FAMILIES:
        for row in family(start, end):
            key = (_as_date(row.pop("day")), row.pop("ch"), row.pop("wh"))
            cell = facts[key]
            for name, value in row.items():
                if value is not None:
                    cell[name] = cell[name] + value if name in cell else value
    return dict(facts)


def reason_of(text: str) -> str:
    """A return's reason as the KPIs group it (the returns list's `reason`
    filter matches the same way)."""
    return (text or "").strip()[:REASON_LENGTH]


def return_reason_facts(start: date, end: date) -> dict[tuple, int]:
    """{(day, channel id, warehouse id, reason): returns} for the days start..end."""
    counts: dict[tuple, int] = defaultdict(int)
    if end < start:
        return {}
    rows = (
        ReturnRequest.objects.filter(_within("requested_at", start, end))
        .exclude(status__in=RETURN_EXCLUDED)
        .order_by()
        .values(
            "reason",
            day=_day("requested_at"),
            ch=F("order__channel_id"),
            wh=order_warehouse("order__"),
        )
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[(_as_date(row["day"]), row["ch"], row["wh"], reason_of(row["reason"]))] += row["n"]
    return dict(counts)


# --- Stock --------------------------------------------------------------------------

_MOVE_VALUE = ExpressionWrapper(
    F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=24, decimal_places=4)
)
_VALUE_PLACES = Decimal("0.0001")


def _value_sum(condition: Q | None = None):
    return Coalesce(
        Sum(_MOVE_VALUE, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=24, decimal_places=4),
    )


def product_categories() -> dict[int, str]:
    return dict(Product.objects.order_by().values_list("pk", "category"))


def stock_facts(start: date, end: date) -> dict[StockKey, dict]:
    """{(day, warehouse id, category): {cogs, closing_value, skus_carried,
    skus_out}} for the days start..end (end at most today).

    Walks the stock ledger: the balance of every stock level before `start`,
    then each day's moves; a row for every warehouse and category carried
    that day, also on days without moves (the closing stock still counts)."""
    if end < start:
        return {}
    categories = product_categories()
    levels: dict[tuple[int, int], list] = {}  # (warehouse, product) -> [units, value]
    value: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    carried: dict[tuple[int, str], int] = defaultdict(int)
    out: dict[tuple[int, str], int] = defaultdict(int)
    opening = (
        StockMove.objects.filter(created_at__lt=day_start(start))
        .order_by()
        .values("warehouse_id", "product_id")
        .annotate(units=Sum("quantity"), value=_value_sum())
    )
    for row in opening:
        bucket = (row["warehouse_id"], categories.get(row["product_id"], ""))
        levels[(row["warehouse_id"], row["product_id"])] = [row["units"], row["value"]]
        value[bucket] += row["value"]
        carried[bucket] += 1
        out[bucket] += row["units"] <= 0
    moves_by_day: dict[date, list] = defaultdict(list)
    moves = (
        StockMove.objects.filter(_within("created_at", start, end))
        .order_by()
        .values("warehouse_id", "product_id", day=_day("created_at"))
        .annotate(
            units=Sum("quantity"),
            value=_value_sum(),
            cogs=_value_sum(Q(kind=StockMove.Kind.SHIPMENT)),
        )
    )
    for row in moves:
        moves_by_day[_as_date(row["day"])].append(row)
    facts: dict[StockKey, dict] = {}
    day = start
    while day <= end:
        cogs: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        for row in sorted(
            moves_by_day.get(day, ()), key=lambda r: (r["warehouse_id"], r["product_id"])
        ):
            key = (row["warehouse_id"], row["product_id"])
            bucket = (row["warehouse_id"], categories.get(row["product_id"], ""))
            level = levels.get(key)
            if level is None:
                level = levels[key] = [0, ZERO]
                carried[bucket] += 1
                was_out = True
                out[bucket] += 1
            else:
                was_out = level[0] <= 0
            level[0] += row["units"]
            level[1] += row["value"]
            value[bucket] += row["value"]
            is_out = level[0] <= 0
            if is_out != was_out:
                out[bucket] += 1 if is_out else -1
            cogs[bucket] -= row["cogs"]  # shipments are negative moves
        for bucket in sorted(set(carried) | set(cogs)):
            if not carried[bucket] and not cogs[bucket]:
                continue
            facts[(day, bucket[0], bucket[1])] = {
                "cogs": cogs[bucket].quantize(_VALUE_PLACES),
                "closing_value": value[bucket].quantize(_VALUE_PLACES),
                "skus_carried": carried[bucket],
                "skus_out": out[bucket],
            }
        day += timedelta(1)
    return facts
