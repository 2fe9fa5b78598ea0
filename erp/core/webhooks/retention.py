"""How long the webhook delivery log is kept (the beat job purge-webhook-log)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from erp.core.models import WebhookAttempt, WebhookDelivery

Status = WebhookDelivery.Status


def webhook_log_purge(
    *, days: int | None = None, now: datetime.datetime | None = None, batch: int = 1000
) -> int:
    """Delete, with their attempts and in batches, the finished deliveries
    (succeeded, or failed and not replayed) whose last attempt is more than
    `days` (WEBHOOK_LOG_RETENTION_DAYS) old. Pending and sending deliveries -
    a replayed one included - are never deleted. Returns how many deliveries
    were deleted.

    Safe to run twice and from several workers: each batch is locked with
    SKIP LOCKED and its status re-checked under the lock, so a delivery
    being replayed at that moment is left alone."""
    days = settings.WEBHOOK_LOG_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    recent = WebhookAttempt.objects.filter(delivery=OuterRef("pk"), started_at__gte=cutoff)
    finished = WebhookDelivery.objects.filter(
        status__in=(Status.SUCCEEDED, Status.FAILED), created_at__lt=cutoff
    ).exclude(Exists(recent))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                finished.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return deleted
            WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
            deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
