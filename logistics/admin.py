from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from logistics.models import Carrier


@admin.register(Carrier)
class CarrierAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "mode", "phone", "own_fleet", "active"]
    list_filter = ["mode", "active"]
    search_fields = ["code", "name"]
