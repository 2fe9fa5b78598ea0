"""Demand forecasts and reorder suggestions, rebuilt by the nightly refresh
(analytics.services.forecasting.forecast_refresh).

A forecast is kept per product, per warehouse (or for all warehouses: the
warehouse left empty) and per granularity: one ForecastRun with how it was
made and how well it did in the backtest, and one ForecastPoint per future
period. A refresh updates these rows in place through their natural keys
(unique constraints), so running it twice never duplicates anything.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from erp.core.models import TimeStampedModel

__all__ = ["ForecastPoint", "ForecastRun", "Granularity", "ReorderSuggestion"]


class Granularity(models.TextChoices):
    MONTH = "month", _("month")  # calendar months
    WEEK = "week", _("week")  # ISO weeks, Monday to Sunday
    DAY = "day", _("day")  # local (Asia/Shanghai) days


class ForecastRun(TimeStampedModel):
    """The forecast of one product's demand (units ordered) at one
    granularity, for one warehouse or for all of them (warehouse empty):
    the method the refresh chose, the history it was fitted on and its
    backtest against a seasonal-naive forecast."""

    class Method(models.TextChoices):
        # Exponential smoothing (statsmodels ETS, additive errors).
        ETS = "ets", _("exponential smoothing")
        # This period's demand is that of the same period one season ago:
        # too little history for a model.
        SEASONAL_NAIVE = "seasonal_naive", _("seasonal naive")

    product = models.ForeignKey(
        "inventory.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="forecast_runs",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forecast_runs",
    )
    granularity = models.CharField(_("granularity"), max_length=5, choices=Granularity.choices)
    method = models.CharField(_("method"), max_length=15, choices=Method.choices)
    # What was fitted, as people write it: "ETS(A,Ad,A) m=7", "seasonal naive m=12".
    model_label = models.CharField(_("model"), max_length=40)
    trend = models.CharField(_("trend"), max_length=2, default="N")  # N, or Ad (damped)
    seasonal = models.CharField(_("seasonality"), max_length=1, default="N")  # N or A
    seasonal_periods = models.PositiveSmallIntegerField(_("season length"), default=1)
    history_start = models.DateField(_("history from"))  # first period with demand
    history_end = models.DateField(_("history to"))  # start of the last complete period
    history_periods = models.PositiveIntegerField(_("periods of history"))
    demand_periods = models.PositiveIntegerField(_("periods with demand"))
    horizon = models.PositiveSmallIntegerField(_("horizon (periods)"))
    # Standard deviation of the one-step errors in the history (units per period).
    sigma = models.DecimalField(_("error sigma"), max_digits=14, decimal_places=4)
    # Backtest: MASE of the model and of the seasonal-naive forecast over the
    # last horizon (rolling origin), both scaled by the in-sample MAE of the
    # seasonal-naive forecast; empty when the history is too short to tell.
    mase = models.DecimalField(_("MASE"), max_digits=10, decimal_places=4, null=True, blank=True)
    naive_mase = models.DecimalField(
        _("seasonal-naive MASE"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    generated_at = models.DateTimeField(_("generated at"))

    class Meta:
        ordering = ["product_id", "warehouse_id", "granularity"]
        verbose_name = _("demand forecast")
        verbose_name_plural = _("demand forecasts")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse", "granularity"],
                condition=Q(warehouse__isnull=False),
                name="forecastrun_product_warehouse_granularity_unique",
            ),
            models.UniqueConstraint(
                fields=["product", "granularity"],
                condition=Q(warehouse__isnull=True),
                name="forecastrun_product_all_warehouses_granularity_unique",
            ),
        ]

    def __str__(self) -> str:
        where = self.warehouse.code if self.warehouse_id else "*"
        return f"{self.product.sku} @ {where} / {self.granularity}: {self.model_label}"

    @property
    def warehouse_label(self) -> str:
        return self.warehouse.code if self.warehouse_id else str(_("all warehouses"))

    @property
    def beats_naive(self) -> bool | None:
        """Whether the model did better than seasonal naive in the backtest."""
        if self.mase is None or self.naive_mase is None:
            return None
        return self.mase < self.naive_mase


class ForecastPoint(models.Model):
    """One future period of a forecast: expected units and the prediction
    interval (ANALYTICS_FORECAST_INTERVAL, clipped at 0)."""

    run = models.ForeignKey(
        ForecastRun, verbose_name=_("forecast"), on_delete=models.CASCADE, related_name="points"
    )
    period_start = models.DateField(_("period"))
    quantity = models.DecimalField(_("forecast"), max_digits=14, decimal_places=2)
    lower = models.DecimalField(_("lower bound"), max_digits=14, decimal_places=2)
    upper = models.DecimalField(_("upper bound"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["run_id", "period_start"]
        verbose_name = _("forecast period")
        verbose_name_plural = _("forecast periods")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "period_start"], name="forecastpoint_run_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(lower__gte=0)
                & Q(lower__lte=models.F("quantity"))
                & Q(quantity__lte=models.F("upper")),
                name="forecastpoint_lower_quantity_upper_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.period_start}: {self.quantity}"


class ReorderSuggestion(TimeStampedModel):
    """A suggested reorder point and quantity for a product in a warehouse
    (or across all warehouses), from the forecast demand over the product's
    lead time plus safety stock. See analytics.services.forecasting for the
    arithmetic."""

    product = models.ForeignKey(
        "inventory.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="reorder_suggestions",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reorder_suggestions",
    )
    # The forecast the numbers come from (the finest granularity with a model).
    run = models.ForeignKey(
        ForecastRun,
        verbose_name=_("forecast"),
        on_delete=models.CASCADE,
        related_name="reorder_suggestions",
    )
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"))
    review_days = models.PositiveSmallIntegerField(_("review period (days)"))
    service_level = models.DecimalField(_("service level"), max_digits=5, decimal_places=4)
    # Mean forecast units a day over the lead time (what the stock-out scan reads).
    daily_demand = models.DecimalField(_("daily demand"), max_digits=14, decimal_places=4)
    lead_time_demand = models.DecimalField(
        _("demand over lead time"), max_digits=14, decimal_places=2
    )
    safety_stock = models.DecimalField(_("safety stock"), max_digits=14, decimal_places=2)
    reorder_point = models.PositiveIntegerField(_("suggested reorder point"))
    reorder_quantity = models.PositiveIntegerField(_("suggested reorder quantity"))
    generated_at = models.DateTimeField(_("generated at"))

    class Meta:
        ordering = ["product_id", "warehouse_id"]
        verbose_name = _("reorder suggestion")
        verbose_name_plural = _("reorder suggestions")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"],
                condition=Q(warehouse__isnull=False),
                name="reordersuggestion_product_warehouse_unique",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(warehouse__isnull=True),
                name="reordersuggestion_product_all_warehouses_unique",
            ),
        ]

    def __str__(self) -> str:
        where = self.warehouse.code if self.warehouse_id else "*"
        return f"{self.product.sku} @ {where}: {self.reorder_point} / {self.reorder_quantity}"

    @property
    def warehouse_label(self) -> str:
        return self.warehouse.code if self.warehouse_id else str(_("all warehouses"))

    @property
    def below_suggestion(self) -> bool:
        """The product's reorder point is below the suggested one."""
        return self.product.reorder_point < self.reorder_point
