"""The KPIs, each defined once, over the daily rollup.

A KPI is a formula over additive facts (analytics.models.kpis documents what
each fact counts, on which day and under which channel and warehouse). The
facts of a filter are summed from the rollup for the days it has built, and
computed from the raw data (analytics.selectors.facts) for the days after
(today, until the hourly job has run); `source="raw"` computes every day
from the raw data - the tests prove both give the same.

Traffic light against the KPI's active target (KpiTarget):
- green: the target is met (at least / at most the target; within the
  tolerance of it for "within");
- amber: not met, but near: within the amber band past the target - its
  tolerance (% of the target) if it has one, else ANALYTICS_KPI_AMBER_PERCENT;
  for "within", up to twice its tolerance;
- red: further off;
- none: no active target, or no value (nothing to measure in the period).

Stock KPIs are per warehouse and product category; inventory is not split
by sales channel, so they ignore the channel filter.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.models import ReturnRequest
from analytics.models import (
    DailyFacts,
    DailyReturnReason,
    DailyStockFacts,
    KpiTarget,
    RollupState,
)
from analytics.models.kpis import FACT_FIELDS, STOCK_FACT_FIELDS
from analytics.selectors.facts import (
    RETURN_EXCLUDED,
    local_day,
    order_facts,
    return_reason_facts,
    stock_facts,
)
from analytics.selectors.scope import ScopeInvalid
from inventory.models import Warehouse
from orders.models import Order, SalesChannel

__all__ = [
    "BREAKDOWNS",
    "KPIS",
    "KPI_GROUPS",
    "KPI_KEYS",
    "KpiFilter",
    "KpiValue",
    "kpi_breakdown",
    "kpi_drill_url",
    "kpi_series",
    "kpi_values",
    "traffic_light",
    "turnover_rows",
]

TWO = Decimal("0.01")
HUNDRED = Decimal("100")
HOUR = Decimal("3600")


@dataclass(frozen=True)
class KpiFilter:
    date_from: date  # inclusive, Asia/Shanghai local dates
    date_to: date  # inclusive
    channel_id: int | None = None
    warehouse_id: int | None = None


@dataclass(frozen=True)
class KpiValue:
    key: str  # KPI key, e.g. "on_time_delivery_rate"
    label: str  # translated name
    value: Decimal | None  # None = no data in the period
    unit: str  # "%", "h", "d", "CNY", "kg", "" (count or ratio), "score"
    target: Decimal | None  # from KpiTarget, if any
    status: str  # "green" | "amber" | "red" | "none" (no target or no data)
    drill_url: str | None  # staff list behind the number, with the filters applied
    numerator: Decimal | None = None  # the parts, where a rate has them
    denominator: Decimal | None = None


# --- Arithmetic ----------------------------------------------------------------------


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(TWO, rounding=ROUND_HALF_UP)


def _ratio(numerator, denominator, scale=Decimal("1")):
    """(value, numerator, denominator); no value when nothing to divide by."""
    numerator, denominator = Decimal(numerator), Decimal(denominator)
    if not denominator:
        return None, numerator, denominator
    return numerator * scale / denominator, numerator, denominator


def _hours(duration) -> Decimal:
    return Decimal(str(duration.total_seconds())) / HOUR if duration else Decimal("0")


def _total(value) -> tuple:
    return Decimal(value), None, None


# --- Definitions ---------------------------------------------------------------------

ORDERS, STOCK = "orders", "stock"
BREAKDOWNS = ("channel", "warehouse", "category", "reason")


@dataclass(frozen=True)
class Kpi:
    """One KPI: its formula over the summed facts `t` (and the number of days
    of the period, for stock averages), the list behind it, what it can be
    broken down by."""

    key: str
    label: object  # lazy
    unit: str
    source: str  # ORDERS or STOCK facts
    formula: Callable[[dict, int], tuple]
    definition: object  # lazy: the formula in words
    drill: Callable[["_Drill"], str | None] = lambda d: None
    drill_permission: str = ""
    breakdowns: tuple[str, ...] = ("channel", "warehouse")


def _inventory_days(t, days):
    average = _average_inventory(t, days)
    if average is None:
        return None, None, None
    daily_cogs = Decimal(t["cogs"]) / days
    if not daily_cogs:
        return None, average, daily_cogs
    return average / daily_cogs, average, daily_cogs


def _average_inventory(t, days) -> Decimal | None:
    return None if days <= 0 else Decimal(t["closing_value"]) / days


def _turnover(t, days):
    average = _average_inventory(t, days)
    if not average:
        return None, Decimal(t["cogs"]), average
    return Decimal(t["cogs"]) / average, Decimal(t["cogs"]), average


def _inventory_value(t, days):
    average = _average_inventory(t, days)
    return average, None, None


KPIS: dict[str, Kpi] = {}


def _define(*kpis: Kpi) -> None:
    for kpi in kpis:
        KPIS[kpi.key] = kpi


class _Drill:
    """Builds the address of a staff list with the filter's period, channel
    and warehouse in the list's own filter names."""

    def __init__(self, f: KpiFilter):
        self.f = f
        self.channel = (
            SalesChannel.objects.filter(pk=f.channel_id).values_list("code", flat=True).first()
            if f.channel_id
            else None
        )
        self.warehouse = (
            Warehouse.objects.filter(pk=f.warehouse_id).values_list("code", flat=True).first()
            if f.warehouse_id
            else None
        )

    def url(
        self,
        name: str,
        period: tuple[str, str] | None,
        channel: str | None,
        warehouse: str | None,
        **extra,
    ) -> str:
        query: list[tuple[str, str]] = []
        if period:
            query += [
                (period[0], self.f.date_from.isoformat()),
                (period[1], self.f.date_to.isoformat()),
            ]
        if channel and self.channel:
            query.append((channel, self.channel))
        if warehouse and self.warehouse:
            query.append((warehouse, self.warehouse))
        for key, value in extra.items():
            values = value if isinstance(value, list | tuple) else [value]
            query += [(key, str(v)) for v in values]
        return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)

    def orders(self, period, **extra):
        return self.url("orders:order-list", period, "channel", "warehouse", **extra)

    def shipments(self, **extra):
        return self.url(
            "logistics:shipment-list",
            ("dispatched_from", "dispatched_to"),
            "sales_channel",
            "warehouse",
            **extra,
        )

    def tickets(self, period, **extra):
        return self.url(
            "aftersales:ticket-list", period, "sales_channel", "order_warehouse", **extra
        )

    def feedback(self):
        return self.url(
            "aftersales:feedback-list",
            ("answered_from", "answered_to"),
            "sales_channel",
            "order_warehouse",
        )


