"""Webhook subscriptions and their deliveries (erp.core.webhooks)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from erp.core.models.base import TimeStampedModel

__all__ = ["WebhookAttempt", "WebhookDelivery", "WebhookSubscription"]


class WebhookSubscription(TimeStampedModel):
    """An endpoint of an integrator that receives our domain events as signed
    JSON POSTs. `event_types` lists the event types it wants ("*" for all).
    The secret signs every delivery (erp.core.webhooks.signing); it is shown
    once when created or rotated and masked afterwards."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")  # receives deliveries
        PAUSED = "paused", _("paused")  # turned off by an admin; nothing is sent or queued
        DISABLED = "disabled", _("disabled")  # turned off automatically after persistent failure

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(_("secret"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    # Failed attempts since the last successful one, across events.
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("disabled because"), max_length=300, blank=True)
    last_delivery_at = models.DateTimeField(_("last delivery"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    @property
    def secret_masked(self) -> str:
        """Enough to tell secrets apart, never enough to guess one: the
        generated secrets' fixed "whsec_" prefix and the last 2 characters."""
        if not self.secret:
            return ""
        prefix = "whsec_" if self.secret.startswith("whsec_") else ""
        return f"{prefix}…{self.secret[-2:]}"

    @property
    def is_disabled(self) -> bool:
        return self.status == self.Status.DISABLED

    @property
    def event_types_display(self) -> str:
        return ", ".join(self.event_types)

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one subscription: the exact body sent (the same bytes on
    every attempt, so receivers can deduplicate by the event id), its state
    and when it is next due. Unique per (subscription, event): a relay that
    runs twice never queues an event twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # waiting for its (next) attempt at next_attempt_at
        SENDING = "sending", _("sending")  # claimed by a worker until next_attempt_at (a lease)
        SUCCEEDED = "succeeded", _("succeeded")  # the receiver answered 2xx
        FAILED = "failed", _("failed")  # gave up after the retry period; can be replayed

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=60, db_index=True)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Retries stop after this time (the retry period from creation or replay).
    give_up_at = models.DateTimeField(_("give up at"))
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_duration_ms = models.PositiveIntegerField(_("last response time (ms)"), null=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="core_webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.subscription_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the answer's status code (none when the
    receiver could not be reached), how long it took, and what went wrong."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"), default=0)
    success = models.BooleanField(_("success"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="core_webhook_attempt_no")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.status_code or '-'}"
