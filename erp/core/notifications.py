"""Notifications to people (customers and staff) through pluggable backends.

`notification_send` writes one Notification row per cause (its `key`) and
hands it to the backend of its channel after the transaction commits, so a
rolled-back change sends nothing and a repeated signal or retried task sends
nothing twice. Backends are named in settings.NOTIFICATION_BACKENDS
(channel -> dotted path):

- `EmailBackend`: Django's mail (the console in development, `EMAIL_URL`).
- `HttpProviderBackend`: SMS and app push through an HTTP provider - one JSON
  POST per message to the channel's URL in settings.NOTIFICATION_HTTP, with
  its token; any failure raises, so the delivery task retries.
- `ConsoleBackend`: the message written to the console log (development, and
  SMS or push while no provider is configured).

A backend is a class with `send(notification)` that returns when the
provider took the message and raises when it did not.
"""

import datetime
import http.client
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from erp.core.models import Notification

log = logging.getLogger("erp.notifications")


class NotificationNotDelivered(OSError):
    """The backend could not hand the message over; a retry may."""


class EmailBackend:
    """E-mail through Django's configured mail backend."""

    def send(self, notification: Notification) -> None:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )


def recipient_masked(recipient: str) -> str:
    """An address with most of it hidden, for logs: "a***@example.com",
    "***5678"."""
    name, at, domain = recipient.partition("@")
    if at:
        return f"{name[:1]}***@{domain}"
    return f"***{recipient[-4:]}" if len(recipient) > 4 else "***"


class ConsoleBackend:
    """The message written to the console log (logger "erp.notifications",
    INFO): development, and SMS or push until a provider is set. Nothing
    leaves the machine. Only with settings.DEBUG is the whole message logged;
    otherwise the channel, the masked recipient and the subject - never the
    body, which may carry a sign-in code or a secret link."""

    def send(self, notification: Notification) -> None:
        if not settings.DEBUG:
            log.info(
                "%s to %s: %s",
                notification.channel,
                recipient_masked(notification.recipient),
                notification.subject,
            )
            return
        log.info(
            "%s to %s (%s)\n%s\n%s",
            notification.channel,
            notification.recipient,
            notification.key,
            notification.subject,
            notification.body,
        )


# The name earlier settings used for the SMS stand-in.
LogSmsBackend = ConsoleBackend


