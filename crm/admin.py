from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from crm.models import Address, Customer


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "tier", "phone", "email", "marketing_consent"]
    list_filter = ["tier", "kind", "marketing_consent"]
    search_fields = ["code", "name", "phone", "email"]
    raw_id_fields = ["default_address", "account_manager"]
    inlines = [AddressInline]
