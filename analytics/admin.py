from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from analytics.models import KpiTarget


@admin.register(KpiTarget)
class KpiTargetAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "comparison", "target", "tolerance_percent", "unit", "active"]
