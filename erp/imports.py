"""Bulk import and export pages, and the registry of every app's importers
and exporters (settings.TRANSFER_REGISTRY points here).

Upload a file -> a job is queued (a dry run by default) -> its page follows
the progress -> the result lists every row's fate and its errors, with the
full report to download; a dry run without surprises is then imported for
real with one button. Exports are queued the same way and downloaded from
their job page. The work is done by the Celery task core.transfer_run
(erp.core.transfers)."""

import csv
import io
import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from crm.imports import CustomerExporter, CustomerImporter
from erp.core.errors import DomainError
from erp.core.models import TransferJob
from erp.core.transfers import (
    TransferJobFilter,
    files_deleted_message,
    transfer_export_create,
    transfer_import_again,
    transfer_import_create,
    transfer_jobs_visible_to,
    transfer_kind_allowed,
    transfer_progress,
)
from erp.core.views import StaffListView
from inventory.imports import ProductExporter, ProductImporter, StockExporter, StockImporter
from orders.imports import OrderExporter, OrderImporter

IMPORTERS = {
    cls.key: cls for cls in (ProductImporter, StockImporter, CustomerImporter, OrderImporter)
}
EXPORTERS = {
    cls.key: cls for cls in (ProductExporter, StockExporter, CustomerExporter, OrderExporter)
}


def _importer(request, kind):
    cls = IMPORTERS.get(kind)
    if cls is None:
        raise Http404
    if not request.user.has_perm(cls.permission):
        raise PermissionDenied
    return cls()


def _language(request) -> str:
    return getattr(request, "LANGUAGE_CODE", "") or ""


@login_required
def import_page(request, kind: str):
    """Upload a file: a dry run (the default) or the import itself, in the background."""
    importer = _importer(request, kind)
    context = {"importer": importer, "kind": kind, "dry_run": True}
    if request.method == "POST":
        dry_run = request.POST.get("dry_run") == "on"
        try:
            job = transfer_import_create(
                kind=kind,
                upload=request.FILES.get("file"),
                dry_run=dry_run,
                actor=request.user,
                language=_language(request),
            )
        except DomainError as exc:
            context.update(file_error=exc.message, dry_run=dry_run)
        else:
            return redirect("transfer-detail", pk=job.pk)
    context["recent"] = transfer_jobs_visible_to(request.user).filter(
        direction=TransferJob.Direction.IMPORT, kind=kind
    )[:5]
    return render(request, "imports/import.html", context)


@login_required
def import_template(request, kind: str):
    """A CSV with the importer's columns and example rows, to fill in."""
    importer = _importer(request, kind)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=importer.columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(importer.example)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@login_required
def export_page(request):
    """Queue an export of one kind; the list pages' filters come along in the address."""
    allowed = {k: cls() for k, cls in EXPORTERS.items() if request.user.has_perm(cls.permission)}
    if not allowed:
        raise PermissionDenied
    kind = request.POST.get("kind") or request.GET.get("kind") or next(iter(allowed))
    fmt = request.POST.get("format") or request.GET.get("format") or TransferJob.Format.XLSX
    filters = {
        k: v for k, v in request.GET.items() if k not in ("kind", "format", "page", "export")
    }
    context = {"exporters": allowed, "kind": kind, "format": fmt, "filters": filters}
    if request.method == "POST":
        if kind not in allowed:
            raise PermissionDenied
        filters = {
            k[len("filter_") :]: v for k, v in request.POST.items() if k.startswith("filter_") and v
        }
        try:
            job = transfer_export_create(
                kind=kind,
                fmt=fmt,
                parameters=filters,
                actor=request.user,
                language=_language(request),
            )
        except DomainError as exc:
            context.update(form_error=exc.message, filters=filters)
        else:
            return redirect("transfer-detail", pk=job.pk)
    return render(request, "imports/export.html", context)


class TransferJobListView(StaffListView):
    """The signed-in user's imports and exports (every job for admins)."""

    filterset_class = TransferJobFilter
    queryset = TransferJob.objects.none()
    title = gettext_lazy("Imports and exports")
    columns = [
        ("pk", "#"),
        ("created_at", gettext_lazy("time")),
        ("direction", pgettext_lazy("transfer", "direction")),
        ("kind", gettext_lazy("kind")),
        ("format", gettext_lazy("format")),
        ("filename", gettext_lazy("file name")),
        ("dry_run", gettext_lazy("dry run")),
        ("status", gettext_lazy("status")),
        ("rows_total", gettext_lazy("rows")),
        ("error_count", gettext_lazy("errors")),
        ("created_by", gettext_lazy("created by")),
    ]
    empty_message = gettext_lazy("No imports or exports match these filters.")

    def has_permission(self):
        user = self.request.user
        return any(
            user.has_perm(cls.permission) for cls in (*IMPORTERS.values(), *EXPORTERS.values())
        )

    def get_queryset(self):
        return transfer_jobs_visible_to(self.request.user)

    def row_url(self, obj):
        return reverse("transfer-detail", args=[obj.pk])


def _job(request, pk) -> TransferJob:
    job = get_object_or_404(transfer_jobs_visible_to(request.user), pk=pk)
    if not transfer_kind_allowed(request.user, job):
        raise PermissionDenied
    return job


@login_required
def transfer_detail(request, pk: int):
    """A job's progress (the page reloads itself until it has finished) and result."""
    job = _job(request, pk)
    errors = Paginator(job.row_errors or [], 50).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "rows_done": transfer_progress(job),
        "errors_page": errors,
        "retention_days": settings.TRANSFER_RETENTION_DAYS,
        "importer": IMPORTERS.get(job.kind) if job.direction == "import" else None,
        "title": (IMPORTERS if job.direction == "import" else EXPORTERS)[job.kind].title,
    }
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "imports/_progress.html", context)
        if job.finished:  # show the whole result: counts, errors, downloads
            response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/job.html", context)


@login_required
def transfer_download(request, pk: int, which: str):
    """The export, an import's full report, or its rows with errors."""
    job = _job(request, pk)
    files = {"result": job.result_file, "errors": job.error_file}
    stored = files.get(which)
    if which in files and not stored and job.files_deleted:  # an old link
        messages.error(request, files_deleted_message())
        return redirect("transfer-detail", pk=job.pk)
    if not stored:
        raise Http404
    return FileResponse(
        stored.open("rb"), as_attachment=True, filename=os.path.basename(stored.name)
    )


@login_required
@require_POST
def transfer_import_for_real(request, pk: int):
    job = _job(request, pk)
    try:
        again = transfer_import_again(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("transfer-detail", pk=job.pk)
    messages.success(request, _("The import has started."))
    return redirect("transfer-detail", pk=again.pk)
