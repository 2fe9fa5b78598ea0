"""Demand forecasts (with their periods) and reorder suggestions."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_kpis"),
        ("inventory", "0006_product_lead_time"),
    ]

    operations = [
        migrations.CreateModel(
            name="ForecastRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "granularity",
                    models.CharField(
                        choices=[("month", "month"), ("week", "week"), ("day", "day")],
                        max_length=5,
                        verbose_name="granularity",
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("ets", "exponential smoothing"),
                            ("seasonal_naive", "seasonal naive"),
                        ],
                        max_length=15,
                        verbose_name="method",
                    ),
                ),
                ("model_label", models.CharField(max_length=40, verbose_name="model")),
                ("trend", models.CharField(default="N", max_length=2, verbose_name="trend")),
                (
                    "seasonal",
                    models.CharField(default="N", max_length=1, verbose_name="seasonality"),
                ),
                (
                    "seasonal_periods",
                    models.PositiveSmallIntegerField(default=1, verbose_name="season length"),
                ),
                ("history_start", models.DateField(verbose_name="history from")),
                ("history_end", models.DateField(verbose_name="history to")),
                ("history_periods", models.PositiveIntegerField(verbose_name="periods of history")),
                ("demand_periods", models.PositiveIntegerField(verbose_name="periods with demand")),
                ("horizon", models.PositiveSmallIntegerField(verbose_name="horizon (periods)")),
                (
                    "sigma",
                    models.DecimalField(
                        decimal_places=4, max_digits=14, verbose_name="error sigma"
                    ),
                ),
                (
                    "mase",
                    models.DecimalField(
                        blank=True, decimal_places=4, max_digits=10, null=True, verbose_name="MASE"
                    ),
                ),
                (
                    "naive_mase",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="seasonal-naive MASE",
                    ),
                ),
                ("generated_at", models.DateTimeField(verbose_name="generated at")),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forecast_runs",
                        to="inventory.product",
                        verbose_name="product",
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forecast_runs",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "demand forecast",
                "verbose_name_plural": "demand forecasts",
                "ordering": ["product_id", "warehouse_id", "granularity"],
            },
        ),
        migrations.CreateModel(
            name="ForecastPoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("period_start", models.DateField(verbose_name="period")),
                (
                    "quantity",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="forecast"),
                ),
                (
                    "lower",
                    models.DecimalField(
                        decimal_places=2, max_digits=14, verbose_name="lower bound"
                    ),
                ),
                (
                    "upper",
                    models.DecimalField(
                        decimal_places=2, max_digits=14, verbose_name="upper bound"
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="points",
                        to="analytics.forecastrun",
                        verbose_name="forecast",
                    ),
                ),
            ],
            options={
                "verbose_name": "forecast period",
                "verbose_name_plural": "forecast periods",
                "ordering": ["run_id", "period_start"],
            },
        ),
        migrations.CreateModel(
            name="ReorderSuggestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "lead_time_days",
                    models.PositiveSmallIntegerField(verbose_name="lead time (days)"),
                ),
                (
                    "review_days",
                    models.PositiveSmallIntegerField(verbose_name="review period (days)"),
                ),
                (
                    "service_level",
                    models.DecimalField(
                        decimal_places=4, max_digits=5, verbose_name="service level"
                    ),
                ),
                (
                    "daily_demand",
                    models.DecimalField(
                        decimal_places=4, max_digits=14, verbose_name="daily demand"
                    ),
                ),
                (
                    "lead_time_demand",
                    models.DecimalField(
                        decimal_places=2, max_digits=14, verbose_name="demand over lead time"
                    ),
                ),
                (
                    "safety_stock",
                    models.DecimalField(
                        decimal_places=2, max_digits=14, verbose_name="safety stock"
                    ),
                ),
                (
                    "reorder_point",
                    models.PositiveIntegerField(verbose_name="suggested reorder point"),
                ),
                (
                    "reorder_quantity",
                    models.PositiveIntegerField(verbose_name="suggested reorder quantity"),
                ),
                ("generated_at", models.DateTimeField(verbose_name="generated at")),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reorder_suggestions",
                        to="inventory.product",
                        verbose_name="product",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reorder_suggestions",
                        to="analytics.forecastrun",
                        verbose_name="forecast",
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reorder_suggestions",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "reorder suggestion",
                "verbose_name_plural": "reorder suggestions",
                "ordering": ["product_id", "warehouse_id"],
            },
        ),
        migrations.AddConstraint(
            model_name="forecastrun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("warehouse__isnull", False)),
                fields=("product", "warehouse", "granularity"),
                name="forecastrun_product_warehouse_granularity_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="forecastrun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("warehouse__isnull", True)),
                fields=("product", "granularity"),
                name="forecastrun_product_all_warehouses_granularity_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="forecastpoint",
            constraint=models.UniqueConstraint(
                fields=("run", "period_start"), name="forecastpoint_run_period_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="forecastpoint",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lower__gte", 0),
                    ("lower__lte", models.F("quantity")),
                    ("quantity__lte", models.F("upper")),
                ),
                name="forecastpoint_lower_quantity_upper_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="reordersuggestion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("warehouse__isnull", False)),
                fields=("product", "warehouse"),
                name="reordersuggestion_product_warehouse_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="reordersuggestion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("warehouse__isnull", True)),
                fields=("product",),
                name="reordersuggestion_product_all_warehouses_unique",
            ),
        ),
    ]
