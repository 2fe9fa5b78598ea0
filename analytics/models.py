"""KPI targets. Alerts, dashboards, forecasts and reports follow with the
analytics capability."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class KpiTarget(TimeStampedModel):
    """The value a KPI should reach, and how it is compared."""

    class Kpi(models.TextChoices):
        ON_TIME_DELIVERY_RATE = "on_time_delivery_rate", _("on-time delivery rate")
        ORDER_CYCLE_TIME = "order_cycle_time", _("order cycle time")
        FILL_RATE = "fill_rate", _("fill rate")
        INVENTORY_TURNOVER_DAYS = "inventory_turnover_days", _("inventory turnover (days)")
        RETURN_RATE = "return_rate", _("return rate")
        FIRST_RESPONSE_TIME = "first_response_time", _("first response time")
        RESOLUTION_TIME = "resolution_time", _("resolution time")
        CSAT = "csat", _("customer satisfaction (CSAT)")

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