PLACED = ("placed_from", "placed_to")
DELIVERED = ("delivered_from", "delivered_to")
NOT_CANCELLED = [s for s in Order.Status.values if s != Order.Status.CANCELLED]
RETURNS_COUNTED = [s for s in ReturnRequest.Status.values if s not in RETURN_EXCLUDED]
_ORDERS = "orders.view_order"
_TICKETS = "aftersales.view_ticket"
_STOCK_BREAKDOWNS = ("warehouse", "category")

_define(
    Kpi(
        "orders_placed",
        gettext_lazy("orders"),
        "",
        ORDERS,
        lambda t, d: _total(t["orders_placed"]),
        gettext_lazy("orders placed in the period, cancelled ones left out"),
        lambda d: d.orders(PLACED, status=NOT_CANCELLED),
        _ORDERS,
    ),
    Kpi(
        "revenue",
        gettext_lazy("revenue"),
        "CNY",
        ORDERS,
        lambda t, d: _total(t["revenue"]),
        gettext_lazy("total of the orders placed in the period (not cancelled)"),
        lambda d: d.orders(PLACED, status=NOT_CANCELLED),
        _ORDERS,
    ),
    Kpi(
        "on_time_delivery_rate",
        gettext_lazy("on-time delivery rate"),
        "%",
        ORDERS,
        lambda t, d: _ratio(t["orders_on_time"], t["orders_delivered_promised"], HUNDRED),
        gettext_lazy(
            "orders delivered on or before their promised date / orders delivered in the "
            "period that had a promised date x 100"
        ),
        lambda d: d.orders(DELIVERED, delivery="late"),
        _ORDERS,
    ),
    Kpi(
        "order_cycle_time",
        gettext_lazy("order cycle time"),
        "h",
        ORDERS,
        lambda t, d: _ratio(_hours(t["cycle_time"]), t["orders_delivered"]),
        gettext_lazy("hours from placed to delivered, summed / orders delivered in the period"),
        lambda d: d.orders(DELIVERED),
        _ORDERS,
    ),
    Kpi(
        "fill_rate",
        gettext_lazy("fill rate"),
        "%",
        ORDERS,
        lambda t, d: _ratio(t["lines_allocated"] - t["lines_short"], t["lines_allocated"], HUNDRED),
        gettext_lazy(
            "order lines fully reserved from stock at their first allocation / lines of the "
            "orders confirmed in the period x 100"
        ),
        lambda d: d.orders(("confirmed_from", "confirmed_to"), backordered="true"),
        _ORDERS,
    ),
    Kpi(
        "backorder_rate",
        gettext_lazy("backorder rate"),
        "%",
        ORDERS,
        lambda t, d: _ratio(t["orders_backordered"], t["orders_confirmed"], HUNDRED),
        gettext_lazy(
            "orders with a line short at their first allocation / orders confirmed in the "
            "period x 100"
        ),
        lambda d: d.orders(("confirmed_from", "confirmed_to"), backordered="true"),
        _ORDERS,
    ),
    Kpi(
        "freight_cost_per_order",
        gettext_lazy("freight cost per order"),
        "CNY",
        ORDERS,
        lambda t, d: _ratio(t["freight_cost"], t["orders_shipped"]),
        gettext_lazy(
            "freight cost of the shipments dispatched in the period / orders whose first "
            "shipment left in the period"
        ),
        lambda d: d.shipments(),
        "logistics.view_shipment",
    ),
    Kpi(
        "co2e_per_order",
        gettext_lazy("CO2e per order"),
        "kg",
        ORDERS,
        lambda t, d: _ratio(t["co2e_kg"], t["orders_shipped"]),
        gettext_lazy(
            "kg CO2e of the shipments dispatched in the period / orders whose first shipment "
            "left in the period"
        ),
        lambda d: d.shipments(ordering="-co2e_kg"),
        "logistics.view_shipment",
    ),
    Kpi(
        "inventory_turnover",
        gettext_lazy("inventory turnover"),
        "",
        STOCK,
        _turnover,
        gettext_lazy(
            "cost of goods sold in the period / average inventory value (the stock "
            "ledger's value at the end of each day, averaged over the period's days)"
        ),
        lambda d: d.url(
            "inventory:move-list", ("since", "until"), None, "warehouse", kind="shipment"
        ),
        "inventory.view_stockmove",
        _STOCK_BREAKDOWNS,
    ),
    Kpi(
        "inventory_turnover_days",
        gettext_lazy("inventory turnover (days)"),
        "d",
        STOCK,
        _inventory_days,
        gettext_lazy(
            "average inventory value / average cost of goods sold per day of the period "
            "(days of inventory)"
        ),
        lambda d: d.url(
            "inventory:move-list", ("since", "until"), None, "warehouse", kind="shipment"
        ),
        "inventory.view_stockmove",
        _STOCK_BREAKDOWNS,
    ),
    Kpi(
        "inventory_value",
        gettext_lazy("average inventory value"),
        "CNY",
        STOCK,
        _inventory_value,
        gettext_lazy("the stock ledger's value at the end of each day, averaged over the period"),
        lambda d: d.url("inventory:stock-list", None, None, "warehouse"),
        "inventory.view_stocklevel",
        _STOCK_BREAKDOWNS,
    ),
    Kpi(
        "stockout_rate",
        gettext_lazy("stock-out rate"),
        "%",
        STOCK,
        lambda t, d: _ratio(t["skus_out"], t["skus_carried"], HUNDRED),
        gettext_lazy(
            "days products were out of stock at the end of the day in a warehouse / days "
            "they were carried there x 100 (SKU-days)"
        ),
        lambda d: d.url("inventory:stock-list", None, None, "warehouse", out_of_stock="true"),
        "inventory.view_stocklevel",
        _STOCK_BREAKDOWNS,
    ),
    Kpi(
        "return_rate",
        gettext_lazy("return rate"),
        "%",
        ORDERS,
        lambda t, d: _ratio(t["returns"], t["orders_delivered"], HUNDRED),
        gettext_lazy(
            "returns and exchanges requested in the period (not rejected or cancelled) / "
            "orders delivered in the period x 100"
        ),
        lambda d: d.url(
            "aftersales:return-list",
            ("requested_from", "requested_to"),
            "sales_channel",
            "order_warehouse",
            status=RETURNS_COUNTED,
        ),
        "aftersales.view_returnrequest",
        ("channel", "warehouse", "reason"),
    ),
    Kpi(
        "tickets_opened",
        gettext_lazy("tickets opened"),
        "",
        ORDERS,
        lambda t, d: _total(t["tickets_opened"]),
        gettext_lazy("tickets opened in the period"),
        lambda d: d.tickets(("created_from", "created_to")),
        _TICKETS,
    ),
    Kpi(
        "first_response_time",
        gettext_lazy("first response time"),
        "h",
        ORDERS,
        lambda t, d: _ratio(_hours(t["first_response_time"]), t["tickets_responded"]),
        gettext_lazy(
            "hours from opening to the first reply, summed / tickets first answered in the "
            "period (elapsed time)"
        ),
        lambda d: d.tickets(("responded_from", "responded_to")),
        _TICKETS,
    ),
    Kpi(
        "resolution_time",
        gettext_lazy("resolution time"),
        "h",
        ORDERS,
        lambda t, d: _ratio(_hours(t["resolution_time"]), t["tickets_resolved"]),
        gettext_lazy(
            "hours from opening to resolution, summed / tickets resolved in the period "
            "(elapsed time)"
        ),
        lambda d: d.tickets(("resolved_from", "resolved_to")),
        _TICKETS,
    ),
    Kpi(
        "sla_compliance",
        gettext_lazy("SLA compliance"),
        "%",
        ORDERS,
        lambda t, d: _ratio(t["tickets_resolved_within_sla"], t["tickets_resolved_sla"], HUNDRED),
        gettext_lazy(
            "tickets resolved in the period with neither SLA target breached / tickets "
            "resolved in the period under an SLA policy x 100"
        ),
        lambda d: d.tickets(("resolved_from", "resolved_to"), sla_met="false"),
        _TICKETS,
    ),
    Kpi(
        "csat",
        gettext_lazy("customer satisfaction (CSAT)"),
        "score",
        ORDERS,
        lambda t, d: _ratio(t["csat_sum"], t["csat_answers"]),
        gettext_lazy("satisfaction points (1-5) / survey answers given in the period"),
        lambda d: d.feedback(),
        "aftersales.view_feedback",
    ),
    Kpi(
        "nps",
        gettext_lazy("net promoter score (NPS)"),
        "score",
        ORDERS,
        lambda t, d: _ratio(t["nps_promoters"] - t["nps_detractors"], t["nps_answers"], HUNDRED),
        gettext_lazy(
            "(promoters, 9-10, minus detractors, 0-6) / answers with a recommendation score "
            "given in the period x 100"
        ),
        lambda d: d.feedback(),
        "aftersales.view_feedback",
    ),
)

