from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aftersales.models import ServiceTeam


@admin.register(ServiceTeam)
class ServiceTeamAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]
