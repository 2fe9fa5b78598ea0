"""The periodic scans that raise alerts (besides T-3, in t3.py): low stock,
the stock-out estimate, SLA warnings and breaches, shipment exceptions and
delays, and surges of orders or tickets.

Every scan is one or a few set-based queries, then `alert_raise` for each
condition found (idempotent: a second run, or a second worker, refreshes the
same open alert) and `alerts_clear` for the open alerts of its kind whose
condition no longer holds. Each returns {"found", "raised", "cleared"}.
Newly raised alerts are announced to their owner (or owning role).
"""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import SlaRecord, Ticket
from analytics.models import Alert
from analytics.selectors.forecasts import forecast_daily_demand
from analytics.services.alerts import alert_raise, alerts_clear
from erp.core.roles import Role
from inventory.models import Product, StockLevel
from logistics.models import Shipment, ShipmentException
from orders.models import Order, OrderLine, SalesChannel

# Stock-out estimate without a current forecast: average daily demand over
# this many trailing days.
DEMAND_WINDOW_DAYS = 28

# Surges: the last full hour against the same hour on each of the previous
# SURGE_BASELINE_DAYS days. A surge is a count of at least SURGE_MIN_COUNT
# (so a quiet channel going from 0 to 2 is not one) and at least the
# baseline's mean plus SURGE_SIGMAS standard deviations.
SURGE_BASELINE_DAYS = 7
SURGE_MIN_COUNT = 10
SURGE_SIGMAS = 3

# Shipment exceptions that mean the goods themselves are in trouble.
CRITICAL_EXCEPTION_KINDS = {ShipmentException.Kind.LOST, ShipmentException.Kind.DAMAGED}
# A delayed shipment turns critical this long past its planned delivery.
DELAY_CRITICAL_AFTER = timedelta(hours=24)

SHIPMENT_DONE = (
    Shipment.Status.DELIVERED,
    Shipment.Status.CANCELLED,
    Shipment.Status.RETURNED_TO_SENDER,
)


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


def _raise_all(kind: str, conditions: list[dict], now: datetime) -> dict[str, int]:
    """Raise (or refresh) one alert per condition, announce the new ones, and
    clear the open alerts of `kind` not found this time."""
    from analytics.services.lifecycle import alert_notify_owner

    raised = 0
    for condition in conditions:
        alert, created = alert_raise(kind=kind, now=now, **condition)
        if created:
            raised += 1
            alert_notify_owner(alert)
    cleared = alerts_clear(
        kind=kind, keep_subject_keys=[c["subject_key"] for c in conditions], now=now
    )
    return {"found": len(conditions), "raised": raised, "cleared": cleared}


def _episode_causes(kind: str, subject_keys) -> dict[str, str]:
    """The cause of each open alert of `kind`, so an ongoing condition keeps
    the cause it was raised with instead of changing it every day."""
    return dict(
        Alert.objects.filter(
            kind=kind, status__in=Alert.OPEN_STATUSES, subject_key__in=list(subject_keys)
        ).values_list("subject_key", "cause_key")
    )


# --- Stock ------------------------------------------------------------------------