KPI_KEYS: list[str] = list(KPIS)
KPI_GROUPS: dict[str, list[str]] = {
    "ops": [
        "orders_placed",
        "on_time_delivery_rate",
        "order_cycle_time",
        "fill_rate",
        "backorder_rate",
        "freight_cost_per_order",
        "co2e_per_order",
    ],
    "warehouse": [
        "inventory_turnover_days",
        "inventory_turnover",
        "inventory_value",
        "stockout_rate",
        "fill_rate",
        "backorder_rate",
    ],
    "aftersales": [
        "return_rate",
        "tickets_opened",
        "first_response_time",
        "resolution_time",
        "sla_compliance",
        "csat",
        "nps",
    ],
    "management": [
        "revenue",
        "orders_placed",
        "on_time_delivery_rate",
        "inventory_turnover_days",
        "return_rate",
        "csat",
        "nps",
        "freight_cost_per_order",
    ],
}


# --- Facts of a filter ---------------------------------------------------------------


def _zero_orders() -> dict:
    zero = dict.fromkeys(FACT_FIELDS, 0)
    for name in ("cycle_time", "first_response_time", "resolution_time"):
        zero[name] = timedelta(0)
    for name in ("revenue", "freight_cost", "co2e_kg"):
        zero[name] = Decimal("0")
    return zero


