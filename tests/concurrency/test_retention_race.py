"""Retention sweeps run from several workers at once do each piece of work
once (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, conditional UPDATEs)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from erp.core.models import TransferJob, WebhookAttempt, WebhookDelivery, WebhookSubscription
from erp.core.transfers import transfer_files_purge, transfer_jobs_fail_stale
from erp.core.webhooks.retention import webhook_log_purge
from tests.concurrency.test_stock_race import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOBS = 40
WORKERS = 4


def test_concurrent_transfer_sweeps_fail_and_purge_each_job_once():
    now = timezone.now()
    stale, old = [], []
    for i in range(JOBS):
        stale.append(
            TransferJob.objects.create(
                direction="export", kind="products", format="csv", status="running"
            ).pk
        )
        job = TransferJob.objects.create(
            direction="export", kind="products", format="csv", status="done"
        )
        job.result_file.save(f"race-{i}.csv", ContentFile(b"sku\n"), save=False)
        job.finished_at = now - timedelta(days=40)
        job.save()
        old.append(job)
    TransferJob.objects.filter(pk__in=stale).update(updated_at=now - timedelta(hours=2))

    results, errors = run_concurrently(
        lambda i: (transfer_jobs_fail_stale(), transfer_files_purge(batch=3)), n=WORKERS
    )
    assert errors == []
    assert sum(failed for failed, _purged in results) == JOBS
    assert sum(purged for _failed, purged in results) == JOBS
    assert TransferJob.objects.filter(pk__in=stale, status="failed").count() == JOBS
    assert not TransferJob.objects.filter(pk__in=[j.pk for j in old]).exclude(result_file="")
    assert not any(job.result_file.storage.exists(job.result_file.name) for job in old)


def test_concurrent_webhook_purges_delete_each_delivery_once():
    subscription = WebhookSubscription.objects.create(
        name="race", url="https://example.com/hook", event_types=["*"], secret="whsec_race"
    )
    long_ago = timezone.now() - timedelta(days=40)
    for _ in range(JOBS):
        made = WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type="order.created",
            body="{}",
            status="succeeded",
            give_up_at=long_ago,
        )
        WebhookAttempt.objects.create(delivery=made, number=1, started_at=long_ago, success=True)
    WebhookDelivery.objects.update(created_at=long_ago)

    results, errors = run_concurrently(lambda i: webhook_log_purge(batch=3), n=WORKERS)
    assert errors == []
    assert sum(results) == JOBS
    assert not WebhookDelivery.objects.exists() and not WebhookAttempt.objects.exists()
