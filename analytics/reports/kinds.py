"""The report kinds, one registry: for each, its columns, the permission a
person needs to request it, the inputs it uses (period, channel, warehouse)
and a generator of its rows with their number known up front (for the
progress bar).

Rows are tuples of plain values in column order: str, int, Decimal, date,
aware datetime or None; the writers format them.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.models.reports import ReportKind
from analytics.selectors.scope import day_bounds

# Column types, each with its number format in the writers.
TEXT, INT, MONEY, DECIMAL, RATIO, HOURS, DATE, DATETIME = (
    "text",
    "int",
    "money",
    "decimal",
    "ratio",
    "hours",
    "date",
    "datetime",
)
NUMERIC = {INT, MONEY, DECIMAL, RATIO, HOURS}
PERIOD, CHANNEL, WAREHOUSE = "period", "channel", "warehouse"


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    type: str = TEXT
    width: int = 14  # characters, for the XLSX column
    pdf: bool = True  # printed in the PDF (a landscape page holds about 14 columns)


@dataclass(frozen=True)
class ReportParams:
    """What a report is asked for: local dates (inclusive) and optional filters."""

    date_from: date | None = None
    date_to: date | None = None
    channel: object | None = None  # orders.SalesChannel
    warehouse: object | None = None  # inventory.Warehouse

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes [start, end) in the local time zone."""
        return day_bounds(self.date_from, self.date_to)