def _zero_stock() -> dict:
    return {"cogs": Decimal("0"), "closing_value": Decimal("0"), "skus_carried": 0, "skus_out": 0}


def _add(into: dict, facts: dict) -> None:
    for name, value in facts.items():
        if value is not None:
            into[name] = into[name] + value


def built_through() -> date | None:
    return RollupState.objects.filter(name="daily").values_list("built_through", flat=True).first()


def _today() -> date:
    from django.utils import timezone

    return local_day(timezone.now())


@dataclass(frozen=True)
class _Plan:
    """Which days of the filter come from the rollup, which are computed live."""

    rollup: tuple[date, date] | None
    live: tuple[date, date] | None
    days: int  # days of the period up to today (stock averages)


def _plan(f: KpiFilter, source: str) -> _Plan:
    if source not in ("auto", "rollup", "raw"):
        raise ValueError(source)
    last = min(f.date_to, _today())
    days = max((last - f.date_from).days + 1, 0)
    if last < f.date_from:
        return _Plan(None, None, 0)
    if source == "raw":
        return _Plan(None, (f.date_from, last), days)
    if source == "rollup":
        return _Plan((f.date_from, last), None, days)
    built = built_through()
    if built is None or built < f.date_from:
        return _Plan(None, (f.date_from, last), days)
    if built >= last:
        return _Plan((f.date_from, last), None, days)
    return _Plan((f.date_from, built), (built + timedelta(1), last), days)


