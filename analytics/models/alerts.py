"""KPI targets and alerts (closed loop: raised by a job, acknowledged,
resolved with a note, escalated when left open past their deadline)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class KpiTarget(TimeStampedModel):
    """The value a KPI should reach, and how it is compared. The KPIs are
    defined in analytics.selectors.kpis, which also gives each value its
    traffic light against its target."""

    class Kpi(models.TextChoices):
        ORDERS_PLACED = "orders_placed", _("orders")
        REVENUE = "revenue", _("revenue")
        ON_TIME_DELIVERY_RATE = "on_time_delivery_rate", _("on-time delivery rate")
        ORDER_CYCLE_TIME = "order_cycle_time", _("order cycle time")
        FILL_RATE = "fill_rate", _("fill rate")
        BACKORDER_RATE = "backorder_rate", _("backorder rate")
        FREIGHT_COST_PER_ORDER = "freight_cost_per_order", _("freight cost per order")
        CO2E_PER_ORDER = "co2e_per_order", _("CO2e per order")
        INVENTORY_TURNOVER = "inventory_turnover", _("inventory turnover")
        INVENTORY_TURNOVER_DAYS = "inventory_turnover_days", _("inventory turnover (days)")
        INVENTORY_VALUE = "inventory_value", _("average inventory value")
        STOCKOUT_RATE = "stockout_rate", _("stock-out rate")
        RETURN_RATE = "return_rate", _("return rate")
        TICKETS_OPENED = "tickets_opened", _("tickets opened")
        FIRST_RESPONSE_TIME = "first_response_time", _("first response time")
        RESOLUTION_TIME = "resolution_time", _("resolution time")
        SLA_COMPLIANCE = "sla_compliance", _("SLA compliance")
        CSAT = "csat", _("customer satisfaction (CSAT)")
        NPS = "nps", _("net promoter score (NPS)")

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", _("at least")  # actual >= target
        AT_MOST = "at_most", _("at most")  # actual <= target
        WITHIN = "within", _("within tolerance")  # |actual - target| <= tolerance% of target

    kpi = models.CharField(_("KPI"), max_length=30, choices=Kpi.choices, unique=True)
    comparison = models.CharField(_("comparison"), max_length=10, choices=Comparison.choices)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    tolerance_percent = models.DecimalField(
        _("tolerance (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_percent__gte=0), name="kpitarget_tolerance_gte_0"
            )
        ]

    def __str__(self) -> str:
        return self.get_kpi_display()

    def is_met(self, actual: Decimal) -> bool:
        if self.comparison == self.Comparison.AT_LEAST:
            return actual >= self.target
        if self.comparison == self.Comparison.AT_MOST:
            return actual <= self.target
        return abs(actual - self.target) <= self.target * self.tolerance_percent / 100


class Alert(TimeStampedModel):
    """Something that needs a person: raised by a periodic scan, owned by a
    role (and a person where one is responsible), acknowledged, and resolved
    only with a note saying what was done. At most one open alert per kind
    and subject, so scans are safe to run twice and by two workers."""

    class Kind(models.TextChoices):
        T3_DELIVERY = "t3_delivery", _("delivery at risk (T-3)")
        LOW_STOCK = "low_stock", _("low stock")
        STOCKOUT_FORECAST = "stockout_forecast", _("stock-out forecast")
        SLA_WARNING = "sla_warning", _("SLA due soon")
        SLA_BREACH = "sla_breach", _("SLA breached")
        SHIPMENT_EXCEPTION = "shipment_exception", _("shipment exception")
        SHIPMENT_DELAY = "shipment_delay", _("shipment delayed")
        TICKET_SURGE = "ticket_surge", _("ticket surge")
        ORDER_SURGE = "order_surge", _("order surge")

    class Severity(models.TextChoices):
        INFO = "info", _("info")
        WARNING = "warning", _("warning")
        CRITICAL = "critical", _("critical")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert", "open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", pgettext_lazy("alert", "resolved")

    OPEN_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    number = models.CharField(_("alert number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # What it is about: "order:123", "stocklevel:5", "surge:orders:all:2026-11-27T10".
    subject_key = models.CharField(_("about"), max_length=100)
    # The occurrence: a resolved alert is not raised again for the same cause
    # ("order:123:promised:2026-11-30"); a new cause raises a new alert.
    cause_key = models.CharField(max_length=150)
    subject_label = models.CharField(_("subject"), max_length=200)
    subject_url = models.CharField(max_length=300, blank=True)
    message = models.TextField(_("message"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    owner_role = models.CharField(_("owning role"), max_length=30, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    # The condition no longer holds (the order shipped...): still to be resolved by a person.
    cleared_at = models.DateTimeField(_("condition cleared at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to_role = models.CharField(_("escalated to"), max_length=30, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        permissions = [("resolve_alert", _("Can acknowledge and resolve alerts"))]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_one_open_per_kind_and_subject",
            ),
            models.UniqueConstraint(fields=["kind", "cause_key"], name="alert_once_per_cause"),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(resolution_note=""),
                name="alert_resolved_has_note",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="alert_open_deadline"),
            models.Index(fields=["owner_role", "status"], name="alert_role_status"),
        ]

    def __str__(self) -> str:
        return self.number


class AlertEvent(models.Model):
    """What happened to an alert: raised, seen again, cleared, acknowledged,
    assigned, escalated, resolved, with who and a note."""

    class Action(models.TextChoices):
        RAISED = "raised", _("raised")
        UPDATED = "updated", _("updated")
        CLEARED = "cleared", _("condition cleared")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ASSIGNED = "assigned", _("assigned")
        ESCALATED = "escalated", _("escalated")
        RESOLVED = "resolved", pgettext_lazy("alert", "resolved")

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=15, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"
