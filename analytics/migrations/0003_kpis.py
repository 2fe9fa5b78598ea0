"""The daily rollup behind the KPIs (analytics.models.kpis) and the KPIs a
target may be set for."""

import datetime

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_alerts"),
        ("inventory", "0006_product_lead_time"),
        ("orders", "0006_order_delivered_at_line_short"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupState",
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
                ("name", models.CharField(max_length=30, unique=True, verbose_name="name")),
                (
                    "built_through",
                    models.DateField(blank=True, null=True, verbose_name="built through"),
                ),
                (
                    "watermark",
                    models.DateTimeField(blank=True, null=True, verbose_name="changes since"),
                ),
                ("category_digest", models.CharField(blank=True, max_length=64)),
                (
                    "last_run_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last run at"),
                ),
                (
                    "last_run_days",
                    models.PositiveIntegerField(
                        default=0, verbose_name="days rebuilt by the last run"
                    ),
                ),
                (
                    "last_run_seconds",
                    models.DecimalField(
                        decimal_places=2,
                        default=0,
                        max_digits=10,
                        verbose_name="duration of the last run (s)",
                    ),
                ),
            ],
            options={
                "verbose_name": "rollup state",
                "verbose_name_plural": "rollup states",
                "ordering": ["name"],
            },
        ),
        migrations.AlterField(
            model_name="historicalkpitarget",
            name="kpi",
            field=models.CharField(
                choices=[
                    ("orders_placed", "orders"),
                    ("revenue", "revenue"),
                    ("on_time_delivery_rate", "on-time delivery rate"),
                    ("order_cycle_time", "order cycle time"),
                    ("fill_rate", "fill rate"),
                    ("backorder_rate", "backorder rate"),
                    ("freight_cost_per_order", "freight cost per order"),
                    ("co2e_per_order", "CO2e per order"),
                    ("inventory_turnover", "inventory turnover"),
                    ("inventory_turnover_days", "inventory turnover (days)"),
                    ("inventory_value", "average inventory value"),
                    ("stockout_rate", "stock-out rate"),
                    ("return_rate", "return rate"),
                    ("tickets_opened", "tickets opened"),
                    ("first_response_time", "first response time"),
                    ("resolution_time", "resolution time"),
                    ("sla_compliance", "SLA compliance"),
                    ("csat", "customer satisfaction (CSAT)"),
                    ("nps", "net promoter score (NPS)"),
                ],
                db_index=True,
                max_length=30,
                verbose_name="KPI",
            ),
        ),
        migrations.AlterField(
            model_name="kpitarget",
            name="kpi",
            field=models.CharField(
                choices=[
                    ("orders_placed", "orders"),
                    ("revenue", "revenue"),
                    ("on_time_delivery_rate", "on-time delivery rate"),
                    ("order_cycle_time", "order cycle time"),
                    ("fill_rate", "fill rate"),
                    ("backorder_rate", "backorder rate"),
                    ("freight_cost_per_order", "freight cost per order"),
                    ("co2e_per_order", "CO2e per order"),
                    ("inventory_turnover", "inventory turnover"),
                    ("inventory_turnover_days", "inventory turnover (days)"),
                    ("inventory_value", "average inventory value"),
                    ("stockout_rate", "stock-out rate"),
                    ("return_rate", "return rate"),
                    ("tickets_opened", "tickets opened"),
                    ("first_response_time", "first response time"),
                    ("resolution_time", "resolution time"),
                    ("sla_compliance", "SLA compliance"),
                    ("csat", "customer satisfaction (CSAT)"),
                    ("nps", "net promoter score (NPS)"),
                ],
                max_length=30,
                unique=True,
                verbose_name="KPI",
            ),
        ),
        migrations.CreateModel(
            name="DailyReturnReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                ("reason", models.CharField(blank=True, max_length=100, verbose_name="reason")),
                (
                    "returns",
                    models.PositiveIntegerField(default=0, verbose_name="returns requested"),
                ),
                (
                    "channel",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="orders.saleschannel",
                        verbose_name="sales channel",
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "daily return reason",
                "verbose_name_plural": "daily return reasons",
                "ordering": ["day", "reason"],
            },
        ),
        migrations.CreateModel(
            name="DailyFacts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                (
                    "orders_placed",
                    models.PositiveIntegerField(default=0, verbose_name="orders placed"),
                ),
                (
                    "revenue",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=16, verbose_name="revenue"
                    ),
                ),
                (
                    "orders_confirmed",
                    models.PositiveIntegerField(default=0, verbose_name="orders confirmed"),
                ),
                (
                    "orders_backordered",
                    models.PositiveIntegerField(
                        default=0, verbose_name="orders short at allocation"
                    ),
                ),
                (
                    "lines_allocated",
                    models.PositiveIntegerField(default=0, verbose_name="lines allocated"),
                ),
                (
                    "lines_short",
                    models.PositiveIntegerField(
                        default=0, verbose_name="lines short at allocation"
                    ),
                ),
                (
                    "orders_delivered",
                    models.PositiveIntegerField(default=0, verbose_name="orders delivered"),
                ),
                (
                    "orders_delivered_promised",
                    models.PositiveIntegerField(
                        default=0, verbose_name="orders delivered with a promised date"
                    ),
                ),
                (
                    "orders_on_time",
                    models.PositiveIntegerField(default=0, verbose_name="orders delivered on time"),
                ),
                (
                    "cycle_time",
                    models.DurationField(
                        default=datetime.timedelta(0), verbose_name="order cycle time, summed"
                    ),
                ),
                (
                    "shipments_dispatched",
                    models.PositiveIntegerField(default=0, verbose_name="shipments dispatched"),
                ),
                (
                    "orders_shipped",
                    models.PositiveIntegerField(default=0, verbose_name="orders shipped"),
                ),
                (
                    "freight_cost",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=16, verbose_name="freight cost"
                    ),
                ),
                (
                    "co2e_kg",
                    models.DecimalField(
                        decimal_places=3,
                        default=0,
                        max_digits=16,
                        verbose_name="carbon emissions (kg CO2e)",
                    ),
                ),
                (
                    "returns",
                    models.PositiveIntegerField(default=0, verbose_name="returns requested"),
                ),
                (
                    "tickets_opened",
                    models.PositiveIntegerField(default=0, verbose_name="tickets opened"),
                ),
                (
                    "tickets_responded",
                    models.PositiveIntegerField(default=0, verbose_name="tickets first responded"),
                ),
                (
                    "first_response_time",
                    models.DurationField(
                        default=datetime.timedelta(0), verbose_name="first response time, summed"
                    ),
                ),
                (
                    "tickets_resolved",
                    models.PositiveIntegerField(default=0, verbose_name="tickets resolved"),
                ),
                (
                    "resolution_time",
                    models.DurationField(
                        default=datetime.timedelta(0), verbose_name="resolution time, summed"
                    ),
                ),
                (
                    "tickets_resolved_sla",
                    models.PositiveIntegerField(
                        default=0, verbose_name="tickets resolved under an SLA"
                    ),
                ),
                (
                    "tickets_resolved_within_sla",
                    models.PositiveIntegerField(
                        default=0, verbose_name="tickets resolved within their SLA"
                    ),
                ),
                (
                    "csat_answers",
                    models.PositiveIntegerField(default=0, verbose_name="CSAT answers"),
                ),
                ("csat_sum", models.PositiveIntegerField(default=0, verbose_name="CSAT points")),
                ("nps_answers", models.PositiveIntegerField(default=0, verbose_name="NPS answers")),
                ("nps_promoters", models.PositiveIntegerField(default=0, verbose_name="promoters")),
                (
                    "nps_detractors",
                    models.PositiveIntegerField(default=0, verbose_name="detractors"),
                ),
                (
                    "channel",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="orders.saleschannel",
                        verbose_name="sales channel",
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "daily KPI facts",
                "verbose_name_plural": "daily KPI facts",
                "ordering": ["day", "channel_id", "warehouse_id"],
                "permissions": [("view_kpis", "Can see the KPIs")],
                "indexes": [
                    models.Index(fields=["channel", "day"], name="dailyfacts_channel_day"),
                    models.Index(fields=["warehouse", "day"], name="dailyfacts_warehouse_day"),
                ],
            },
        ),
        migrations.CreateModel(
            name="DailyStockFacts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(db_index=True, verbose_name="day")),
                ("category", models.CharField(blank=True, max_length=100, verbose_name="category")),
                (
                    "cogs",
                    models.DecimalField(
                        decimal_places=4,
                        default=0,
                        max_digits=18,
                        verbose_name="cost of goods sold",
                    ),
                ),
                (
                    "closing_value",
                    models.DecimalField(
                        decimal_places=4,
                        default=0,
                        max_digits=18,
                        verbose_name="closing inventory value",
                    ),
                ),
                (
                    "skus_carried",
                    models.PositiveIntegerField(default=0, verbose_name="SKUs carried"),
                ),
                (
                    "skus_out",
                    models.PositiveIntegerField(default=0, verbose_name="SKUs out of stock"),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "daily stock facts",
                "verbose_name_plural": "daily stock facts",
                "ordering": ["day", "warehouse_id", "category"],
                "indexes": [
                    models.Index(fields=["warehouse", "day"], name="dailystock_warehouse_day")
                ],
            },
        ),
    ]