def _matches(f: KpiFilter, channel_id, warehouse_id, stock: bool = False) -> bool:
    if f.channel_id is not None and not stock and channel_id != f.channel_id:
        return False
    return f.warehouse_id is None or warehouse_id == f.warehouse_id


_COLUMNS = {"day": "day", "channel": "channel_id", "warehouse": "warehouse_id"}


def _grouped(f: KpiFilter, plan: _Plan, source: str, by: str | tuple[str, ...] | None) -> dict:
    """{group: summed facts} for the filter; group is the day, the channel or
    warehouse id, the category, None for everything - or, for a tuple of
    those dimensions, the tuple of their values."""
    groups: dict = defaultdict(_zero_stock if source == STOCK else _zero_orders)
    model, fields = (
        (DailyStockFacts, STOCK_FACT_FIELDS) if source == STOCK else (DailyFacts, FACT_FIELDS)
    )
    dims = () if by is None else by if isinstance(by, tuple) else (by,)

    def group_of(values) -> object:
        return tuple(values) if isinstance(by, tuple) else (values[0] if dims else None)

    if plan.rollup:
        rows = model.objects.filter(day__gte=plan.rollup[0], day__lte=plan.rollup[1])
        if f.channel_id is not None and source != STOCK:
            rows = rows.filter(channel_id=f.channel_id)
        if f.warehouse_id is not None:
            rows = rows.filter(warehouse_id=f.warehouse_id)
        sums = {name: Sum(name) for name in fields}
        if not dims:
            _add(groups[None], rows.aggregate(**sums))
        else:
            columns = [_COLUMNS.get(dim, dim) for dim in dims]
            for row in rows.order_by().values(*columns).annotate(**sums):
                _add(groups[group_of([row.pop(column) for column in columns])], row)
    if plan.live:
        live = stock_facts(*plan.live) if source == STOCK else order_facts(*plan.live)
        for key, facts in live.items():
            day, dim, third = key
            channel_id, warehouse_id = (None, dim) if source == STOCK else (dim, third)
            if not _matches(f, channel_id, warehouse_id, stock=source == STOCK):
                continue
            values = {
                "day": day,
                "channel": channel_id,
                "warehouse": warehouse_id,
                "category": third,
            }
            _add(groups[group_of([values[dim] for dim in dims])], facts)
    return groups