def low_stock_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Stock levels whose available quantity (on hand less reserved) is at or
    below the product's reorder point (active products with a reorder point,
    active warehouses). Critical when nothing is available.

    One episode of low stock is one cause: "stocklevel:<pk>:low:<date>", the
    local date it was found low. While the alert is open it keeps that cause;
    once resolved, a level still low raises a new alert the next day (a daily
    reminder rather than silence), not again the same day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    levels = list(
        StockLevel.objects.filter(
            product__active=True, product__reorder_point__gt=0, warehouse__active=True
        )
        .annotate(available_qty=F("on_hand") - F("reserved"))
        .filter(available_qty__lte=F("product__reorder_point"))
        .select_related("product", "warehouse")
        .only(
            "on_hand",
            "reserved",
            "product__sku",
            "product__name",
            "product__reorder_point",
            "product__reorder_quantity",
            "warehouse__code",
        )
        .order_by("pk")
    )
    causes = _episode_causes(Alert.Kind.LOW_STOCK, (f"stocklevel:{s.pk}" for s in levels))
    conditions = []
    for level in levels:
        product, available = level.product, level.available_qty
        subject = f"stocklevel:{level.pk}"
        conditions.append(
            {
                "subject_key": subject,
                "cause_key": causes.get(subject, f"{subject}:low:{today.isoformat()}"),
                "subject_label": f"{product.sku} {product.name} @ {level.warehouse.code}",
                "subject_url": _url("inventory:product-detail", product.sku),
                "message": _(
                    "%(available)s available in %(warehouse)s (%(on_hand)s on hand, "
                    "%(reserved)s reserved), at or below the reorder point of %(point)s."
                )
                % {
                    "available": available,
                    "warehouse": level.warehouse.code,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                    "point": product.reorder_point,
                },
                "severity": Alert.Severity.CRITICAL if available <= 0 else Alert.Severity.WARNING,
                "owner_role": Role.WAREHOUSE_MANAGER,
                "details": {
                    "warehouse": level.warehouse.code,
                    "sku": product.sku,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                    "available": available,
                    "reorder_point": product.reorder_point,
                    "reorder_quantity": product.reorder_quantity,
                },
            }
        )
    return _raise_all(Alert.Kind.LOW_STOCK, conditions, now)


