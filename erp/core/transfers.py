"""Bulk import and export jobs, run by a Celery worker (core.transfer_run).

A job is created by a page or the API (`transfer_import_create`,
`transfer_export_create`), queued on commit, and run by `transfer_run`:

- an import reads its stored file row by row (`open_table`: the csv module
  over the file opened in text mode, or openpyxl in read-only mode - never
  the whole file in memory), writes each unit through erp.core.imports
  (all or nothing per unit, committed in batches), and writes a report CSV
  with every unit's outcome and an error CSV with the refused rows;
- an export streams its records (`Exporter.rows`, a queryset iterator) into
  a CSV or a write-only XLSX file, in the columns the import reads, so an
  export can be imported again.

The kinds (importers and exporters of products, stock, customers, orders) are
defined by the domain apps; the registry that lists them is the module named by
settings.TRANSFER_REGISTRY (erp.imports), read lazily so that this kernel
module imports no domain app.
"""

import csv
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import cache
from importlib import import_module

import django_filters
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override, pgettext_lazy

from erp.core.errors import DomainError
from erp.core.filters import YesNoFilter
from erp.core.imports import Importer, ImportFileError, RowResult, check_columns, import_run
from erp.core.models import TransferJob

logger = logging.getLogger(__name__)
SUFFIXES = {".csv": TransferJob.Format.CSV, ".xlsx": TransferJob.Format.XLSX}
ROW_ERRORS_KEPT = 500  # on the job row; every error is in the error file
SAMPLE_KEPT = 200  # first unit results kept on the job row, for the result page
# A cell starting with one of these is a formula to a spreadsheet program
# (CSV injection): exports write it after a quote, imports drop that quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An XLSX file is a zip: what it may unpack to, and the columns read per row
# (a sheet claiming 16,384 columns must not make every row that wide).
XLSX_MAX_COLUMNS = 200


class TransferInvalid(DomainError):
    status_code = 400
    code = "invalid"


class Exporter:
    """One kind of export. Subclasses name the columns (those of the matching
    importer first, so the file imports again) and stream the rows."""

    key = ""
    title = ""
    permission = ""  # the model permission a staff user needs
    domain = ""  # the API scope domain an integration's token needs (<domain>:read)
    columns: list[str] = []
    filterset_class = None  # the list page's FilterSet: the same filters apply

    def queryset(self):
        raise NotImplementedError

    def filtered(self, parameters: dict):
        queryset = self.queryset()
        if self.filterset_class is None or not parameters:
            return queryset
        data = QueryDict(mutable=True)  # as the list page's address would give them
        for name, value in parameters.items():
            data.setlist(name, value if isinstance(value, list) else [value])
        filterset = self.filterset_class(data=data, queryset=queryset)
        if not filterset.is_valid():
            errors = {name: [str(e) for e in errs] for name, errs in filterset.errors.items()}
            raise TransferInvalid(
                "; ".join(f"{name}: {' '.join(errs)}" for name, errs in errors.items()),
                field="filters",
            )
        return filterset.qs

    def total(self, queryset) -> int:
        """How many file rows the export will have (for the progress)."""
        return queryset.count()

    def rows(self, queryset) -> Iterator[dict]:
        """One dict per file row, {column: value}; stream with .iterator()."""
        raise NotImplementedError


# --- The registry -------------------------------------------------------------


@cache
def _registry():
    return import_module(settings.TRANSFER_REGISTRY)


def importers() -> dict[str, type[Importer]]:
    return _registry().IMPORTERS


def exporters() -> dict[str, type[Exporter]]:
    return _registry().EXPORTERS


# --- Reading and writing tables, streamed ---------------------------------------


def format_of(name: str) -> str | None:
    return SUFFIXES.get(os.path.splitext((name or "").lower())[1])


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:  # escaped by our exports (_cell_out)
        text = text[1:]
    return text


def _records(path: str, fmt: str) -> Iterator:
    """The file's records as sequences of cell values, read one at a time."""
    try:
        if fmt == TransferJob.Format.CSV:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                yield from csv.reader(handle)
        else:
            from openpyxl import load_workbook

            _xlsx_size_check(path)
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                yield from book.worksheets[0].iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS)
            finally:
                book.close()
    except UnicodeDecodeError:
        raise ImportFileError(_("Save the CSV file as UTF-8.")) from None
    except ImportFileError:
        raise
    except Exception as exc:  # csv.Error, zip and XML errors: all mean "unreadable"
        raise ImportFileError(_("The file could not be read: %(why)s") % {"why": exc}) from None