class HttpProviderBackend:
    """SMS or app push through an HTTP provider.

    One POST per message to the URL configured for the notification's channel
    (settings.NOTIFICATION_HTTP[channel]: url, token, header, timeout) with
    the JSON body

        {"id": key, "channel": "sms", "to": recipient, "subject": ..., "body": ...}

    and the headers `Authorization: Bearer <token>` (or the configured header
    with the bare token) and `Idempotency-Key: <key>`, so a provider can drop a
    retried message it already took. A 2xx answer means taken; anything else -
    an error status, a timeout, a refused connection - raises
    NotificationNotDelivered and the delivery task retries. Nothing of the
    answer is kept but its status."""

    def __init__(self, config: dict | None = None):
        self.config = config

    def _config(self, channel: str) -> dict:
        config = self.config or settings.NOTIFICATION_HTTP.get(channel) or {}
        if not config.get("url"):
            raise NotificationNotDelivered(f"no provider URL configured for {channel}")
        if not config["url"].startswith(("https://", "http://")):
            raise NotificationNotDelivered(f"the {channel} provider URL is not http(s)")
        return config

    def payload(self, notification: Notification) -> dict:
        return {
            "id": notification.key,
            "channel": notification.channel,
            "to": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
        }

    def send(self, notification: Notification) -> None:
        config = self._config(notification.channel)
        header = config.get("header") or "Authorization"
        token = config.get("token") or ""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": notification.key,
            "User-Agent": "erp-notifications/1",
        }
        if token:
            headers[header] = f"Bearer {token}" if header.lower() == "authorization" else token
        request = urllib.request.Request(  # noqa: S310  (http(s) only: checked in _config)
            config["url"],
            data=json.dumps(self.payload(notification), ensure_ascii=False).encode(),
            headers=headers,
            method="POST",
        )
        timeout = float(config.get("timeout") or 10)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status = answer.status
                answer.read(65536)  # drain a little so the connection closes cleanly
        except urllib.error.HTTPError as exc:  # a 4xx or 5xx answer
            raise NotificationNotDelivered(f"provider answered {exc.code}") from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise NotificationNotDelivered(f"provider unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise NotificationNotDelivered(f"provider answered {status}")


def backend_for(channel: str):
    return import_string(settings.NOTIFICATION_BACKENDS[channel])()


REDACTED = "[redacted]"


def notification_redact(notification: Notification) -> None:
    """Blank the body of a notification whose key starts with one of
    settings.NOTIFICATION_REDACT_KEY_PREFIXES (one-time sign-in codes), once
    it was delivered or failed for good: the secret is not kept readable."""
    prefixes = tuple(getattr(settings, "NOTIFICATION_REDACT_KEY_PREFIXES", ()))
    if prefixes and notification.key.startswith(prefixes):
        Notification.objects.filter(pk=notification.pk).update(body=REDACTED)


def notification_send(
    *, key: str, channel: str, recipient: str, subject: str, body: str, user=None
) -> Notification:
    """Queue one notification for its cause `key`; returns the existing row
    when that cause was notified already. Delivery happens after commit."""
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:150],
                channel=channel,
                recipient=recipient or "",
                user=user,
                subject=subject[:200],
                body=body,
                status=Notification.Status.PENDING if recipient else Notification.Status.SKIPPED,
            )
    except IntegrityError:  # a concurrent sender wrote the same cause first
        return Notification.objects.get(key=key)
    if notification.status == Notification.Status.PENDING:
        from erp.core.tasks import deliver_notification

        transaction.on_commit(
            lambda: deliver_notification.delay(notification.pk),
            robust=True,  # a broker hiccup must not fail the change that caused it
        )
    return notification


def notification_deliver(*, notification_id: int) -> Notification:
    """Hand a pending (or failed) notification to its backend once.

    One conditional update claims it, so two workers never both send it;
    the backend is called outside any transaction or row lock (a slow mail
    server holds nothing up), and the outcome is written after. Whatever the
    backend raises leaves the row failed with the reason (never stuck in
    `sending`), for the task to retry."""
    Status = Notification.Status
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=(Status.PENDING, Status.FAILED)
    ).update(status=Status.SENDING)
    notification = Notification.objects.get(pk=notification_id)
    if not claimed:
        return notification
    try:
        backend_for(notification.channel).send(notification)
    except OSError as exc:  # the mail server or provider did not take it: a retry may
        notification.status, notification.error = Status.FAILED, str(exc)[:255]
        log.warning("notification %s failed: %s", notification.pk, exc)
    except Exception as exc:  # a broken backend: recorded, retried, and loud in the log
        notification.status, notification.error = Status.FAILED, repr(exc)[:255]
        log.exception("notification %s failed", notification.pk)
    else:
        notification.status, notification.error = Status.SENT, ""
        notification.sent_at = timezone.now()
    notification.save(update_fields=["status", "error", "sent_at"])
    if notification.status == Status.SENT:
        notification_redact(notification)
    return notification


def notifications_sweep(*, older_than_seconds: int = 300) -> int:
    """Queue again the notifications still pending after `older_than_seconds`
    (the broker was down when their change committed); returns how many.
    Safe to run twice: delivery claims a row before sending, so a row queued
    twice is sent once."""
    from erp.core.tasks import deliver_notification

    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for queued, pk in enumerate(ids):
        try:
            deliver_notification.delay(pk)
        except Exception:  # the broker is still down: the next sweep tries again
            log.warning("notification %s could not be queued", pk, exc_info=True)
            return queued
    return len(ids)
