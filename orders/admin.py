from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from orders.models import InboundMessage, SalesChannel


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
    # The inbound secret is set and rotated by manage.py channel_connector.
    exclude = ["inbound_secret"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Read-only: messages are stored and applied by orders.services.inbound;
    apply one again from its staff page."""

    list_display = ["message_id", "channel", "topic", "external_ref", "status", "created_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["message_id", "external_ref"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
