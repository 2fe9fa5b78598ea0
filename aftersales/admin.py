from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aftersales.models import CustomerNotice, ServiceTeam


@admin.register(ServiceTeam)
class ServiceTeamAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(admin.ModelAdmin):
    list_display = ["subject", "customer", "to", "status", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject", "to", "customer__code"]
    raw_id_fields = ["exception", "customer"]
