"""Reads of reports and report schedules shared by the pages, the API and
the tasks. A person sees the reports they requested (and those of their
schedules); admins see every one."""

from django.db.models import QuerySet

from analytics.models import Report, ReportSchedule
from erp.core.roles import user_is_admin


def report_list() -> QuerySet[Report]:
    return Report.objects.select_related("requested_by", "schedule").order_by("-created_at", "-id")


def reports_visible_to(user, queryset: QuerySet[Report] | None = None) -> QuerySet[Report]:
    queryset = report_list() if queryset is None else queryset
    if user_is_admin(user):
        return queryset
    return queryset.filter(requested_by=user)


def schedule_list() -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.select_related("owner", "periodic_task").order_by("name", "id")


def schedules_visible_to(
    user, queryset: QuerySet[ReportSchedule] | None = None
) -> QuerySet[ReportSchedule]:
    queryset = schedule_list() if queryset is None else queryset
    if user_is_admin(user):
        return queryset
    return queryset.filter(owner=user)
