"""Sweepers and delivery tasks running at once send each webhook delivery
once (PostgreSQL: SKIP LOCKED shares the due rows out, a conditional UPDATE
claims each), with a negative control: without the claim it is sent twice."""

import threading
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from erp.core.models import WebhookAttempt, WebhookDelivery
from erp.core.webhooks import services, webhook_deliver, webhook_subscription_create, webhook_sweep
from tests.concurrency.test_stock_race import run_concurrently
from tests.core.test_webhooks import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 6


@pytest.fixture
def slow_receiver():
    """A receiver that takes 200 ms to answer, so concurrent senders overlap."""
    server = Receiver()
    original = server.RequestHandlerClass.do_POST

    def slow(handler):
        time.sleep(0.2)
        original(handler)

    server.RequestHandlerClass = type("Slow", (server.RequestHandlerClass,), {"do_POST": slow})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _due(receiver, n):
    subscription = webhook_subscription_create(name="race", url=receiver.url, event_types=["*"])
    now = timezone.now()
    return [
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type="order.created",
            body="{}",
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=1),
        ).pk
        for _ in range(n)
    ]


def test_workers_given_the_same_delivery_send_it_once(slow_receiver):
    [pk] = _due(slow_receiver, 1)
    _results, errors = run_concurrently(lambda i: webhook_deliver(delivery_id=pk), n=WORKERS)
    assert errors == []
    assert len(slow_receiver.seen) == 1
    assert WebhookAttempt.objects.filter(delivery_id=pk).count() == 1
    assert WebhookDelivery.objects.get(pk=pk).status == "succeeded"


def test_concurrent_sweepers_send_every_due_delivery_once(slow_receiver):
    ids = _due(slow_receiver, 8)
    later = timezone.now() + timedelta(seconds=1)
    # The sweepers deliver in process (tasks are eager here).
    _results, errors = run_concurrently(lambda i: webhook_sweep(now=later), n=4)
    assert errors == []
    event_ids = [headers["x-erp-event-id"] for headers, _b in slow_receiver.seen]
    assert len(event_ids) == len(set(event_ids)) == 8
    assert set(WebhookDelivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "succeeded"
    }


def test_without_the_claim_the_race_happens(slow_receiver):
    """Negative control: with the claim always granted, overlapping workers
    POST the same delivery more than once."""
    [pk] = _due(slow_receiver, 1)
    with mock.patch.object(services, "_claim", lambda delivery_id, now: True):
        run_concurrently(lambda i: webhook_deliver(delivery_id=pk), n=WORKERS)
    assert len(slow_receiver.seen) > 1
