"""Periodic housekeeping of the kernel. Each is safe to run twice."""

from celery import shared_task
from django.core.management import call_command

from erp.core.idempotency import idempotency_keys_purge


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task(name="core.clear_expired_sessions")
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task(name="core.deliver_notification", bind=True, max_retries=5, default_retry_delay=60)
def deliver_notification(self, notification_id: int) -> str:
    """Hand one notification to its backend; safe to run twice (claimed under a lock).

    A failed delivery is retried after 1, 2, 4, 8 and 16 minutes (a provider
    outage of half an hour is ridden out); after that the row stays failed,
    with the reason, for staff to see."""
    from erp.core.models import Notification
    from erp.core.notifications import notification_deliver, notification_redact

    notification = notification_deliver(notification_id=notification_id)
    if notification.status == Notification.Status.FAILED:
        if self.request.retries >= self.max_retries:  # failed for good
            notification_redact(notification)
        raise self.retry(countdown=self.default_retry_delay * 2**self.request.retries)
    return notification.status


@shared_task(name="core.sweep_notifications")
def sweep_notifications() -> int:
    """Queue again notifications left pending for more than 5 minutes (the
    broker was down when their change committed)."""
    from erp.core.notifications import notifications_sweep

    return notifications_sweep(older_than_seconds=5 * 60)


@shared_task(name="core.outbox_relay")
def outbox_relay_task(batch: int = 100) -> int:
    """Publish committed outbox events: queued on commit by outbox_emit and
    run every minute by beat as the sweeper (events whose relay was lost, or
    whose handler failed)."""
    from erp.core.outbox import outbox_relay

    return outbox_relay(batch=batch)


@shared_task(name="core.transfer_run")
def transfer_run_task(job_id: int) -> str | None:
    """Run one bulk import or export job (erp.core.transfers); a job already
    claimed by another delivery of this task is left alone."""
    from erp.core.transfers import transfer_run

    return transfer_run(job_id=job_id)


@shared_task(name="core.transfer_sweep")
def transfer_sweep_task() -> dict[str, int]:
    """Fail the jobs whose worker died (no progress for TRANSFER_STALE_MINUTES)
    and delete the files of jobs older than TRANSFER_RETENTION_DAYS."""
    from erp.core.transfers import transfer_sweep

    return transfer_sweep()


@shared_task(name="core.webhook_deliver")
def webhook_deliver_task(delivery_id: int, at: str | None = None) -> str | None:
    """Send one webhook delivery if it is due (erp.core.webhooks): queued
    after the relay's commit, by replays and by the sweeper. A failure is
    rescheduled by the service (backoff with jitter), not by Celery retries.
    `at` (ISO time) is the sweeper's clock when it was given one."""
    from django.utils.dateparse import parse_datetime

    from erp.core.webhooks import webhook_deliver

    delivery = webhook_deliver(delivery_id=delivery_id, now=parse_datetime(at) if at else None)
    return delivery.status if delivery is not None else None


@shared_task(name="core.webhook_sweep")
def webhook_sweep_task() -> int:
    """Queue the webhook deliveries that are due (retries, lost tasks)."""
    from erp.core.webhooks import webhook_sweep

    return webhook_sweep()


@shared_task(name="core.outbox_purge")
def outbox_purge_task() -> int:
    """Delete published outbox events older than OUTBOX_RETENTION_DAYS."""
    from erp.core.outbox import outbox_purge

    return outbox_purge()


@shared_task(name="core.webhook_purge")
def webhook_purge_task() -> int:
    """Delete finished webhook deliveries (and their attempts) older than
    WEBHOOK_LOG_RETENTION_DAYS."""
    from erp.core.webhooks.retention import webhook_log_purge

    return webhook_log_purge()