@dataclass
class Rows:
    """A report's rows: how many there will be, and the rows themselves."""

    total: int
    rows: Iterable[tuple]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def close(self) -> None:
        """Stop a generator left half-read (and its database cursor) now."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class ReportKindSpec:
    key: str
    label: str | Promise
    description: str | Promise
    # Any one of these lets a person request the kind (admins hold them all).
    permissions: tuple[str, ...]
    uses: frozenset[str]
    columns: tuple[Column, ...]
    generate: Callable[[ReportParams], Rows]
    # Columns summed into a last "total" row.
    totals: tuple[str, ...] = field(default=())

    def allowed(self, user) -> bool:
        return any(user.has_perm(perm) for perm in self.permissions)


CHUNK = 2000


def _iterate(queryset, make_row) -> Iterator[tuple]:
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield make_row(obj)


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _hours(start, end) -> Decimal | None:
    if start is None or end is None:
        return None
    return (Decimal((end - start).total_seconds()) / 3600).quantize(Decimal("0.1"))


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def _of_orders_in_scope(queryset, p: ReportParams, *, prefix: str = ""):
    """Rows whose order (reached through `prefix`) is of the report's channel
    and counts under its warehouse as the KPIs count it (orders.selectors)."""
    from orders.selectors import order_warehouse

    if p.channel is not None:
        queryset = queryset.filter(**{f"{prefix}channel": p.channel})
    if p.warehouse is not None:
        queryset = queryset.annotate(report_warehouse_id=order_warehouse(prefix)).filter(
            report_warehouse_id=p.warehouse.pk
        )
    return queryset


# --- Orders ------------------------------------------------------------------


def _orders(p: ReportParams) -> Rows:
    from orders.models import Order

    start, end = p.bounds()
    queryset = Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
    queryset = _of_orders_in_scope(queryset, p)
    total = queryset.count()
    queryset = (
        queryset.select_related("channel", "customer")
        .annotate(line_count=Count("lines"), units=Sum("lines__quantity"))
        .order_by("placed_at", "id")
    )

    def row(order):
        on_time = None
        if order.delivered_at and order.promised_date:
            on_time = timezone.localdate(order.delivered_at) <= order.promised_date
        return (
            order.number,
            order.channel.code,
            order.external_ref,
            order.customer.code,
            order.customer.name,
            order.get_status_display(),
            order.placed_at,
            order.promised_date,
            order.delivered_at,
            _yes_no(on_time),
            order.line_count,
            order.units or 0,
            order.subtotal,
            order.discount_total,
            order.shipping_total,
            order.total,
            order.currency,
            order.get_payment_status_display(),
        )

    return Rows(total, _iterate(queryset, row))


ORDER_COLUMNS = (
    Column("number", gettext_lazy("order number"), width=20),
    Column("channel", gettext_lazy("sales channel"), width=10),
    Column("external_ref", gettext_lazy("channel order number"), width=18, pdf=False),
    Column("customer_code", gettext_lazy("customer code"), width=12),
    Column("customer", gettext_lazy("customer"), width=16),
    Column("status", gettext_lazy("status"), width=10),
    Column("placed_at", gettext_lazy("placed at"), DATETIME, 17),
    Column("promised_date", gettext_lazy("promised date"), DATE, 12),
    Column("delivered_at", gettext_lazy("delivered at"), DATETIME, 17),
    Column("on_time", gettext_lazy("on time"), width=8),
    Column("lines", gettext_lazy("lines"), INT, 7),
    Column("units", gettext_lazy("units"), INT, 7),
    Column("subtotal", gettext_lazy("subtotal"), MONEY, 12, pdf=False),
    Column("discount", gettext_lazy("discount"), MONEY, 10, pdf=False),
    Column("shipping", gettext_lazy("shipping"), MONEY, 10, pdf=False),
    Column("total", gettext_lazy("total"), MONEY, 12),
    Column("currency", gettext_lazy("currency"), width=8),
    Column("payment_status", gettext_lazy("payment status"), width=12, pdf=False),
)


# --- Stock valuation ---------------------------------------------------------------


def _stock_valuation(p: ReportParams) -> Rows:
    from inventory.models import StockLevel

    queryset = StockLevel.objects.exclude(on_hand=0)
    if p.warehouse is not None:
        queryset = queryset.filter(warehouse=p.warehouse)
    total = queryset.count()
    queryset = queryset.select_related("warehouse", "product").order_by(
        "warehouse__code", "product__sku"
    )

    def row(level):
        product = level.product
        return (
            level.warehouse.code,
            level.warehouse.name,
            product.sku,
            product.name,
            product.category,
            level.on_hand,
            level.reserved,
            level.on_hand - level.reserved,
            product.unit_cost,
            _money(product.unit_cost * level.on_hand),
            product.currency,
        )

    return Rows(total, _iterate(queryset, row))


STOCK_COLUMNS = (
    Column("warehouse", gettext_lazy("warehouse"), width=10),
    Column("warehouse_name", gettext_lazy("warehouse name"), width=16),
    Column("sku", gettext_lazy("SKU"), width=14),
    Column("product", gettext_lazy("product"), width=24),
    Column("category", gettext_lazy("category"), width=12),
    Column("on_hand", gettext_lazy("on hand"), INT, 9),
    Column("reserved", gettext_lazy("reserved"), INT, 9),
    Column("available", gettext_lazy("available"), INT, 9),
    Column("unit_cost", gettext_lazy("unit cost (moving average)"), DECIMAL, 12),
    Column("value", gettext_lazy("stock value"), MONEY, 14),
    Column("currency", gettext_lazy("currency"), width=8),
)


# --- Inventory turnover ------------------------------------------------------------


def _turnover(p: ReportParams) -> Rows:
    # Defined once with the KPIs (analytics.selectors.kpis), so the report and
    # the dashboards give the same figures.
    from analytics.selectors.kpis import KpiFilter, turnover_rows

    rows = turnover_rows(
        KpiFilter(
            date_from=p.date_from,
            date_to=p.date_to,
            warehouse_id=p.warehouse.pk if p.warehouse is not None else None,
        )
    )
    return Rows(
        len(rows),
        (
            (
                r["warehouse"],
                r["category"],
                _money(r["cogs"]),
                _money(r["average_inventory_value"]),
                r["turnover"],
                r["days_of_inventory"],
            )
            for r in rows
        ),
    )


TURNOVER_COLUMNS = (
    Column("warehouse", gettext_lazy("warehouse"), width=10),
    Column("category", gettext_lazy("category"), width=16),
    Column("cogs", gettext_lazy("cost of goods sold"), MONEY, 16),
    Column("average_inventory_value", gettext_lazy("average inventory value"), MONEY, 18),
    Column("turnover", gettext_lazy("inventory turnover"), RATIO, 12),
    Column("days_of_inventory", gettext_lazy("days of inventory"), RATIO, 12),
)


# --- Shipments and carbon ----------------------------------------------------------


def _shipments(p: ReportParams) -> Rows:
    from logistics.models import Shipment

    start, end = p.bounds()
    # Dispatched in the period: the ones with a freight cost and a carbon estimate.
    queryset = Shipment.objects.filter(picked_up_at__gte=start, picked_up_at__lt=end)
    if p.channel is not None:
        queryset = queryset.filter(order__channel=p.channel)
    if p.warehouse is not None:
        queryset = queryset.filter(warehouse=p.warehouse)
    total = queryset.count()
    queryset = queryset.select_related("order__channel", "warehouse", "carrier").order_by(
        "picked_up_at", "id"
    )

    def row(shipment):
        carrier = shipment.carrier
        return (
            shipment.number,
            shipment.order.number,
            shipment.order.channel.code,
            shipment.warehouse.code,
            carrier.name if carrier else "",
            carrier.get_mode_display() if carrier else "",
            shipment.get_status_display(),
            shipment.picked_up_at,
            shipment.delivered_at,
            shipment.destination_city,
            shipment.weight_kg,
            shipment.distance_km,
            shipment.freight_cost,
            shipment.co2e_kg,
        )

    return Rows(total, _iterate(queryset, row))


SHIPMENT_COLUMNS = (
    Column("number", gettext_lazy("shipment number"), width=20),
    Column("order", gettext_lazy("order number"), width=20),
    Column("channel", gettext_lazy("sales channel"), width=10, pdf=False),
    Column("warehouse", gettext_lazy("origin warehouse"), width=10),
    Column("carrier", gettext_lazy("carrier"), width=14),
    Column("mode", gettext_lazy("transport mode"), width=10),
    Column("status", gettext_lazy("status"), width=10),
    Column("dispatched_at", gettext_lazy("picked up at"), DATETIME, 17),
    Column("delivered_at", gettext_lazy("delivered at"), DATETIME, 17),
    Column("city", gettext_lazy("destination city"), width=10),
    Column("weight_kg", gettext_lazy("weight (kg)"), DECIMAL, 10),
    Column("distance_km", gettext_lazy("distance (km)"), DECIMAL, 10),
    Column("freight_cost", gettext_lazy("freight cost"), MONEY, 12),
    Column("co2e_kg", gettext_lazy("carbon emissions (kg CO2e)"), DECIMAL, 14),
)


# --- Tickets and SLA --------------------------------------------------------------


def _sla_state(has_policy: bool, breached: bool, done_at) -> str:
    if breached:
        return _("breached")
    if done_at is not None:
        return _("met") if has_policy else _("no SLA")
    return _("open") if has_policy else _("no SLA")


def _tickets(p: ReportParams) -> Rows:
    from aftersales.models import Ticket

    start, end = p.bounds()
    queryset = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    queryset = _of_orders_in_scope(queryset, p, prefix="order__")
    total = queryset.count()
    queryset = queryset.select_related("team", "order").order_by("created_at", "id")

    def row(ticket):
        has_policy = ticket.sla_policy_id is not None
        return (
            ticket.number,
            ticket.order.number if ticket.order else "",
            ticket.get_kind_display(),
            ticket.get_channel_display(),
            ticket.category,
            ticket.get_priority_display(),
            ticket.get_status_display(),
            ticket.team.name if ticket.team else "",
            ticket.created_at,
            ticket.first_responded_at,
            _hours(ticket.created_at, ticket.first_responded_at),
            ticket.first_response_due_at,
            _sla_state(has_policy, ticket.first_response_breached, ticket.first_responded_at),
            ticket.resolved_at,
            _hours(ticket.created_at, ticket.resolved_at),
            ticket.resolution_due_at,
            _sla_state(has_policy, ticket.resolution_breached, ticket.resolved_at),
        )

    return Rows(total, _iterate(queryset, row))


TICKET_COLUMNS = (
    Column("number", gettext_lazy("ticket number"), width=20),
    Column("order", gettext_lazy("order number"), width=20, pdf=False),
    Column("kind", gettext_lazy("kind"), width=10),
    Column("channel", gettext_lazy("channel"), width=8),
    Column("category", gettext_lazy("category"), width=12),
    Column("priority", gettext_lazy("priority"), width=8),
    Column("status", gettext_lazy("status"), width=10),
    Column("team", gettext_lazy("team"), width=12),
    Column("created_at", gettext_lazy("created at"), DATETIME, 17),
    Column("first_responded_at", gettext_lazy("first response at"), DATETIME, 17),
    Column("first_response_hours", gettext_lazy("hours to first response"), HOURS, 10),
    Column("first_response_due_at", gettext_lazy("first response due"), DATETIME, 17, pdf=False),
    Column("first_response_sla", gettext_lazy("first response SLA"), width=10),
    Column("resolved_at", gettext_lazy("resolved at"), DATETIME, 17),
    Column("resolution_hours", gettext_lazy("hours to resolution"), HOURS, 10),
    Column("resolution_due_at", gettext_lazy("resolution due"), DATETIME, 17, pdf=False),
    Column("resolution_sla", gettext_lazy("resolution SLA"), width=10),
)


# --- Customer scores ---------------------------------------------------------------


def _customer_scores(p: ReportParams) -> Rows:
    from crm.models import CustomerScore

    queryset = CustomerScore.objects.all()
    total = queryset.count()
    queryset = queryset.select_related("customer").order_by("customer__code")

    def row(score):
        customer = score.customer
        return (
            customer.code,
            customer.name,
            customer.get_tier_display(),
            score.get_segment_display(),
            score.r_score,
            score.f_score,
            score.m_score,
            score.orders_count,
            score.orders_12m,
            score.revenue,
            score.revenue_12m,
            score.margin,
            score.lifetime_value,
            score.predicted_value,
            score.churn_risk,
            score.get_churn_level_display(),
            score.last_order_at,
            score.computed_at,
        )

    return Rows(total, _iterate(queryset, row))


CUSTOMER_COLUMNS = (
    Column("code", gettext_lazy("customer code"), width=12),
    Column("name", gettext_lazy("name"), width=18),
    Column("tier", gettext_lazy("tier"), width=8),
    Column("segment", gettext_lazy("segment"), width=14),
    Column("r", "R", INT, 4),
    Column("f", "F", INT, 4),
    Column("m", "M", INT, 4),
    Column("orders", gettext_lazy("orders"), INT, 8),
    Column("orders_12m", gettext_lazy("orders in 12 months"), INT, 10, pdf=False),
    Column("revenue", gettext_lazy("revenue"), MONEY, 12),
    Column("revenue_12m", gettext_lazy("revenue in 12 months"), MONEY, 12, pdf=False),
    Column("margin", gettext_lazy("margin"), MONEY, 12),
    Column("lifetime_value", gettext_lazy("lifetime value"), MONEY, 12),
    Column("predicted_value", gettext_lazy("predicted value"), MONEY, 12, pdf=False),
    Column("churn_risk", gettext_lazy("churn risk"), RATIO, 8),
    Column("churn_level", gettext_lazy("churn level"), width=8),
    Column("last_order_at", gettext_lazy("last order"), DATETIME, 17),
    Column("computed_at", gettext_lazy("scored at"), DATETIME, 17, pdf=False),
)


K = ReportKind
KINDS: dict[str, ReportKindSpec] = {
    spec.key: spec
    for spec in (
        ReportKindSpec(
            key=K.ORDERS,
            label=K.ORDERS.label,
            description=gettext_lazy(
                "Every order placed in the period: customer, status, dates, on time or not, "
                "units and amounts."
            ),
            permissions=("orders.view_order",),
            uses=frozenset({PERIOD, CHANNEL, WAREHOUSE}),
            columns=ORDER_COLUMNS,
            generate=_orders,
            totals=("lines", "units", "subtotal", "discount", "shipping", "total"),
        ),
        ReportKindSpec(
            key=K.STOCK_VALUATION,
            label=K.STOCK_VALUATION.label,
            description=gettext_lazy(
                "Stock on hand now, per warehouse and product, valued at the moving-average "
                "unit cost."
            ),
            permissions=("inventory.view_stocklevel",),
            uses=frozenset({WAREHOUSE}),
            columns=STOCK_COLUMNS,
            generate=_stock_valuation,
            totals=("on_hand", "reserved", "available", "value"),
        ),
        ReportKindSpec(
            key=K.INVENTORY_TURNOVER,
            label=K.INVENTORY_TURNOVER.label,
            description=gettext_lazy(
                "Cost of goods sold, average inventory value, turnover and days of inventory "
                "per warehouse and category over the period."
            ),
            permissions=("inventory.view_stocklevel",),
            uses=frozenset({PERIOD, WAREHOUSE}),  # stock belongs to no channel
            columns=TURNOVER_COLUMNS,
            generate=_turnover,
            totals=("cogs", "average_inventory_value"),
        ),
        ReportKindSpec(
            key=K.SHIPMENTS_CARBON,
            label=K.SHIPMENTS_CARBON.label,
            description=gettext_lazy(
                "Shipments dispatched in the period with carrier, weight, distance, freight "
                "cost and carbon emissions."
            ),
            permissions=("logistics.view_shipment",),
            uses=frozenset({PERIOD, CHANNEL, WAREHOUSE}),
            columns=SHIPMENT_COLUMNS,
            generate=_shipments,
            totals=("weight_kg", "distance_km", "freight_cost", "co2e_kg"),
        ),
        ReportKindSpec(
            key=K.TICKETS_SLA,
            label=K.TICKETS_SLA.label,
            description=gettext_lazy(
                "Tickets opened in the period with first-response and resolution times and "
                "whether each SLA target was met or breached (no conversations)."
            ),
            permissions=("analytics.request_ticket_report",),
            uses=frozenset({PERIOD, CHANNEL, WAREHOUSE}),
            columns=TICKET_COLUMNS,
            generate=_tickets,
        ),
        ReportKindSpec(
            key=K.CUSTOMER_SCORES,
            label=K.CUSTOMER_SCORES.label,
            description=gettext_lazy(
                "Every scored customer: tier, RFM segment and scores, revenue, margin, "
                "lifetime and predicted value, churn risk (as of the last nightly scoring)."
            ),
            permissions=("crm.view_customerscore",),
            uses=frozenset(),
            columns=CUSTOMER_COLUMNS,
            generate=_customer_scores,
        ),
    )
}


def kind_spec(key: str) -> ReportKindSpec:
    return KINDS[key]


def kinds_for(user) -> list[ReportKindSpec]:
    """The kinds `user` may request, in registry order."""
    return [spec for spec in KINDS.values() if spec.allowed(user)]
