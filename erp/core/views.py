"""Shared page machinery: the staff list view, health check and error pages."""

import csv
import io
import logging
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.cache import cache
from django.db import connection
from django.forms import DateInput
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_filters import DateFilter
from django_filters.views import FilterView
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from erp.core.models import AuditEvent
from erp.core.services import audit_event_record
from erp.core.templatetags.erp_tags import person_name
from erp.core.transfers import spreadsheet_safe
from erp.core.widgets import style_form

log = logging.getLogger(__name__)


class StaffPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A staff page: sign-in required, then the role's permission.

    A signed-in user without the permission gets the 403 page (and the denial
    is recorded by `permission_denied`); an anonymous one is sent to sign in.
    """

    raise_exception = False


def resolve(obj, path: str):
    """The value at a dotted attribute path; choices as their label."""
    value = obj
    for part in path.split("."):
        if value is None:
            break
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, None)
    return value


def plain_value(obj, path: str):
    """A cell for a file: text, numbers and local times, booleans as yes/no."""
    value = resolve(obj, path)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, int | float | Decimal | date):
        return value
    return spreadsheet_safe(str(value))  # "=HYPERLINK(...)" stays text in Excel


def display_value(obj, path: str):
    """The value at a dotted attribute path, as a person reads it on a page:
    choice labels, a tick or a dash for booleans and blanks."""
    value = resolve(obj, path)
    if value is True:
        return format_html('<i class="bi bi-check-lg text-success" title="{}"></i>', _("yes"))
    if value is False or value is None or value == "":
        return mark_safe('<span class="text-body-tertiary">—</span>')
    if isinstance(value, AbstractBaseUser):  # a person by name, as people know them
        return person_name(value)
    return value


class StaffListView(StaffPageMixin, FilterView):
    """A filtered, ordered, paginated list sharing the app's FilterSet with its API.

    Subclasses set `permission_required`, `filterset_class`, `queryset` (from a
    selector), `title` and `columns`: [(attribute path, heading), ...] or
    [(path, heading, ordering key)]; a column is sortable when its key is one
    of the FilterSet's ordering choices. `row_url(obj)` links the first cell;
    `highlight_field` names a boolean attribute that marks a row.
    """

    template_name = "core/list.html"
    paginate_by = 25
    title = ""
    columns: list[tuple] = []
    create_url_name: str | None = None
    create_permission: str | None = None
    highlight_field: str | None = None
    empty_message = ""

    export_limit = 50_000
    # Filters that only links set (the KPIs' drill-downs): shown in the form
    # when the address carries them, so the everyday form stays short.
    drill_filters: tuple[str, ...] = ()

    def row_url(self, obj) -> str | None:
        return None

    def get_filterset(self, filterset_class):
        # Before the form is built (subclasses go on to change it): a filter
        # the address does not carry filters nothing, so it simply goes.
        filterset = super().get_filterset(filterset_class)
        for name in self.drill_filters:
            drill = filterset.filters.get(name)
            if drill is None:
                continue
            if name not in self.request.GET:
                del filterset.filters[name]
            elif isinstance(drill, DateFilter):
                drill.extra["widget"] = DateInput(attrs={"type": "date"})
        return filterset

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in EXPORTERS:
            filterset = self.get_filterset(self.get_filterset_class())
            if filterset.is_valid():
                return self.export(export, filterset.qs)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str, queryset):
        """The filtered list as a file, with the page's columns."""
        headers = [str(column[1]) for column in self.columns]
        rows = (
            [plain_value(obj, column[0]) for column in self.columns]
            for obj in queryset[: self.export_limit]
        )
        name = f"{slugify(str(self.title)) or 'export'}-{timezone.localdate():%Y%m%d}"
        audit_event_record(
            kind=AuditEvent.Kind.EXPORT, request=self.request, detail=f"{fmt}: {self.title}"
        )
        return EXPORTERS[fmt](name, headers, rows)

    def _sortable(self) -> set[str]:
        ordering = self.filterset.filters.get("ordering") if self.filterset else None
        if ordering is None:
            return set()
        return {value for value, _label in ordering.extra["choices"] if not value.startswith("-")}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        style_form(ctx["filter"].form, small=True)
        query = self.request.GET.copy()
        query.pop("page", None)
        sortable = self._sortable()
        headers = []
        for column in self.columns:
            path, heading = column[0], column[1]
            key = column[2] if len(column) > 2 else path
            headers.append({"heading": heading, "sort": key if key in sortable else None})
        rows = [
            {
                "url": self.row_url(obj),
                "highlight": bool(self.highlight_field and getattr(obj, self.highlight_field)),
                "cells": [display_value(obj, column[0]) for column in self.columns],
            }
            for obj in ctx["object_list"]
        ]
        can_create = bool(
            self.create_url_name
            and (
                self.create_permission is None or self.request.user.has_perm(self.create_permission)
            )
        )
        ctx.update(
            export_query=query.urlencode(),  # the file has the rows and order shown
            title=self.title,
            headers=headers,
            rows=rows,
            create_url_name=self.create_url_name if can_create else None,
            querystring=query.urlencode(),
            empty_message=self.empty_message or _("Nothing matches these filters."),
            filtered=any(v for k, v in self.request.GET.items() if k not in ("page", "ordering")),
        )
        return ctx


