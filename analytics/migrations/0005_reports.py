import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_forecasts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSchedule",
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
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("orders", "orders"),
                            ("stock_valuation", "stock valuation"),
                            ("inventory_turnover", "inventory turnover"),
                            ("shipments_carbon", "shipments and carbon"),
                            ("tickets_sla", "tickets and SLA"),
                            ("customer_scores", "customer scores"),
                        ],
                        max_length=30,
                        verbose_name="kind",
                    ),
                ),
                (
                    "format",
                    models.CharField(
                        choices=[("csv", "CSV"), ("xlsx", "XLSX (Excel)"), ("pdf", "PDF")],
                        max_length=5,
                        verbose_name="format",
                    ),
                ),
                (
                    "period",
                    models.CharField(
                        choices=[
                            ("yesterday", "yesterday"),
                            ("last_7_days", "the last 7 days"),
                            ("last_30_days", "the last 30 days"),
                            ("last_week", "last week (Monday to Sunday)"),
                            ("last_month", "last month"),
                            ("month_to_date", "this month so far"),
                        ],
                        default="last_7_days",
                        max_length=20,
                        verbose_name="period",
                    ),
                ),
                (
                    "parameters",
                    models.JSONField(blank=True, default=dict, verbose_name="parameters"),
                ),
                ("recipients", models.JSONField(default=list, verbose_name="mail to")),
                (
                    "frequency",
                    models.CharField(
                        choices=[("daily", "daily"), ("weekly", "weekly"), ("monthly", "monthly")],
                        default="weekly",
                        max_length=10,
                        verbose_name="frequency",
                    ),
                ),
                ("at_time", models.TimeField(verbose_name="at (local time)")),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="0 = Monday ... 6 = Sunday",
                        null=True,
                        verbose_name="weekday",
                    ),
                ),
                (
                    "month_day",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="day of the month"
                    ),
                ),
                (
                    "language",
                    models.CharField(default="zh-hans", max_length=10, verbose_name="language"),
                ),
                ("enabled", models.BooleanField(default=True, verbose_name="enabled")),
                ("active_since", models.DateTimeField(verbose_name="active since")),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_schedules",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                (
                    "periodic_task",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="report_schedule",
                        to="django_celery_beat.periodictask",
                    ),
                ),
            ],
            options={
                "verbose_name": "report schedule",
                "verbose_name_plural": "report schedules",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="Report",
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
                    "kind",
                    models.CharField(
                        choices=[
                            ("orders", "orders"),
                            ("stock_valuation", "stock valuation"),
                            ("inventory_turnover", "inventory turnover"),
                            ("shipments_carbon", "shipments and carbon"),
                            ("tickets_sla", "tickets and SLA"),
                            ("customer_scores", "customer scores"),
                        ],
                        db_index=True,
                        max_length=30,
                        verbose_name="kind",
                    ),
                ),
                (
                    "format",
                    models.CharField(
                        choices=[("csv", "CSV"), ("xlsx", "XLSX (Excel)"), ("pdf", "PDF")],
                        max_length=5,
                        verbose_name="format",
                    ),
                ),
                (
                    "parameters",
                    models.JSONField(blank=True, default=dict, verbose_name="parameters"),
                ),
                (
                    "language",
                    models.CharField(default="zh-hans", max_length=10, verbose_name="language"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        db_index=True,
                        default="queued",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "progress",
                    models.PositiveSmallIntegerField(default=0, verbose_name="progress (%)"),
                ),
                ("rows_done", models.PositiveIntegerField(default=0, verbose_name="rows done")),
                (
                    "rows_total",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="rows in all"),
                ),
                (
                    "row_count",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="rows in the file"
                    ),
                ),
                ("truncated", models.BooleanField(default=False, verbose_name="cut short")),
                (
                    "file",
                    models.FileField(
                        blank=True, max_length=200, upload_to="reports/%Y/%m/", verbose_name="file"
                    ),
                ),
                (
                    "file_size",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="file size (bytes)"
                    ),
                ),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("due_at", models.DateTimeField(blank=True, null=True, verbose_name="due at")),
                (
                    "mailed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="mailed at"),
                ),
                (
                    "started_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="started at"),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                (
                    "purged_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="file deleted at"),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reports",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
                (
                    "schedule",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reports",
                        to="analytics.reportschedule",
                        verbose_name="schedule",
                    ),
                ),
            ],
            options={
                "verbose_name": "report",
                "verbose_name_plural": "reports",
                "ordering": ["-created_at", "-id"],
                "permissions": [("request_ticket_report", "Can request ticket and SLA reports")],
            },
        ),
        migrations.AddConstraint(
            model_name="reportschedule",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekday__isnull", True), ("weekday__lte", 6), _connector="OR"),
                name="reportschedule_weekday_0_6",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportschedule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("month_day__isnull", True),
                    models.Q(("month_day__gte", 1), ("month_day__lte", 28)),
                    _connector="OR",
                ),
                name="reportschedule_month_day_1_28",
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                fields=["requested_by", "-created_at"], name="report_requester_created"
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["status", "finished_at"], name="report_status_finished"),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress__lte", 100)), name="report_progress_lte_100"
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("due_at__isnull", False), ("schedule__isnull", False)),
                fields=("schedule", "due_at"),
                name="report_once_per_schedule_run",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "done"), ("file", ""), _connector="OR"),
                name="report_file_only_when_done",
            ),
        ),
    ]
