"""The import pages: upload, preview (dry run), confirm. One registry of the
importers every app offers."""

import csv
import io
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from erp.core.imports import ImportFileError, check_columns, import_run, read_table
from inventory.imports import ProductImporter, StockImporter
from orders.imports import OrderImporter

IMPORTERS = {cls.key: cls for cls in (ProductImporter, StockImporter, OrderImporter)}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _importer(request, kind):
    cls = IMPORTERS.get(kind)
    if cls is None:
        raise Http404
    if not request.user.has_perm(cls.permission):
        raise PermissionDenied
    return cls()


def _pending_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "import-previews"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def import_page(request, kind: str):
    importer = _importer(request, kind)
    context = {"importer": importer, "kind": kind}
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, importer, kind)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["file_error"] = _("Choose a file to upload.")
        elif upload.size > MAX_UPLOAD_BYTES:
            context["file_error"] = _("The file is larger than 5 MB.")
        else:
            content = upload.read()
            upload.seek(0)
            try:
                rows = read_table(upload)
            except ImportFileError as exc:
                context["file_error"] = str(exc)
            else:
                missing = check_columns(importer, rows)
                if missing:
                    context["file_error"] = _("Missing columns: %(columns)s") % {
                        "columns": ", ".join(missing)
                    }
                elif not rows:
                    context["file_error"] = _("The file has no rows.")
                else:
                    results = import_run(
                        importer=importer, rows=rows, actor=request.user, dry_run=True
                    )
                    token = secrets.token_urlsafe(16)
                    suffix = Path(upload.name).suffix.lower()
                    (_pending_dir() / f"{token}{suffix}").write_bytes(content)
                    request.session[f"import-{token}"] = {
                        "kind": kind,
                        "suffix": suffix,
                        "name": upload.name,
                    }
                    context.update(_summary(results), token=token, filename=upload.name)
    return render(request, "imports/import.html", context)


def _confirm(request, importer, kind):
    token = request.POST["token"]
    pending = request.session.pop(f"import-{token}", None)
    if pending is None or pending["kind"] != kind:
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("import", kind=kind)
    path = _pending_dir() / f"{token}{pending['suffix']}"
    try:
        upload = SimpleUploadedFile(pending["name"], path.read_bytes())
    except FileNotFoundError:
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("import", kind=kind)
    finally:
        path.unlink(missing_ok=True)
    results = import_run(
        importer=importer, rows=read_table(upload), actor=request.user, dry_run=False
    )
    summary = _summary(results)
    if summary["errors"]:
        # Something changed since the preview; nothing was written.
        messages.error(request, _("The import found errors and wrote nothing; see below."))
        return render(
            request, "imports/import.html", {"importer": importer, "kind": kind, **summary}
        )
    messages.success(
        request,
        _("Imported: %(created)s created, %(updated)s updated, %(duplicate)s already there.")
        % summary["counts"],
    )
    return redirect("import", kind=kind)


def _summary(results) -> dict:
    counts = {
        k: sum(1 for r in results if r.outcome == k) for k in ("created", "updated", "duplicate")
    }
    return {
        "results": results,
        "counts": counts,
        "errors": sum(1 for r in results if r.outcome == "error"),
    }


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