# --- Traffic light -------------------------------------------------------------------


def traffic_light(target: KpiTarget | None, value: Decimal | None) -> str:
    """green, amber, red against the target (see the module's docstring); none
    without a target or a value."""
    if target is None or value is None:
        return "none"
    goal = target.target
    tolerance = abs(goal) * target.tolerance_percent / HUNDRED
    default_band = abs(goal) * Decimal(str(settings.ANALYTICS_KPI_AMBER_PERCENT)) / HUNDRED
    C = KpiTarget.Comparison
    if target.comparison == C.WITHIN:
        off = abs(value - goal)
        if off <= tolerance:
            return "green"
        return "amber" if off <= (2 * tolerance if tolerance else default_band) else "red"
    band = tolerance or default_band
    if target.comparison == C.AT_LEAST:
        if value >= goal:
            return "green"
        return "amber" if value >= goal - band else "red"
    if value <= goal:
        return "green"
    return "amber" if value <= goal + band else "red"


def _targets() -> dict[str, KpiTarget]:
    return {t.kpi: t for t in KpiTarget.objects.filter(active=True)}


# --- The contract --------------------------------------------------------------------


def kpi(key: str) -> Kpi:
    if key not in KPIS:
        raise ScopeInvalid(_("Unknown KPI: %(key)s.") % {"key": key}, field="key")
    return KPIS[key]


def _value(definition: Kpi, facts: dict, days: int) -> tuple:
    value, numerator, denominator = definition.formula(facts, days)
    return _round(value), _round(numerator), _round(denominator)


def kpi_values(
    f: KpiFilter,
    keys: Iterable[str] | None = None,
    *,
    source: str = "auto",
    user=None,
) -> list[KpiValue]:
    """The KPIs `keys` (all, in display order, by default) over the filter,
    each with its target, traffic light and the list behind it. With `user`,
    links to lists the user may not open are left out. `source`: "auto"
    (rollup, then live for days not built), "raw" (all live), "rollup"."""
    definitions = [kpi(key) for key in (KPI_KEYS if keys is None else keys)]
    plan = _plan(f, source)
    facts = {name: _grouped(f, plan, name, None)[None] for name in {d.source for d in definitions}}
    targets = _targets()
    drill = _Drill(f)
    values = []
    for definition in definitions:
        value, numerator, denominator = _value(definition, facts[definition.source], plan.days)
        target = targets.get(definition.key)
        values.append(
            KpiValue(
                key=definition.key,
                label=str(definition.label),
                value=value,
                unit=definition.unit,
                target=target.target if target else None,
                status=traffic_light(target, value),
                drill_url=_drill_url(definition, drill, user),
                numerator=numerator,
                denominator=denominator,
            )
        )
    return values


def _drill_url(definition: Kpi, drill: _Drill, user) -> str | None:
    if user is not None and not user.has_perm(definition.drill_permission):
        return None
    return definition.drill(drill)


def kpi_drill_url(f: KpiFilter, key: str, *, user=None) -> str | None:
    """The staff list behind a KPI over the filter (None when `user` may
    not open it), without computing the KPI."""
    return _drill_url(kpi(key), _Drill(f), user)


def kpi_series(
    f: KpiFilter, key: str, *, source: str = "auto"
) -> list[tuple[date, Decimal | None]]:
    """The KPI for each day of the filter's period (stock KPIs over that one
    day); None where there is nothing to measure, and for days to come."""
    definition = kpi(key)
    plan = _plan(f, source)
    by_day = _grouped(f, plan, definition.source, "day")
    last = min(f.date_to, _today())
    zero = _zero_stock() if definition.source == STOCK else _zero_orders()
    series = []
    day = f.date_from
    while day <= f.date_to:
        if day > last:
            series.append((day, None))
        else:
            series.append((day, _value(definition, by_day.get(day, zero), 1)[0]))
        day += timedelta(1)
    return series


