from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from orders.models import SalesChannel


@admin.register(SalesChannel)
class SalesChannelAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "default_warehouse",
        "auto_confirm",
        "allow_backorder",
        "active",
    ]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
