"""Celery: the queues and reliability settings, and a real worker taking a
periodic job from the Redis broker."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from erp.celery import app
from erp.core.models import IdempotencyKey
from erp.core.tasks import purge_idempotency_keys


def test_queues_and_reliability():
    assert {q.name for q in app.conf.task_queues} == {"default", "alerts", "reports", "webhooks"}
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_job_from_the_broker():
    from celery.contrib.testing.worker import start_worker

    IdempotencyKey.objects.create(
        scope="s", key="old", fingerprint="f", expires_at=timezone.now() - timedelta(hours=1)
    )
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            purge_idempotency_keys.delay()
            deadline = time.monotonic() + 20
            while IdempotencyKey.objects.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert not IdempotencyKey.objects.exists()