def _xlsx_size_check(path: str) -> None:
    """Refuse an XLSX that unpacks to more than TRANSFER_MAX_XLSX_UNPACKED_MB
    (a zip bomb); zipfile never unpacks an entry past its declared size."""
    import zipfile

    limit = getattr(settings, "TRANSFER_MAX_XLSX_UNPACKED_MB", 500)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(_("The file could not be read: %(why)s") % {"why": exc}) from None
    if unpacked > limit * 1024 * 1024:
        raise ImportFileError(
            _("The workbook unpacks to more than %(limit)s MB; split it or save it as CSV.")
            % {"limit": limit}
        )


@contextmanager
def open_table(path: str, fmt: str):
    """(headers, rows): the header row's names (lower case) and an iterator of
    (spreadsheet row number, {column: text}) for every non-empty row."""
    records = _records(path, fmt)
    try:
        header = next(records, None) or []
        headers = [_cell_text(h).lower() for h in header]
        while headers and not headers[-1]:  # an XLSX row is padded to the sheet's width
            headers.pop()

        def rows():
            for number, values in enumerate(records, start=2):
                row = {h: _cell_text(v) for h, v in zip(headers, values, strict=False) if h}
                if any(row.values()):
                    yield number, row

        yield headers, rows()
    finally:
        records.close()


def count_rows(path: str, fmt: str) -> tuple[list[str], int]:
    """Read the whole file once, streamed: its headers and number of rows.
    An unreadable file fails here, before anything is written."""
    with open_table(path, fmt) as (headers, rows):
        return headers, sum(1 for _row in rows)


