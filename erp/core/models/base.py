"""Shared kernel models: the base model, audit events, idempotency keys,
integration clients and notifications. Nothing here imports a domain app."""

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for every domain model: when a row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """A security-relevant event: logins, logouts, failures, lockouts and
    refused access. Model changes are kept by django-simple-history instead."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("login")  # a staff user signed in
        LOGOUT = "logout", _("logout")  # a staff user signed out
        LOGIN_FAILED = "login_failed", _("login failed")  # wrong credentials
        LOCKED_OUT = "locked_out", _("locked out")  # too many failures, refused
        DENIED = "denied", _("access denied")  # authenticated but not allowed (403)
        UNAUTHENTICATED = (
            "unauthenticated",
            _("not authenticated"),
        )  # API call without valid credentials (401)
        TOKEN_ISSUED = "token_issued", _("token issued")  # an integration got an access token
        EXPORT = "export", _("export")  # a staff user downloaded a list as a file
        # a webhook subscription was turned off after persistent failure (erp.core.webhooks)
        WEBHOOK_DISABLED = "webhook_disabled", _("webhook disabled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    client_id = models.CharField(_("integration client"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{localtime(self.created_at):%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` of one client and the first response given to it.

    The unique constraint is what makes a concurrent retry see the key as in
    flight instead of running the request a second time.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")  # the first request is still running
        COMPLETED = "completed", _("completed")  # the response below is replayed

    scope = models.CharField(max_length=150)  # "client:<id>" or "user:<pk>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_FLIGHT)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="idempotency_key_unique_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.state})"


class IntegrationClient(models.Model):
    """The scopes an OAuth2 application (an integrator) may be granted."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="integration",
        verbose_name=_("application"),
    )
    scopes = models.CharField(_("scopes"), max_length=500, help_text=_("Space-separated."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name"]
        verbose_name = _("integration client")
        verbose_name_plural = _("integration clients")

    def __str__(self) -> str:
        return self.application.name

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class Notification(models.Model):
    """One message to a person through a notification backend (e-mail, SMS,
    app push). `key` names its cause (e.g. "ticket:42:created:customer"), so
    the same notification is sent at most once, however often a signal
    fires or a task is retried."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        PUSH = "push", _("app push")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # written, not yet handed to the backend
        SENDING = "sending", _("sending")  # claimed by one worker, being handed over
        SENT = "sent", _("sent")  # the backend took it
        SKIPPED = "skipped", _("skipped")  # no address for this channel
        FAILED = "failed", _("failed")  # the backend refused it; a retry may send it

    key = models.CharField(max_length=150, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.subject}"