def stockout_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Products whose days of cover fall below their lead time: a
    replenishment ordered now would arrive after the stock runs out.

    Per product across active warehouses: days of cover = available (on hand
    less reserved) / daily demand. The daily demand is the forecast's where a
    current forecast exists (analytics.selectors.forecasts.forecast_daily_demand:
    forecast units over the lead time / lead time, from a refresh at most
    ANALYTICS_FORECAST_MAX_AGE_HOURS old); otherwise the average of the
    trailing DEMAND_WINDOW_DAYS days (units on order lines of orders not
    cancelled, placed in that window, / that many days). The message says
    which. Products without demand are never at risk. Critical when nothing
    is available. Cause per episode, as for low stock."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    forecast = forecast_daily_demand(now=now)
    recent = dict(
        OrderLine.objects.filter(
            order__placed_at__gte=now - timedelta(days=DEMAND_WINDOW_DAYS),
            order__placed_at__lte=now,
            product__active=True,
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .filter(units__gt=0)
        .values_list("product_id", "units")
    )
    demand = {
        product_id: (Decimal(units) / DEMAND_WINDOW_DAYS, None)
        for product_id, units in recent.items()
    }
    demand.update(forecast)  # the forecast, where there is one, over the average
    demand = {product_id: found for product_id, found in demand.items() if found[0] > 0}
    available = dict(
        StockLevel.objects.filter(product_id__in=list(demand), warehouse__active=True)
        .values("product_id")
        .annotate(units=Sum(F("on_hand") - F("reserved")))
        .values_list("product_id", "units")
    )
    products = Product.objects.filter(pk__in=list(demand), active=True).only(
        "sku", "name", "lead_time_days"
    )
    at_risk = []
    for product in products.order_by("pk"):
        daily, model = demand[product.pk]
        units = available.get(product.pk) or 0
        cover = Decimal(max(units, 0)) / daily
        if cover < product.lead_time_days:
            at_risk.append((product, units, daily, cover, model))
    causes = _episode_causes(
        Alert.Kind.STOCKOUT_FORECAST, (f"product:{p.pk}" for p, *_rest in at_risk)
    )
    conditions = []
    for product, units, daily, cover, model in at_risk:
        subject = f"product:{product.pk}"
        cover_days = cover.quantize(Decimal("0.1"))
        daily_units = daily.quantize(Decimal("0.01"))
        values = {
            "available": units,
            "cover": cover_days,
            "daily": daily_units,
            "lead": product.lead_time_days,
        }
        if model is not None:
            message = _(
                "%(available)s available cover %(cover)s days at %(daily)s a day (demand "
                "forecast, %(model)s); the lead time is %(lead)s days."
            ) % {**values, "model": model}
            basis = {"demand_source": "forecast", "forecast_model": model}
        else:
            message = _(
                "%(available)s available cover %(cover)s days at %(daily)s a day (average of "
                "the last %(window)s days); the lead time is %(lead)s days."
            ) % {**values, "window": DEMAND_WINDOW_DAYS}
            basis = {"demand_source": "average", "window_days": DEMAND_WINDOW_DAYS}
        conditions.append(
            {
                "subject_key": subject,
                "cause_key": causes.get(subject, f"{subject}:stockout:{today.isoformat()}"),
                "subject_label": f"{product.sku} {product.name}",
                "subject_url": _url("inventory:product-detail", product.sku),
                "message": message,
                "severity": Alert.Severity.CRITICAL if units <= 0 else Alert.Severity.WARNING,
                "owner_role": Role.WAREHOUSE_MANAGER,
                "details": {
                    "sku": product.sku,
                    "available": units,
                    "daily_demand": str(daily_units),
                    "days_of_cover": str(cover_days),
                    "lead_time_days": product.lead_time_days,
                    **basis,
                },
            }
        )
    return _raise_all(Alert.Kind.STOCKOUT_FORECAST, conditions, now)


# --- After-sales --------------------------------------------------------------------


def sla_scan(*, now: datetime | None = None) -> dict[str, int]:
    """SLA records of tickets still open: warnings -> sla_warning, breaches ->
    sla_breach, one alert per ticket and target ("ticket:<pk>:<metric>"),
    caused by the record. A warning no longer counts once the target is
    breached (the breach alert takes over) or, for the first response, once
    it was given; both kinds clear when the ticket is resolved or closed.
    Owned by the ticket's assignee, else by the after-sales agents."""
    now = now or timezone.now()
    records = (
        SlaRecord.objects.filter(ticket__status__in=Ticket.OPEN_STATUSES)
        .select_related("ticket")
        .only(
            "metric",
            "kind",
            "due_at",
            "ticket__number",
            "ticket__subject",
            "ticket__assignee",
            "ticket__first_responded_at",
        )
        .order_by("pk")
    )
    records = list(records)
    breached = {(r.ticket_id, r.metric) for r in records if r.kind == SlaRecord.Kind.BREACH}
    conditions = {SlaRecord.Kind.WARNING: [], SlaRecord.Kind.BREACH: []}
    for record in records:
        ticket = record.ticket
        if record.kind == SlaRecord.Kind.WARNING and (
            (record.ticket_id, record.metric) in breached
            or (
                record.metric == SlaRecord.Metric.FIRST_RESPONSE
                and ticket.first_responded_at is not None
            )
        ):
            continue
        label = str(SlaRecord.Metric(record.metric).label)
        due = timezone.localtime(record.due_at).strftime("%Y-%m-%d %H:%M")
        if record.kind == SlaRecord.Kind.BREACH:
            message = _("The %(target)s target was due %(time)s and is overdue.")
        else:
            message = _("The %(target)s target is due %(time)s.")
        conditions[record.kind].append(
            {
                "subject_key": f"ticket:{ticket.pk}:{record.metric}",
                "cause_key": f"slarecord:{record.pk}",
                "subject_label": f"{ticket.number} {ticket.subject}",
                "subject_url": _url("aftersales:ticket-detail", ticket.number),
                "message": message % {"target": label, "time": due},
                "severity": (
                    Alert.Severity.CRITICAL
                    if record.kind == SlaRecord.Kind.BREACH
                    else Alert.Severity.WARNING
                ),
                "owner_role": Role.AFTERSALES_AGENT,
                "owner_id": ticket.assignee_id,
                "details": {
                    "ticket": ticket.number,
                    "metric": record.metric,
                    "due_at": record.due_at.isoformat(),
                },
            }
        )
    warning = _raise_owned(Alert.Kind.SLA_WARNING, conditions[SlaRecord.Kind.WARNING], now)
    breach = _raise_owned(Alert.Kind.SLA_BREACH, conditions[SlaRecord.Kind.BREACH], now)
    return {key: warning[key] + breach[key] for key in warning}


def _raise_owned(kind: str, conditions: list[dict], now: datetime) -> dict[str, int]:
    """_raise_all with owners given by id, fetched in one query."""
    from django.contrib.auth import get_user_model

    ids = {c["owner_id"] for c in conditions if c["owner_id"]}
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    for condition in conditions:
        owner = users.get(condition.pop("owner_id"))
        condition["owner"] = owner if owner is not None and owner.is_active else None
    return _raise_all(kind, conditions, now)


# --- Logistics ------------------------------------------------------------------------


def shipment_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Open shipment exceptions -> shipment_exception (critical for lost or
    damaged goods), and shipments not delivered past their planned delivery
    -> shipment_delay (cause: the planned time, so a new promise is a new
    alert; critical a day late). Owned by the dispatchers."""
    now = now or timezone.now()
    exceptions = (
        ShipmentException.objects.filter(status=ShipmentException.Status.OPEN)
        .select_related("shipment")
        .only("kind", "started_at", "details", "shipment__number")
        .order_by("pk")
    )
    raised = []
    for exception in exceptions:
        shipment = exception.shipment
        kind_label = str(ShipmentException.Kind(exception.kind).label)
        raised.append(
            {
                "subject_key": f"shipmentexception:{exception.pk}",
                "cause_key": f"shipmentexception:{exception.pk}",
                "subject_label": f"{shipment.number}: {kind_label}",
                "subject_url": _url("logistics:shipment-detail", shipment.number),
                "message": _("Shipment %(number)s: %(kind)s since %(time)s. %(details)s")
                % {
                    "number": shipment.number,
                    "kind": kind_label,
                    "time": timezone.localtime(exception.started_at).strftime("%Y-%m-%d %H:%M"),
                    "details": exception.details,
                },
                "severity": (
                    Alert.Severity.CRITICAL
                    if exception.kind in CRITICAL_EXCEPTION_KINDS
                    else Alert.Severity.WARNING
                ),
                "owner_role": Role.DISPATCHER,
                "details": {"shipment": shipment.number, "exception_kind": exception.kind},
            }
        )
    exception_summary = _raise_all(Alert.Kind.SHIPMENT_EXCEPTION, raised, now)

    late = (
        Shipment.objects.filter(planned_delivery_at__lt=now)
        .exclude(status__in=SHIPMENT_DONE)
        .select_related("order")
        .only("number", "status", "planned_delivery_at", "destination_city", "order__number")
        .order_by("pk")
    )
    delays = []
    for shipment in late:
        planned = shipment.planned_delivery_at
        overdue = now - planned
        delays.append(
            {
                "subject_key": f"shipment:{shipment.pk}",
                "cause_key": f"shipment:{shipment.pk}:planned:{planned.isoformat()}",
                "subject_label": f"{shipment.number} ({shipment.order.number})",
                "subject_url": _url("logistics:shipment-detail", shipment.number),
                "message": _(
                    "Planned for delivery %(time)s, %(hours)s hours ago, and still %(status)s."
                )
                % {
                    "time": timezone.localtime(planned).strftime("%Y-%m-%d %H:%M"),
                    "hours": math.floor(overdue.total_seconds() / 3600),
                    "status": shipment.get_status_display(),
                },
                "severity": (
                    Alert.Severity.CRITICAL
                    if overdue >= DELAY_CRITICAL_AFTER
                    else Alert.Severity.WARNING
                ),
                "owner_role": Role.DISPATCHER,
                "details": {
                    "shipment": shipment.number,
                    "order": shipment.order.number,
                    "status": shipment.status,
                    "planned_delivery_at": planned.isoformat(),
                },
            }
        )
    delay_summary = _raise_all(Alert.Kind.SHIPMENT_DELAY, delays, now)
    return {key: exception_summary[key] + delay_summary[key] for key in exception_summary}


# --- Surges ---------------------------------------------------------------------------


def _hour_windows(now: datetime) -> list[tuple[datetime, datetime]]:
    """The last full local hour, then the same hour on each previous day."""
    end = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    return [
        (start - timedelta(days=d), end - timedelta(days=d)) for d in range(SURGE_BASELINE_DAYS + 1)
    ]


def _hour_counts(queryset, field: str, windows, group_by: str | None = None) -> dict:
    """{group: [count in window 0, 1, ...]} in one query."""
    within = Q()
    for start, end in windows:
        within |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    counts = {
        f"w{i}": Count("pk", filter=Q(**{f"{field}__gte": start, f"{field}__lt": end}))
        for i, (start, end) in enumerate(windows)
    }
    rows = queryset.filter(within)
    if group_by is None:
        totals = rows.aggregate(**counts)
        return {None: [totals[f"w{i}"] for i in range(len(windows))]}
    return {
        row[group_by]: [row[f"w{i}"] for i in range(len(windows))]
        for row in rows.values(group_by).annotate(**counts).order_by(group_by)
    }


def _surge(counts: list[int]) -> tuple[bool, float, float]:
    """Whether the first count is a surge against the rest (mean, population
    standard deviation)."""
    current, baseline = counts[0], counts[1:]
    mean = sum(baseline) / len(baseline)
    std = math.sqrt(sum((c - mean) ** 2 for c in baseline) / len(baseline))
    return current >= max(SURGE_MIN_COUNT, mean + SURGE_SIGMAS * std), mean, std


def surge_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Orders (per sales channel, by placed time) and tickets (overall, by
    created time) in the last full hour against the same hour on each of the
    previous SURGE_BASELINE_DAYS days. One alert per channel and hour
    ("surge:orders:<channel>:<hour>", "surge:tickets:all:<hour>"); the next
    hour's scan clears it (the hour is over) and it waits for its note."""
    now = now or timezone.now()
    windows = _hour_windows(now)
    hour = windows[0][0]
    hour_key = hour.strftime("%Y-%m-%dT%H")
    hour_text = f"{hour:%Y-%m-%d %H:%M}-{windows[0][1]:%H:%M}"

    def condition(subject, label, url, count, mean, std, owner_role, details):
        return {
            "subject_key": subject,
            "cause_key": subject,
            "subject_label": label,
            "subject_url": url,
            "message": _(
                "%(count)s in %(hour)s against %(mean)s on average (standard deviation "
                "%(std)s) in the same hour over the previous %(days)s days."
            )
            % {
                "count": count,
                "hour": hour_text,
                "mean": f"{mean:.1f}",
                "std": f"{std:.1f}",
                "days": SURGE_BASELINE_DAYS,
            },
            "severity": Alert.Severity.WARNING,
            "owner_role": owner_role,
            "details": {
                **details,
                "hour": hour.isoformat(),
                "count": count,
                "mean": round(mean, 2),
                "std": round(std, 2),
            },
        }

    by_channel = _hour_counts(Order.objects.all(), "placed_at", windows, "channel_id")
    channels = SalesChannel.objects.in_bulk(list(by_channel))
    orders = []
    for channel_id, counts in by_channel.items():
        surge, mean, std = _surge(counts)
        if surge:
            channel = channels[channel_id]
            orders.append(
                condition(
                    f"surge:orders:{channel.code}:{hour_key}",
                    _("Orders from %(channel)s") % {"channel": channel.name},
                    _url("orders:order-list"),
                    counts[0],
                    mean,
                    std,
                    Role.ORDER_CLERK,
                    {"channel": channel.code},
                )
            )
    tickets = []
    counts = _hour_counts(Ticket.objects.all(), "created_at", windows)[None]
    surge, mean, std = _surge(counts)
    if surge:
        tickets.append(
            condition(
                f"surge:tickets:all:{hour_key}",
                _("Tickets"),
                _url("aftersales:ticket-list"),
                counts[0],
                mean,
                std,
                Role.AFTERSALES_AGENT,
                {},
            )
        )
    order_summary = _raise_all(Alert.Kind.ORDER_SURGE, orders, now)
    ticket_summary = _raise_all(Alert.Kind.TICKET_SURGE, tickets, now)
    return {key: order_summary[key] + ticket_summary[key] for key in order_summary}
