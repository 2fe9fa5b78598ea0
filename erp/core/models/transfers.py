"""Bulk import and export jobs run in Celery (erp.core.transfers)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from erp.core.models.base import TimeStampedModel

__all__ = ["TransferJob"]


class TransferJob(TimeStampedModel):
    """One bulk import or export of a kind of record (products, stock,
    customers, orders), run by a worker. An import reads `file` and writes a
    per-row report; an export writes `result_file`. Counters and progress are
    updated after every batch so a page or an API client can follow it."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("import")  # a file's rows are written through the services
        EXPORT = "export", _("export")  # records are written to a file

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")  # waiting for a worker
        RUNNING = "running", _("running")  # a worker is on it; see the progress
        DONE = "done", _("done")  # finished; row errors, if any, are listed
        FAILED = (
            "failed",
            pgettext_lazy("job", "failed"),
        )  # stopped: the file could not be read (see error)

    class Kind(models.TextChoices):
        PRODUCTS = "products", _("products")
        STOCK = "stock", _("stock")
        CUSTOMERS = "customers", _("customers")
        ORDERS = "orders", _("orders")

    direction = models.CharField(
        pgettext_lazy("transfer", "direction"), max_length=10, choices=Direction.choices
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, db_index=True)
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file = models.FileField(_("uploaded file"), upload_to="transfers/in/%Y/%m/", blank=True)
    result_file = models.FileField(
        _("result file"), upload_to="transfers/out/%Y/%m/", blank=True
    )  # the export, or an import's report (every unit's outcome)
    error_file = models.FileField(
        _("error file"), upload_to="transfers/out/%Y/%m/", blank=True
    )  # an import's rows with errors, as CSV
    parameters = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("already there"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    row_errors = models.JSONField(_("row errors"), default=list, blank=True)  # capped
    sample = models.JSONField(_("first results"), default=list, blank=True)  # capped
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import or export job")
        verbose_name_plural = _("import and export jobs")
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="core_transfer_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} #{self.pk}"

    @property
    def progress(self) -> int:
        """Percent of rows done (0-100)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def files_deleted(self) -> bool:
        """Its files were deleted after TRANSFER_RETENTION_DAYS
        (erp.core.transfers.transfer_files_purge): until then an import always
        has its uploaded file and a finished export its result file."""
        if self.direction == self.Direction.IMPORT:
            return not self.file
        return self.status == self.Status.DONE and not self.result_file

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
