"""The daily rollup behind the KPIs (analytics.selectors.kpis).

Each row holds additive facts - counts, sums and total durations, never an
average or a ratio - of one local day (Asia/Shanghai, settings.TIME_ZONE)
and one cell of the filters' dimensions, so that summing the rows of any
period, channel and warehouse gives exactly what the raw data gives (the
facts are computed by analytics.selectors.facts, for the rollup and for the
raw path alike). A KPI is a formula over these sums.

Dimensions (documented once here, used by the facts and by the lists'
drill-down filters):

- channel: the order's sales channel. Tickets and feedback count under the
  channel of the order they are about (none without an order).
- warehouse: the order's warehouse (orders.selectors.order_warehouse): the
  warehouse its first reservation was taken from, else its channel's default
  warehouse. Everything about an order - its lines, its delivery, its returns,
  its tickets and their feedback - counts under it. Shipment costs and CO2e
  count under the shipment's own origin warehouse; stock facts under the
  warehouse holding the stock. None: no order or no warehouse yet.
- category (stock only): the product's category, as it is now (a change of a
  category rebuilds the stock facts).

The rows are rebuilt, a whole day at a time, by analytics.services.rollup.
"""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from erp.core.models import TimeStampedModel

__all__ = ["DailyFacts", "DailyReturnReason", "DailyStockFacts", "RollupState"]

ZERO = timedelta(0)


def _count(label):
    return models.PositiveIntegerField(label, default=0)


def _money(label):
    return models.DecimalField(label, max_digits=16, decimal_places=2, default=0)


