"""Reports generated in the background (a Celery task on the reports queue)
and the schedules that have them made and mailed on a timetable."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from erp.core.models import TimeStampedModel

__all__ = ["Report", "ReportSchedule"]


class ReportKind(models.TextChoices):
    """What a report lists; each is one generator in analytics.reports.kinds."""

    ORDERS = "orders", _("orders")
    STOCK_VALUATION = "stock_valuation", _("stock valuation")
    INVENTORY_TURNOVER = "inventory_turnover", _("inventory turnover")
    SHIPMENTS_CARBON = "shipments_carbon", _("shipments and carbon")
    TICKETS_SLA = "tickets_sla", _("tickets and SLA")
    CUSTOMER_SCORES = "customer_scores", _("customer scores")


class ReportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX (Excel)"
    PDF = "pdf", "PDF"


class Report(TimeStampedModel):
    """One file asked for by a person (or by a schedule): queued, generated
    by a worker that records its progress as it goes, then downloadable
    until the retention job deletes it. A failed run keeps its error and has
    no file."""

    Kind = ReportKind
    Format = ReportFormat

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("report", "queued")  # waiting for a worker
        RUNNING = "running", pgettext_lazy("report", "running")  # a worker is writing it
        DONE = "done", pgettext_lazy("report", "done")  # the file is ready
        FAILED = "failed", pgettext_lazy("report", "failed")  # stopped by an error; no file

    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(_("kind"), max_length=30, choices=ReportKind.choices, db_index=True)
    format = models.CharField(_("format"), max_length=5, choices=ReportFormat.choices)
    # Resolved inputs: date_from / date_to (ISO dates), channel and warehouse
    # codes, and the relative period a schedule asked for.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # The language headings and labels are written in (the requester's).
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    # The PDF holds at most ANALYTICS_REPORT_PDF_MAX_ROWS rows; the rest are in XLSX.
    truncated = models.BooleanField(_("cut short"), default=False)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    schedule = models.ForeignKey(
        "analytics.ReportSchedule",
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    # The run of the schedule this report is for: one report per schedule and due time.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set when the retention job deleted the file.
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [
            # Ticket figures without the conversations: for those who watch the service levels.
            ("request_ticket_report", _("Can request ticket and SLA reports")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_lte_100"),
            models.UniqueConstraint(
                fields=["schedule", "due_at"],
                condition=Q(schedule__isnull=False, due_at__isnull=False),
                name="report_once_per_schedule_run",
            ),
            # Only a finished report has a file.
            models.CheckConstraint(
                condition=Q(status="done") | Q(file=""), name="report_file_only_when_done"
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="report_requester_created"),
            models.Index(fields=["status", "finished_at"], name="report_status_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def progress_label(self) -> str:
        return f"{self.progress}%"

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and self.purged_at is None


WEEKDAY_NAMES = [
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
]


class ReportSchedule(TimeStampedModel):
    """A report made on a timetable (daily, weekly or monthly at a local
    time) over a period relative to the run, and mailed to a list of
    recipients. Its django-celery-beat PeriodicTask (and that task's
    crontab) is kept in step by analytics.services.reports."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        MONTHLY = "monthly", _("monthly")

    class Period(models.TextChoices):
        # The dates the report covers, relative to the day it runs.
        YESTERDAY = "yesterday", _("yesterday")
        LAST_7_DAYS = "last_7_days", _("the last 7 days")
        LAST_30_DAYS = "last_30_days", _("the last 30 days")
        LAST_WEEK = "last_week", _("last week (Monday to Sunday)")
        LAST_MONTH = "last_month", _("last month")
        MONTH_TO_DATE = "month_to_date", _("this month so far")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=ReportKind.choices)
    format = models.CharField(_("format"), max_length=5, choices=ReportFormat.choices)
    period = models.CharField(
        _("period"), max_length=20, choices=Period.choices, default=Period.LAST_7_DAYS
    )
    # Channel and warehouse codes (empty: all).
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    recipients = models.JSONField(_("mail to"), default=list)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    at_time = models.TimeField(_("at (local time)"))
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True, help_text=_("0 = Monday ... 6 = Sunday")
    )
    month_day = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    enabled = models.BooleanField(_("enabled"), default=True)
    # Runs due before this are not caught up (creation or the last re-enabling).
    active_since = models.DateTimeField(_("active since"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="report_schedules",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_schedule",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__isnull=True) | Q(weekday__lte=6),
                name="reportschedule_weekday_0_6",
            ),
            models.CheckConstraint(
                condition=Q(month_day__isnull=True) | Q(month_day__gte=1, month_day__lte=28),
                name="reportschedule_month_day_1_28",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> str:
        return ", ".join(self.recipients)

    @property
    def timetable(self) -> str:
        """When it runs, as people say it: "weekly, Monday 07:00"."""
        at = f"{self.at_time:%H:%M}"
        if self.frequency == self.Frequency.WEEKLY and self.weekday is not None:
            return _("weekly, %(weekday)s %(time)s") % {
                "weekday": WEEKDAY_NAMES[self.weekday],
                "time": at,
            }
        if self.frequency == self.Frequency.MONTHLY and self.month_day is not None:
            return _("monthly, day %(day)s %(time)s") % {"day": self.month_day, "time": at}
        return _("daily %(time)s") % {"time": at}
