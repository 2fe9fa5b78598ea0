"""Staff pages of reports (issue 7 item 7): my reports (every one for
admins), request a report, its page with a progress bar that htmx refreshes
while a worker writes it, the download, and the schedules that have reports
made and mailed on a timetable."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.models import Report, ReportSchedule
from analytics.reports.filters import ReportFilter, ReportScheduleFilter
from analytics.reports.forms import ReportRequestForm, ReportScheduleForm
from analytics.reports.kinds import KINDS, kinds_for
from analytics.selectors.reports import reports_visible_to, schedules_visible_to
from analytics.services.report_schedules import (
    SCHEDULE_FIELDS,
    report_schedule_create,
    report_schedule_set_enabled,
    report_schedule_update,
)
from analytics.services.reports import (
    report_content_type,
    report_download_name,
    report_parameter_labels,
    report_request,
)
from erp.core.errors import DomainError
from erp.core.models import AuditEvent
from erp.core.services import audit_event_record
from erp.core.views import StaffListView

STATUS_BADGES = {
    Report.Status.QUEUED: "text-bg-secondary",
    Report.Status.RUNNING: "text-bg-primary",
    Report.Status.DONE: "text-bg-success",
    Report.Status.FAILED: "text-bg-danger",
}
# How often the report page asks for the progress while a worker runs.
POLL_SECONDS = 2


class ReportListView(StaffListView):
    permission_required = "analytics.view_report"
    filterset_class = ReportFilter
    title = _("Reports")
    columns = [
        ("pk", "#"),
        ("kind", _("kind")),
        ("format", _("format")),
        ("status", _("status")),
        ("progress_label", _("progress")),
        ("row_count", _("rows")),
        ("schedule", _("schedule")),
        ("requested_by", _("requested by")),
        ("created_at", _("created at"), "created_at"),
        ("finished_at", _("finished at"), "finished_at"),
    ]
    create_url_name = "analytics:report-new"
    create_permission = "analytics.add_report"
    empty_message = _("No reports match these filters.")

    def get_queryset(self):
        return reports_visible_to(self.request.user)

    def row_url(self, obj):
        return reverse("analytics:report-detail", args=[obj.pk])


def _visible_report(request, pk: int) -> Report:
    """The report if the user may see it (theirs, or any for admins); else 404."""
    return get_object_or_404(reports_visible_to(request.user), pk=pk)


def _report_context(request, report: Report) -> dict:
    spec = KINDS[report.kind]
    return {
        "report": report,
        "spec": spec,
        "status_badge": STATUS_BADGES.get(report.status, "text-bg-secondary"),
        "parameters": report_parameter_labels(report.parameters),
        "may_download": report.has_file and spec.allowed(request.user),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@permission_required("analytics.add_report", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_new_view(request):
    form = ReportRequestForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = report_request(
                    kind=form.cleaned_data["kind"],
                    format=form.cleaned_data["format"],
                    parameters=form.cleaned_data,
                    requested_by=request.user,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Report #%(number)s requested; it is being generated.")
                    % {"number": report.pk},
                )
                return redirect("analytics:report-detail", pk=report.pk)
        status = 400
    kinds = [
        {"key": spec.key, "label": spec.label, "description": spec.description, "uses": spec.uses}
        for spec in kinds_for(request.user)
    ]
    return render(
        request, "analytics/reports/report_new.html", {"form": form, "kinds": kinds}, status=status
    )


@login_required
@permission_required("analytics.view_report", raise_exception=True)
@require_GET
def report_detail_view(request, pk: int):
    report = _visible_report(request, pk)
    return render(request, "analytics/reports/report_detail.html", _report_context(request, report))


@login_required
@permission_required("analytics.view_report", raise_exception=True)
@require_GET
def report_progress_view(request, pk: int):
    """htmx: the status block, polled until the report is finished (the
    finished block carries no trigger, so the polling stops)."""
    report = _visible_report(request, pk)
    return render(
        request, "analytics/reports/_report_status.html", _report_context(request, report)
    )


@login_required
@permission_required("analytics.view_report", raise_exception=True)
@require_GET
def report_download_view(request, pk: int):
    """The file, to its requester or an admin who may still request its kind."""
    report = _visible_report(request, pk)
    if not KINDS[report.kind].allowed(request.user):
        raise PermissionDenied(gettext("Your role may not see this kind of report."))
    return report_file_response(request, report)


def report_file_response(request, report: Report) -> FileResponse:
    """A report's file as an attachment, the download kept in the audit log
    (the page's and the API's download); 404 once it is gone."""
    if not report.has_file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_event_record(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        detail=f"report {report.pk}: {report.kind} {report.format}",
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=report_download_name(report),
        content_type=report_content_type(report),
    )


# --- Schedules -------------------------------------------------------------------------


class ReportScheduleListView(StaffListView):
    permission_required = "analytics.view_reportschedule"
    filterset_class = ReportScheduleFilter
    title = _("Report schedules")
    columns = [
        ("name", _("name"), "name"),
        ("kind", _("kind")),
        ("format", _("format")),
        ("period", _("period")),
        ("timetable", _("runs")),
        ("recipient_list", _("mail to")),
        ("owner", _("owner")),
        ("enabled", _("enabled")),
    ]
    create_url_name = "analytics:report-schedule-new"
    create_permission = "analytics.add_reportschedule"
    empty_message = _("No schedules match these filters.")

    def get_queryset(self):
        return schedules_visible_to(self.request.user)

    def row_url(self, obj):
        return reverse("analytics:report-schedule-edit", args=[obj.pk])


# The schedule's fields the form sets (the language is the owner's).
SCHEDULE_FORM_FIELDS = tuple(name for name in SCHEDULE_FIELDS if name != "language")


def _schedule_values(form) -> dict:
    return {name: form.cleaned_data.get(name) for name in SCHEDULE_FORM_FIELDS}


def _schedule_page(request, form, schedule=None, status=200):
    reports = []
    if schedule is not None:
        reports = list(
            reports_visible_to(request.user).filter(schedule=schedule).order_by("-created_at")[:10]
        )
    return render(
        request,
        "analytics/reports/schedule_form.html",
        {
            "form": form,
            "schedule": schedule,
            "reports": reports,
            "status_badges": STATUS_BADGES,
            "may_change": request.user.has_perm("analytics.change_reportschedule"),
        },
        status=status,
    )


@login_required
@permission_required("analytics.add_reportschedule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_schedule_new_view(request):
    form = ReportScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                schedule = report_schedule_create(owner=request.user, **_schedule_values(form))
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, gettext("Schedule %(name)s saved.") % {"name": schedule.name}
                )
                return redirect("analytics:report-schedule-list")
        return _schedule_page(request, form, status=400)
    return _schedule_page(request, form)


def _visible_schedule(request, pk: int) -> ReportSchedule:
    return get_object_or_404(schedules_visible_to(request.user), pk=pk)


@login_required
@permission_required("analytics.view_reportschedule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_schedule_edit_view(request, pk: int):
    schedule = _visible_schedule(request, pk)
    if request.method == "POST":
        if not request.user.has_perm("analytics.change_reportschedule"):
            raise PermissionDenied
        form = ReportScheduleForm(request.POST, user=request.user, schedule=schedule)
        if form.is_valid():
            try:
                schedule = report_schedule_update(
                    schedule=schedule, actor=request.user, **_schedule_values(form)
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, gettext("Schedule %(name)s saved.") % {"name": schedule.name}
                )
                return redirect("analytics:report-schedule-list")
        return _schedule_page(request, form, schedule, status=400)
    form = ReportScheduleForm(user=request.user, schedule=schedule)
    return _schedule_page(request, form, schedule)


@login_required
@permission_required("analytics.change_reportschedule", raise_exception=True)
@require_POST
def report_schedule_toggle_view(request, pk: int):
    """Disable a schedule (its PeriodicTask stops firing) or enable it again."""
    schedule = _visible_schedule(request, pk)
    enabled = request.POST.get("enabled") == "1"
    schedule = report_schedule_set_enabled(schedule=schedule, enabled=enabled)
    messages.success(
        request,
        (
            gettext("Schedule %(name)s enabled.")
            if enabled
            else gettext("Schedule %(name)s disabled.")
        )
        % {"name": schedule.name},
    )
    return redirect("analytics:report-schedule-edit", pk=schedule.pk)