def kpi_breakdown(
    f: KpiFilter, key: str, by: str, *, source: str = "auto"
) -> list[tuple[str, Decimal | None]]:
    """The KPI over the filter split by `by` - channel or warehouse (codes),
    category (stock KPIs), reason (return_rate: the number of returns per
    reason, most frequent first); largest first, groups with nothing to
    measure left out. "" labels what has no channel, warehouse or category."""
    definition = kpi(key)
    if by not in definition.breakdowns:
        raise ScopeInvalid(
            _("%(kpi)s cannot be broken down by %(by)s; choose one of: %(choices)s.")
            % {"kpi": key, "by": by, "choices": ", ".join(definition.breakdowns)},
            field="by",
        )
    plan = _plan(f, source)
    if by == "reason":
        rows = _reasons(f, plan)
    else:
        groups = _grouped(f, plan, definition.source, by)
        labels = _labels(by, groups)
        rows = []
        for group, facts in groups.items():
            value, _numerator, denominator = _value(definition, facts, plan.days)
            # Left out: groups with nothing to measure (no value, or a zero total).
            if value is not None and (value or denominator):
                rows.append((labels.get(group, ""), value))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _labels(by: str, groups: dict) -> dict:
    ids = [group for group in groups if group is not None]
    if by == "channel":
        return dict(SalesChannel.objects.filter(pk__in=ids).values_list("pk", "code"))
    if by == "warehouse":
        return dict(Warehouse.objects.filter(pk__in=ids).values_list("pk", "code"))
    return {group: group or "" for group in groups}


def _reasons(f: KpiFilter, plan: _Plan) -> list[tuple[str, Decimal]]:
    counts: dict[str, int] = defaultdict(int)
    if plan.rollup:
        rows = DailyReturnReason.objects.filter(day__gte=plan.rollup[0], day__lte=plan.rollup[1])
        if f.channel_id is not None:
            rows = rows.filter(channel_id=f.channel_id)
        if f.warehouse_id is not None:
            rows = rows.filter(warehouse_id=f.warehouse_id)
        for reason, n in rows.order_by().values_list("reason").annotate(n=Sum("returns")):
            counts[reason] += n
    if plan.live:
        for (_day, channel_id, warehouse_id, reason), n in return_reason_facts(*plan.live).items():
            if _matches(f, channel_id, warehouse_id):
                counts[reason] += n
    return [(reason, Decimal(n)) for reason, n in counts.items() if n]


def turnover_rows(f: KpiFilter, *, source: str = "auto") -> list[dict]:
    """Inventory turnover per warehouse and category over the filter's period
    (the channel filter does not apply): cost of goods sold, average
    inventory value, turnover and days of inventory, as the KPIs define them."""
    plan = _plan(f, source)
    cells = _grouped(f, plan, STOCK, ("warehouse", "category"))  # stock has no channel
    codes = dict(Warehouse.objects.filter(pk__in={w for w, _c in cells}).values_list("pk", "code"))
    result = []
    for (warehouse_id, category), facts in cells.items():
        turnover = _turnover(facts, plan.days)[0]
        days = _inventory_days(facts, plan.days)[0]
        average = _average_inventory(facts, plan.days)
        result.append(
            {
                "warehouse": codes.get(warehouse_id, ""),
                "category": category,
                "cogs": _round(facts["cogs"]),
                "average_inventory_value": _round(average) if average is not None else Decimal("0"),
                "turnover": _round(turnover),
                "days_of_inventory": _round(days),
            }
        )
    return sorted(result, key=lambda row: (row["warehouse"], row["category"]))


# Kept for the README and the API schema: what every KPI means.
def kpi_definitions() -> list[dict]:
    return [
        {
            "key": d.key,
            "label": str(d.label),
            "unit": d.unit,
            "definition": str(d.definition),
            "breakdowns": list(d.breakdowns),
            "groups": [g for g, keys in KPI_GROUPS.items() if d.key in keys],
        }
        for d in KPIS.values()
    ]