def board_columns(
    queryset, *, statuses, choices, badges: dict, counts: dict, order_by, limit: int = 12
) -> list[dict]:
    """The columns of a status board: for each status its label, badge, count,
    the first `limit` cards in `order_by` order and how many more there are."""
    columns = []
    for status in statuses:
        cards = list(queryset.filter(status=status).order_by(*order_by)[:limit])
        columns.append(
            {
                "status": status,
                "label": choices(status).label,
                "badge": badges[status],
                "count": counts[status],
                "cards": cards,
                "more": max(counts[status] - limit, 0),
            }
        )
    return columns


def export_csv(name: str, headers: list[str], rows) -> HttpResponse:
    # UTF-8 with a byte-order mark, so Excel opens Chinese text correctly.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(
            [
                value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value
                for value in row
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def export_xlsx(name: str, headers: list[str], rows) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    response = HttpResponse(
        output.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


EXPORTERS = {"csv": export_csv, "xlsx": export_xlsx}


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/o/"))


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def permission_denied(request, exception=None):
    audit_event_record(kind=AuditEvent.Kind.DENIED, request=request, detail=str(exception or ""))
    if _wants_json(request):
        return _api_error("permission_denied", _("You do not have permission to do this."), 403)
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form or API call without a valid CSRF token (a session POST from elsewhere)."""
    audit_event_record(kind=AuditEvent.Kind.DENIED, request=request, detail=f"CSRF: {reason}")
    if _wants_json(request):
        return _api_error("csrf_failed", _("CSRF check failed; reload the page and retry."), 403)
    return render(request, "403.html", {"csrf_failed": True}, status=403)


def page_not_found(request, exception=None):
    if _wants_json(request):
        return _api_error("not_found", _("Not found."), 404)
    return render(request, "404.html", status=404)


class ApiRoot(APIView):
    """/api/: points to the documentation; any other method gets the JSON error format."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    schema = None

    def get(self, request):
        return HttpResponseRedirect(reverse("api-docs"))


def bad_request(request, exception=None):
    if _wants_json(request):
        return _api_error("bad_request", _("Bad request."), 400)
    return render(request, "400.html", status=400)


def server_error(request):
    if _wants_json(request):
        return _api_error("server_error", _("Internal server error."), 500)
    # Rendered without the request: the error may come from a context processor.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())


def _check(fn) -> dict:
    try:
        detail = fn()
    except Exception:  # any failure means "down"; details go to the log, not to callers
        log.exception("health check %s failed", fn.__name__.strip("_"))
        return {"ok": False, "detail": "unavailable"}
    return {"ok": True, "detail": detail}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return what was written")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _broker() -> str:
    from erp.celery import app

    url = app.conf.broker_url or ""
    if url.startswith("memory://"):
        return "none: tasks run in-process (eager)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
        return conn.transport.driver_type


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
