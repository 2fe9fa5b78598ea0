from django.contrib import admin

from erp.core.models import AuditEvent, IdempotencyKey, IntegrationClient


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "username", "client_id", "ip_address", "method", "path"]
    list_filter = ["kind"]
    search_fields = ["username", "path", "client_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail is kept, whoever asks


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    list_display = ["application", "scopes", "created_at"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["scope", "key", "state", "status_code", "created_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["scope", "key"]
