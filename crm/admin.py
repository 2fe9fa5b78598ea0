from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from crm.models import Address, Contact, Customer, CustomerMerge, DuplicateDismissal, Tag


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "tier", "phone", "email", "marketing_consent"]
    list_filter = ["tier", "kind", "marketing_consent", "language"]
    search_fields = ["code", "name", "phone", "email"]
    raw_id_fields = ["default_address", "account_manager", "merged_into"]
    filter_horizontal = ["tags"]
    inlines = [ContactInline, AddressInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    """Merges are made and undone on the staff pages; here they are only read."""

    list_display = ["id", "survivor", "merged", "merged_by", "merged_at", "undone_at"]
    search_fields = ["survivor__code", "merged__code"]
    readonly_fields = [f.name for f in CustomerMerge._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DuplicateDismissal)
class DuplicateDismissalAdmin(admin.ModelAdmin):
    list_display = ["first", "second", "dismissed_by", "dismissed_at"]
    raw_id_fields = ["first", "second"]