def _cell_out(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_safe(value)


def spreadsheet_safe(value):
    """A text cell that a spreadsheet program would run as a formula, quoted."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


@contextmanager
def table_writer(path: str, fmt: str, columns: list[str]):
    """write(row_dict) appends one row; the file is written as it goes (CSV)
    or by openpyxl's write-only workbook (XLSX)."""
    if fmt == TransferJob.Format.CSV:
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            yield lambda row: writer.writerow([_cell_out(row.get(c)) for c in columns])
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(columns)

    def write(row):
        sheet.append([_cell_out(row.get(column)) for column in columns])

    yield write
    book.save(path)


# --- Creating jobs ----------------------------------------------------------------


def _queue(job: TransferJob) -> None:
    from erp.core.tasks import transfer_run_task

    transaction.on_commit(lambda: transfer_run_task.delay(job.pk))


@transaction.atomic
def transfer_import_create(
    *, kind: str, upload, dry_run: bool, actor, language: str = ""
) -> TransferJob:
    """Store an uploaded file and queue its import (or dry run)."""
    if kind not in importers():
        raise TransferInvalid(_("Unknown kind of import."), field="kind")
    if upload is None:
        raise TransferInvalid(_("Choose a file to upload."), field="file")
    fmt = format_of(getattr(upload, "name", ""))
    if fmt is None:
        raise TransferInvalid(_("Upload a .csv or .xlsx file."), field="file")
    limit = settings.TRANSFER_MAX_UPLOAD_MB
    if upload.size > limit * 1024 * 1024:
        raise TransferInvalid(
            _("The file is larger than %(limit)s MB.") % {"limit": limit}, field="file"
        )
    if not upload.size:
        raise TransferInvalid(_("The file is empty."), field="file")
    job = TransferJob.objects.create(
        direction=TransferJob.Direction.IMPORT,
        kind=kind,
        format=fmt,
        dry_run=bool(dry_run),
        filename=os.path.basename(upload.name)[:255],
        created_by=actor,
        language=language or "",
    )
    job.file.save(f"{kind}-{job.pk}.{fmt}", upload, save=False)  # copied in chunks
    job.save(update_fields=["file"])
    _queue(job)
    return job


@transaction.atomic
def transfer_export_create(
    *, kind: str, fmt: str, parameters: dict | None, actor, language: str = ""
) -> TransferJob:
    """Queue an export of one kind with the list page's filters."""
    exporter_cls = exporters().get(kind)
    if exporter_cls is None:
        raise TransferInvalid(_("Unknown kind of export."), field="kind")
    if fmt not in TransferJob.Format.values:
        raise TransferInvalid(_("Choose CSV or XLSX."), field="format")
    parameters = {str(k): v for k, v in (parameters or {}).items()}
    exporter_cls().filtered(parameters)  # refuse bad filters now, not in the worker
    job = TransferJob.objects.create(
        direction=TransferJob.Direction.EXPORT,
        kind=kind,
        format=fmt,
        parameters=parameters,
        created_by=actor,
        language=language or "",
    )
    _queue(job)
    return job


@transaction.atomic
def transfer_import_again(*, job: TransferJob, actor) -> TransferJob:
    """After a dry run: the same file, imported for real."""
    if job.direction != TransferJob.Direction.IMPORT or not job.dry_run:
        raise TransferInvalid(_("Only a dry run can be imported for real."), field="job")
    if job.files_deleted:
        raise TransferInvalid(files_deleted_message(), field="job")
    if job.status != TransferJob.Status.DONE or not job.file:
        raise TransferInvalid(_("The dry run has not finished."), field="job")
    again = TransferJob.objects.create(
        direction=job.direction,
        kind=job.kind,
        format=job.format,
        dry_run=False,
        filename=job.filename,
        created_by=actor,
        language=job.language,
    )
    with job.file.open("rb") as handle:
        again.file.save(f"{job.kind}-{again.pk}.{job.format}", File(handle), save=False)
    again.save(update_fields=["file"])
    _queue(again)
    return again


# --- Running jobs -------------------------------------------------------------------

_PROGRESS_KEY = "transfer-progress:{}"


def transfer_progress(job: TransferJob) -> int:
    """Rows done: from the row, or while a dry run runs (its writes are rolled
    back, the job row's included) from the cache."""
    if job.status == TransferJob.Status.RUNNING and job.dry_run:
        return django_cache.get(_PROGRESS_KEY.format(job.pk)) or job.rows_done
    return job.rows_done


def _claim(job_id: int) -> TransferJob | None:
    """Queued -> running, once: a task delivered twice finds nothing to do."""
    now = timezone.now()
    claimed = TransferJob.objects.filter(pk=job_id, status=TransferJob.Status.QUEUED).update(
        status=TransferJob.Status.RUNNING, started_at=now, updated_at=now
    )  # updated_at: the progress clock transfer_jobs_fail_stale reads
    return TransferJob.objects.get(pk=job_id) if claimed else None


def transfer_run(*, job_id: int) -> str | None:
    """Run a queued job to the end; returns its final status (None if it was
    not queued). A file that cannot be read fails the job with the reason;
    row errors do not."""
    job = _claim(job_id)
    if job is None:
        return None
    try:
        with override(job.language or settings.LANGUAGE_CODE):
            if job.direction == TransferJob.Direction.IMPORT:
                _run_import(job)
            else:
                _run_export(job)
    except (ImportFileError, DomainError) as exc:
        _finish(job, TransferJob.Status.FAILED, error=str(getattr(exc, "message", exc)))
    except Exception as exc:  # a bug: the job says so instead of staying "running"
        logger.exception("transfer job %s failed", job.pk)
        _finish(job, TransferJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
    return job.status


def _finish(job: TransferJob, status: str, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.status = status
    job.finished_at = timezone.now()
    job.save()
    django_cache.delete(_PROGRESS_KEY.format(job.pk))


class _Report:
    """Collects an import's results: counters, the capped lists kept on the
    job, and the report and error CSV files written as the rows go."""

    COUNTERS = {
        "created": "created_count",
        "updated": "updated_count",
        "duplicate": "unchanged_count",
        "error": "error_count",
    }

    def __init__(self, job: TransferJob, directory: str):
        self.job = job
        self.counts = dict.fromkeys(self.COUNTERS.values(), 0)
        self.row_errors: list[dict] = []
        self.sample: list[dict] = []
        self.report_path = os.path.join(directory, "report.csv")
        self.error_path = os.path.join(directory, "errors.csv")
        self._report = open(self.report_path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115
        self._errors = open(self.error_path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115
        self.report = csv.writer(self._report)
        self.errors = csv.writer(self._errors)
        self.report.writerow([_("row"), _("result"), _("details")])
        self.errors.writerow([_("row"), _("column"), _("error")])

    def add(self, result: RowResult) -> None:
        self.counts[self.COUNTERS[result.outcome]] += 1
        rows = ", ".join(str(n) for n in result.rows)
        if result.outcome == "error":
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in result.errors.items())
            for column, reasons in result.errors.items():
                for reason in reasons:
                    self.errors.writerow([rows, column, reason])
            if len(self.row_errors) < ROW_ERRORS_KEPT:
                self.row_errors.append(result.as_dict())
        else:
            details = result.label
        self.report.writerow([rows, result.outcome, details])
        if len(self.sample) < SAMPLE_KEPT:
            self.sample.append(result.as_dict())

    def close(self) -> None:
        self._report.close()
        self._errors.close()


def _run_import(job: TransferJob) -> None:
    importer = importers()[job.kind]()
    with tempfile.TemporaryDirectory(prefix="erp-transfer-") as directory:
        path = _local_copy(job, directory)
        headers, total = count_rows(path, job.format)
        missing = check_columns(importer, headers)
        if missing:
            raise ImportFileError(
                _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)}
            )
        if not total:
            raise ImportFileError(_("The file has no rows."))
        TransferJob.objects.filter(pk=job.pk).update(rows_total=total)
        job.rows_total = total
        report = _Report(job, directory)

        def on_batch(done: int) -> None:
            if job.dry_run:  # the job row's update would be rolled back too
                django_cache.set(_PROGRESS_KEY.format(job.pk), done, 24 * 3600)
            else:
                TransferJob.objects.filter(pk=job.pk).update(
                    rows_done=done, updated_at=timezone.now(), **report.counts
                )

        try:
            with open_table(path, job.format) as (_headers, rows):
                import_run(
                    importer=importer,
                    rows=rows,
                    actor=job.created_by,
                    dry_run=job.dry_run,
                    on_result=report.add,
                    on_batch=on_batch,
                    batch_size=settings.TRANSFER_BATCH_SIZE,
                )
        finally:
            report.close()
        for name, value in report.counts.items():
            setattr(job, name, value)
        job.rows_done = total
        job.row_errors = report.row_errors
        job.sample = report.sample
        stem = f"{job.kind}-{job.pk}"
        with open(report.report_path, "rb") as handle:
            job.result_file.save(f"{stem}-report.csv", File(handle), save=False)
        if job.error_count:
            with open(report.error_path, "rb") as handle:
                job.error_file.save(f"{stem}-errors.csv", File(handle), save=False)
    _finish(job, TransferJob.Status.DONE)


def _local_copy(job: TransferJob, directory: str) -> str:
    """A path to read the stored file from (a copy when storage is remote)."""
    try:
        return job.file.path
    except NotImplementedError:
        path = os.path.join(directory, f"input.{job.format}")
        with job.file.open("rb") as source, open(path, "wb") as target:
            for chunk in source.chunks():
                target.write(chunk)
        return path


def _run_export(job: TransferJob) -> None:
    exporter = exporters()[job.kind]()
    queryset = exporter.filtered(job.parameters or {})
    total = exporter.total(queryset)
    TransferJob.objects.filter(pk=job.pk).update(rows_total=total)
    job.rows_total = total
    done = 0
    with tempfile.TemporaryDirectory(prefix="erp-transfer-") as directory:
        path = os.path.join(directory, f"export.{job.format}")
        with table_writer(path, job.format, exporter.columns) as write:
            for count, row in enumerate(exporter.rows(queryset), start=1):
                write(row)
                done = count
                if count % 1000 == 0:
                    TransferJob.objects.filter(pk=job.pk).update(
                        rows_done=count, updated_at=timezone.now()
                    )
        job.rows_done = done
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        with open(path, "rb") as handle:
            job.result_file.save(
                f"{job.kind}-{stamp}-{job.pk}.{job.format}", File(handle), save=False
            )
    _finish(job, TransferJob.Status.DONE)


# --- Housekeeping (the beat job sweep-transfers) ---------------------------------------


def transfer_jobs_fail_stale(*, now: datetime | None = None, minutes: int | None = None) -> int:
    """Fail the jobs left queued or running with no progress (updated_at)
    for `minutes` (TRANSFER_STALE_MINUTES): their worker died, or their task
    was lost, and a job once claimed is never taken up again. The reason is
    written in the job's language; returns how many were failed.

    Safe to run twice and from several workers: each job is failed by one
    conditional UPDATE that re-checks its status and clock, so a job that
    moved on (finished, or made progress) in the meantime is left alone."""
    minutes = settings.TRANSFER_STALE_MINUTES if minutes is None else minutes
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=minutes)
    waiting = (TransferJob.Status.QUEUED, TransferJob.Status.RUNNING)
    stale = TransferJob.objects.filter(status__in=waiting, updated_at__lt=cutoff).order_by("pk")
    failed = 0
    for pk, status, language in stale.values_list("pk", "status", "language"):
        with override(language or settings.LANGUAGE_CODE):
            if status == TransferJob.Status.RUNNING:
                error = _("The worker stopped while running this job; run it again.")
            else:
                error = _("No worker started this job in time; run it again.")
        changed = TransferJob.objects.filter(pk=pk, status=status, updated_at__lt=cutoff).update(
            status=TransferJob.Status.FAILED, error=error, finished_at=now, updated_at=now
        )
        if changed:
            logger.warning("transfer job %s was %s with no progress; failed", pk, status)
            django_cache.delete(_PROGRESS_KEY.format(pk))
            failed += 1
    return failed


def files_deleted_message() -> str:
    return _(
        "The files of this job are no longer kept: they are deleted %(days)s days after "
        "the job finished."
    ) % {"days": settings.TRANSFER_RETENTION_DAYS}


def transfer_files_purge(
    *, now: datetime | None = None, days: int | None = None, batch: int = 100
) -> int:
    """Delete the files (uploaded, result, errors) of the jobs that finished
    more than `days` (TRANSFER_RETENTION_DAYS) ago and empty their file fields;
    the rows keep their counts and row errors. Returns how many jobs lost
    their files. Safe to run twice and from several workers: each batch is
    locked with SKIP LOCKED, and a job without files is not selected again.
    A file that storage fails to delete is logged and its job kept as it was,
    for the next run."""
    days = settings.TRANSFER_RETENTION_DAYS if days is None else days
    now = now or timezone.now()
    expired = TransferJob.objects.filter(
        status__in=(TransferJob.Status.DONE, TransferJob.Status.FAILED),
        finished_at__lt=now - timedelta(days=days),
    ).exclude(file="", result_file="", error_file="")
    purged, after = 0, 0
    while True:
        with transaction.atomic():
            jobs = list(
                expired.filter(pk__gt=after)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not jobs:
                return purged
            after = jobs[-1].pk
            emptied = []
            for job in jobs:
                try:
                    for stored in (job.file, job.result_file, job.error_file):
                        if stored:
                            stored.storage.delete(stored.name)
                except Exception:  # storage unreachable: the next run tries again
                    logger.warning("files of transfer job %s not deleted", job.pk, exc_info=True)
                    continue
                emptied.append(job.pk)
            purged += TransferJob.objects.filter(pk__in=emptied).update(
                file="", result_file="", error_file="", updated_at=now
            )


def transfer_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The beat job sweep-transfers: stale jobs failed, then old files deleted."""
    return {
        "failed": transfer_jobs_fail_stale(now=now),
        "files_deleted": transfer_files_purge(now=now),
    }


# --- Reads ------------------------------------------------------------------------


def transfer_kind_allowed(user, job_or_direction, kind: str | None = None) -> bool:
    """May a signed-in staff user run (or read) this kind of import/export?"""
    if isinstance(job_or_direction, TransferJob):
        direction, kind = job_or_direction.direction, job_or_direction.kind
    else:
        direction = job_or_direction
    registry = importers() if direction == TransferJob.Direction.IMPORT else exporters()
    cls = registry.get(kind)
    return cls is not None and user.has_perm(cls.permission)


def transfer_jobs_visible_to(user):
    """Everyone sees their own jobs; admins see every job."""
    from erp.core.roles import user_is_admin

    jobs = TransferJob.objects.select_related("created_by")
    return jobs if user_is_admin(user) else jobs.filter(created_by=user)


class TransferJobFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=TransferJob.Direction.choices, label=pgettext_lazy("transfer", "direction")
    )
    kind = django_filters.ChoiceFilter(choices=TransferJob.Kind.choices, label=gettext_lazy("kind"))
    status = django_filters.MultipleChoiceFilter(
        choices=TransferJob.Status.choices, label=gettext_lazy("status")
    )
    dry_run = YesNoFilter(label=gettext_lazy("dry run"))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("finished_at", "finished_at")),
        label=gettext_lazy("order by"),
    )

    class Meta:
        model = TransferJob
        fields = ["direction", "kind", "status", "dry_run"]
