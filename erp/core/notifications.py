"""Notifications to people (customers and staff) through pluggable backends.

`notification_send` writes one Notification row per cause (its `key`) and
hands it to the backend of its channel after the transaction commits, so a
rolled-back change sends nothing and a repeated signal or retried task sends
nothing twice. Backends are named in settings.NOTIFICATION_BACKENDS
(channel -> dotted path); by default e-mail goes through Django's mail
(console in development) and SMS to the log.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from erp.core.models import Notification

log = logging.getLogger("erp.notifications")


class EmailBackend:
    """E-mail through Django's configured mail backend."""

    def send(self, notification: Notification) -> None:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )


class LogSmsBackend:
    """SMS written to the log: stands in until an SMS gateway is configured."""

    def send(self, notification: Notification) -> None:
        log.info("SMS to %s: %s", notification.recipient, notification.body)


def backend_for(channel: str):
    return import_string(settings.NOTIFICATION_BACKENDS[channel])()


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
    server holds nothing up), and the outcome is written after."""
    Status = Notification.Status
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=(Status.PENDING, Status.FAILED)
    ).update(status=Status.SENDING)
    notification = Notification.objects.get(pk=notification_id)
    if not claimed:
        return notification
    try:
        backend_for(notification.channel).send(notification)
    except OSError as exc:  # the mail server or gateway did not answer: a retry may send it
        notification.status, notification.error = Status.FAILED, str(exc)[:255]
        log.warning("notification %s failed: %s", notification.pk, exc)
    else:
        notification.status, notification.error = Status.SENT, ""
        notification.sent_at = timezone.now()
    notification.save(update_fields=["status", "error", "sent_at"])
    return notification
