"""The beat job purge-webhook-log: finished deliveries past
WEBHOOK_LOG_RETENTION_DAYS go with their attempts; waiting ones stay."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from erp.core.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from erp.core.webhooks import webhook_replay
from erp.core.webhooks.retention import webhook_log_purge

NOW = timezone.now()


@pytest.fixture
def subscription(db):
    return WebhookSubscription.objects.create(
        name="wms", url="https://example.com/hook", event_types=["*"], secret="whsec_test"
    )


def delivery(subscription, status, days_ago, attempts_days_ago=()):
    """A delivery created `days_ago`, with an attempt at each of `attempts_days_ago`."""
    made = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type="order.created",
        body="{}",
        status=status,
        give_up_at=NOW - timedelta(days=days_ago) + timedelta(hours=24),
        attempts=len(attempts_days_ago),
    )
    WebhookDelivery.objects.filter(pk=made.pk).update(created_at=NOW - timedelta(days=days_ago))
    for number, ago in enumerate(attempts_days_ago, start=1):
        WebhookAttempt.objects.create(
            delivery=made,
            number=number,
            started_at=NOW - timedelta(days=ago),
            status_code=200 if status == "succeeded" else 500,
            success=status == "succeeded",
        )
    return made


def test_finished_deliveries_past_retention_go_with_their_attempts(subscription, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    old_ok = delivery(subscription, "succeeded", 40, [40])
    old_failed = delivery(subscription, "failed", 45, [45, 44, 44])
    replayed = delivery(subscription, "failed", 50, [50])
    webhook_replay(delivery=replayed)  # pending again: kept whatever its age
    pending = delivery(subscription, "pending", 60, [60])
    sending = delivery(subscription, "sending", 60, [60])
    recent = delivery(subscription, "succeeded", 3, [3])
    # Created long ago, replayed and failed again last week: its log is recent.
    failed_again = delivery(subscription, "failed", 90, [90, 5])
    call_command("run_due_jobs", only=["purge-webhook-log"])
    call_command("run_due_jobs", only=["purge-webhook-log"])  # safe to run twice
    kept = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert kept == {replayed.pk, pending.pk, sending.pk, recent.pk, failed_again.pk}
    assert not WebhookAttempt.objects.filter(delivery_id__in=[old_ok.pk, old_failed.pk]).exists()
    assert WebhookAttempt.objects.filter(delivery=failed_again).count() == 2


def test_purges_in_batches(subscription):
    for _ in range(7):
        delivery(subscription, "succeeded", 40, [40, 40])
    assert webhook_log_purge(days=30, batch=3) == 7
    assert webhook_log_purge(days=30, batch=3) == 0
    assert not WebhookAttempt.objects.exists()
