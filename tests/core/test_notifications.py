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


def test_console_backend_logs_no_body_unless_debug(settings, caplog):
    import logging

    from erp.core.notifications import ConsoleBackend

    caplog.set_level(logging.INFO, logger="erp.notifications")
    row = Notification(
        key="portal-signin:x",
        channel="sms",
        recipient="13800005678",
        subject="Your sign-in code",
        body="Code 123456 https://secret.example/t/abc",
    )
    settings.DEBUG = False
    ConsoleBackend().send(row)
    logged = caplog.text
    assert "Your sign-in code" in logged and "sms" in logged and "***5678" in logged
    assert "123456" not in logged and "secret.example" not in logged
    assert "13800005678" not in logged
    caplog.clear()
    settings.DEBUG = True
    ConsoleBackend().send(row)
    assert "123456" in caplog.text and "13800005678" in caplog.text


def test_redacted_prefix_body_blanked_after_delivery_and_after_giving_up(settings, monkeypatch):
    settings.NOTIFICATION_REDACT_KEY_PREFIXES = ("portal-signin:",)
    kept = notification_send(
        key="order:1", channel="email", recipient="a@e.com", subject="s", body="b"
    )
    secret = notification_send(
        key="portal-signin:c:1", channel="email", recipient="a@e.com", subject="s", body="123456"
    )
    notification_deliver(notification_id=kept.pk)
    notification_deliver(notification_id=secret.pk)
    kept.refresh_from_db()
    secret.refresh_from_db()
    assert kept.body == "b" and secret.body == "[redacted]"
    assert "123456" in mail.outbox[-1].body  # the message itself had the code

    from celery.exceptions import Retry

    from erp.core import notifications
    from erp.core.tasks import deliver_notification

    failing = notification_send(
        key="portal-signin:c:2", channel="email", recipient="a@e.com", subject="s", body="654321"
    )

    def down(self, notification):
        raise OSError("smtp down")

    monkeypatch.setattr(notifications.EmailBackend, "send", down)
    monkeypatch.setattr(deliver_notification, "retry", lambda **kw: Retry("again"))
    deliver_notification.push_request(retries=0)
    try:
        with pytest.raises(Retry):
            deliver_notification.run(failing.pk)
        failing.refresh_from_db()
        assert failing.body == "654321"  # still to be retried
    finally:
        deliver_notification.pop_request()
    deliver_notification.push_request(retries=deliver_notification.max_retries)
    try:
        with pytest.raises(Retry):
            deliver_notification.run(failing.pk)
    finally:
        deliver_notification.pop_request()
    failing.refresh_from_db()
    assert failing.status == Notification.Status.FAILED and failing.body == "[redacted]"


def test_sweep_delivers_old_pending_once(settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from erp.core.tasks import sweep_notifications

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-notifications"]
    assert entry["task"] == "core.sweep_notifications"
    old = notification_send(
        key="k:old", channel="email", recipient="o@e.com", subject="s", body="b"
    )
    new = notification_send(
        key="k:new", channel="email", recipient="n@e.com", subject="s", body="b"
    )
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    assert sweep_notifications() == 1
    assert sweep_notifications() == 0
    call_command("run_due_jobs", "--only", "sweep-notifications")
    assert [m.to for m in mail.outbox] == [["o@e.com"]]
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == Notification.Status.SENT
    assert new.status == Notification.Status.PENDING
