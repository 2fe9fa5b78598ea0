from django.contrib import admin
from django.db import models

from erp.core.models import (
    AuditEvent,
    IdempotencyKey,
    IntegrationClient,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


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


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnlyAdmin):
    """Looked at, never edited: the relay owns these rows."""

    list_display = [
        "id",
        "type",
        "aggregate_type",
        "aggregate_id",
        "occurred_at",
        "published_at",
        "attempts",
    ]
    list_filter = ["type", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "aggregate_id"]
    date_hierarchy = "occurred_at"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Back-office fixes; the staff pages (/integrations/webhooks/) and the
    API go through the services (URL checks, secret shown once)."""

    list_display = ["name", "url", "status", "last_delivery_at", "consecutive_failures"]
    list_filter = ["status"]
    search_fields = ["name", "url"]
    exclude = ["secret"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["last_delivery_at", "last_status_code", "disabled_at", "secret_rotated_at"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "status_code",
        "duration_ms",
        "success",
        "error",
        "response_excerpt",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id"]
    inlines = [WebhookAttemptInline]