class DailyFacts(models.Model):
    """Order, shipment, return and service facts of one day, channel and warehouse.

    Each fact is counted on the local day of its own moment:
    - placed (orders_placed, revenue): when the order was placed; cancelled
      orders are left out. Revenue is the order total (goods after discount,
      plus shipping and tax).
    - confirmed (orders_confirmed, orders_backordered, lines_allocated,
      lines_short): when the order was confirmed, i.e. first allocated; a line
      is short when that first allocation could not reserve all of it
      (OrderLine.quantity_short_at_allocation > 0), an order is backordered
      when one of its lines was.
    - delivered (orders_delivered, orders_delivered_promised, orders_on_time,
      cycle_time): when the order was delivered (Order.delivered_at, the last
      proof of delivery); on time = delivered on or before the promised date
      (local), counted among the orders that had a promised date; cycle time
      = delivered_at - placed_at, summed.
    - dispatched (shipments_dispatched, freight_cost, co2e_kg): when a
      shipment left (picked_up_at), under its origin warehouse; freight cost
      and CO2e as estimated at dispatch.
    - first shipped (orders_shipped): when an order's first shipment left.
    - returns: when a return or exchange was requested; rejected and
      cancelled requests are left out.
    - tickets_opened: when a ticket was opened.
    - first responses (tickets_responded, first_response_time): when a ticket
      got its first reply, with the elapsed time from opening, summed.
    - resolutions (tickets_resolved, resolution_time, tickets_resolved_sla,
      tickets_resolved_within_sla): when a ticket was (last) resolved, with the
      elapsed time from opening; within SLA = under a policy and neither its
      first-response nor its resolution target breached.
    - answers (csat_answers, csat_sum, nps_answers, nps_promoters,
      nps_detractors): when the customer answered the survey; promoters gave
      9-10, detractors 0-6.
    """

    day = models.DateField(_("day"), db_index=True)
    channel = models.ForeignKey(
        "orders.SalesChannel",
        verbose_name=_("sales channel"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    orders_placed = _count(_("orders placed"))
    revenue = _money(_("revenue"))
    orders_confirmed = _count(_("orders confirmed"))
    orders_backordered = _count(_("orders short at allocation"))
    lines_allocated = _count(_("lines allocated"))
    lines_short = _count(_("lines short at allocation"))
    orders_delivered = _count(_("orders delivered"))
    orders_delivered_promised = _count(_("orders delivered with a promised date"))
    orders_on_time = _count(_("orders delivered on time"))
    cycle_time = models.DurationField(_("order cycle time, summed"), default=ZERO)
    shipments_dispatched = _count(_("shipments dispatched"))
    orders_shipped = _count(_("orders shipped"))
    freight_cost = _money(_("freight cost"))
    co2e_kg = models.DecimalField(
        _("carbon emissions (kg CO2e)"), max_digits=16, decimal_places=3, default=0
    )
    returns = _count(_("returns requested"))
    tickets_opened = _count(_("tickets opened"))
    tickets_responded = _count(_("tickets first responded"))
    first_response_time = models.DurationField(_("first response time, summed"), default=ZERO)
    tickets_resolved = _count(_("tickets resolved"))
    resolution_time = models.DurationField(_("resolution time, summed"), default=ZERO)
    tickets_resolved_sla = _count(_("tickets resolved under an SLA"))
    tickets_resolved_within_sla = _count(_("tickets resolved within their SLA"))
    csat_answers = _count(_("CSAT answers"))
    csat_sum = _count(_("CSAT points"))
    nps_answers = _count(_("NPS answers"))
    nps_promoters = _count(_("promoters"))
    nps_detractors = _count(_("detractors"))

    class Meta:
        ordering = ["day", "channel_id", "warehouse_id"]
        verbose_name = _("daily KPI facts")
        verbose_name_plural = _("daily KPI facts")
        permissions = [("view_kpis", _("Can see the KPIs"))]
        indexes = [
            models.Index(fields=["channel", "day"], name="dailyfacts_channel_day"),
            models.Index(fields=["warehouse", "day"], name="dailyfacts_warehouse_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel_id} {self.warehouse_id}"


# The additive fields of DailyFacts, in declaration order.
FACT_FIELDS = [
    f.name
    for f in DailyFacts._meta.concrete_fields
    if f.name not in ("id", "day", "channel", "warehouse")
]


class DailyStockFacts(models.Model):
    """Stock facts of one day, warehouse and product category.

    - cogs: cost of goods sold, the value of the goods shipped to customers
      that day (shipment stock moves: units x the moving-average cost at issue).
    - closing_value: the stock ledger's value at the end of the day, the sum
      of units x unit cost of every stock move up to then (receipts at their
      cost, issues at the moving-average cost). Summed over the days of a
      period and divided by their number it is the average inventory value.
    - skus_carried, skus_out: stock levels (product in a warehouse) that had
      any stock move up to the end of the day, and those of them with nothing
      on hand then; summed over days, SKU-days carried and stocked out.
    """

    day = models.DateField(_("day"), db_index=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    cogs = models.DecimalField(_("cost of goods sold"), max_digits=18, decimal_places=4, default=0)
    closing_value = models.DecimalField(
        _("closing inventory value"), max_digits=18, decimal_places=4, default=0
    )
    skus_carried = _count(_("SKUs carried"))
    skus_out = _count(_("SKUs out of stock"))

    class Meta:
        ordering = ["day", "warehouse_id", "category"]
        verbose_name = _("daily stock facts")
        verbose_name_plural = _("daily stock facts")
        indexes = [models.Index(fields=["warehouse", "day"], name="dailystock_warehouse_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.warehouse_id} {self.category}"


STOCK_FACT_FIELDS = ["cogs", "closing_value", "skus_carried", "skus_out"]


class DailyReturnReason(models.Model):
    """Returns requested on one day, by channel, warehouse and reason (the
    request's reason as the customer gave it, trimmed to 100 characters).
    Dimensions and exclusions as DailyFacts.returns."""

    day = models.DateField(_("day"), db_index=True)
    channel = models.ForeignKey(
        "orders.SalesChannel",
        verbose_name=_("sales channel"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    returns = _count(_("returns requested"))

    class Meta:
        ordering = ["day", "reason"]
        verbose_name = _("daily return reason")
        verbose_name_plural = _("daily return reasons")

    def __str__(self) -> str:
        return f"{self.day} {self.reason}: {self.returns}"


class RollupState(TimeStampedModel):
    """How far the daily rollup is built: one row per rollup ("daily").

    `built_through`: the last day built (days after it are computed live
    from the raw data); `watermark`: rows changed at or after it may have
    changed facts, so the next incremental run looks at them (it is the
    previous run's start less an overlap, for transactions that committed
    late); `category_digest`: the products' categories when the stock facts
    were built (a change rebuilds them)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    built_through = models.DateField(_("built through"), null=True, blank=True)
    watermark = models.DateTimeField(_("changes since"), null=True, blank=True)
    category_digest = models.CharField(max_length=64, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_run_days = models.PositiveIntegerField(_("days rebuilt by the last run"), default=0)
    last_run_seconds = models.DecimalField(
        _("duration of the last run (s)"), max_digits=10, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.built_through}"
