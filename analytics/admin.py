from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from analytics.models import KpiTarget, Report, ReportSchedule


@admin.register(KpiTarget)
class KpiTargetAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "comparison", "target", "tolerance_percent", "unit", "active"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Looked at here; changed through the report pages and services (a
    schedule's PeriodicTask must follow it)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(_ReadOnlyAdmin):
    list_display = ["id", "kind", "format", "status", "progress", "requested_by", "created_at"]
    list_filter = ["kind", "format", "status"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(_ReadOnlyAdmin):
    list_display = ["name", "kind", "format", "frequency", "at_time", "enabled", "owner"]
    list_filter = ["kind", "enabled"]
