"""Notifications: one per cause, delivered once, retried after a failure,
never half-sent by two workers."""

import pytest
from django.core import mail

from erp.core.models import Notification
from erp.core.notifications import notification_deliver, notification_send

pytestmark = pytest.mark.django_db


def test_one_notification_per_cause(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_send(
            key="ticket:1:created",
            channel="email",
            recipient="a@example.com",
            subject="收到",
            body="您好",
        )
        again = notification_send(
            key="ticket:1:created",
            channel="email",
            recipient="a@example.com",
            subject="收到",
            body="您好",
        )
    assert first.pk == again.pk and len(mail.outbox) == 1
    first.refresh_from_db()
    assert first.status == Notification.Status.SENT and first.sent_at is not None
    # A second worker (or a retried task) finds nothing to send.
    notification_deliver(notification_id=first.pk)
    assert len(mail.outbox) == 1


def test_no_address_is_skipped_and_a_failure_is_retried(settings, monkeypatch):
    skipped = notification_send(key="k:1", channel="sms", recipient="", subject="s", body="b")
    assert skipped.status == Notification.Status.SKIPPED

    notification = notification_send(
        key="k:2", channel="email", recipient="b@example.com", subject="s", body="b"
    )
    from erp.core import notifications

    def down(self, notification):
        raise OSError("smtp down")

    monkeypatch.setattr(notifications.EmailBackend, "send", down)
    failed = notification_deliver(notification_id=notification.pk)
    assert failed.status == Notification.Status.FAILED and "smtp down" in failed.error
    monkeypatch.undo()
    sent = notification_deliver(notification_id=notification.pk)
    assert sent.status == Notification.Status.SENT and len(mail.outbox) == 1
