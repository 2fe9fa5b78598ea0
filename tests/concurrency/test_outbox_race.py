"""Several relays at once never publish one outbox event twice (PostgreSQL:
SELECT ... FOR UPDATE SKIP LOCKED)."""

import threading
from unittest import mock

import pytest
from django.db import transaction

from erp.core.models import OutboxEvent
from erp.core.outbox import (
    outbox_emit,
    outbox_relay,
    register_outbox_handler,
    unregister_outbox_handler,
)
from tests.concurrency.test_stock_race import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 120
RELAYS = 6


def test_concurrent_relays_publish_each_event_once():
    # No relay on commit here (tasks may run eagerly): the relays below race.
    with mock.patch("erp.core.outbox._schedule_relay"), transaction.atomic():
        for i in range(EVENTS):
            outbox_emit(type="test.race", aggregate=("test", i), payload={"i": i})
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == EVENTS
    lock = threading.Lock()
    seen = []

    def handler(event):
        with lock:
            seen.append(event.event_id)

    register_outbox_handler(handler)
    try:
        results, errors = run_concurrently(lambda i: outbox_relay(batch=7), n=RELAYS)
    finally:
        unregister_outbox_handler(handler)
    assert errors == []
    assert sum(results) == EVENTS
    assert len(seen) == EVENTS == len(set(seen))
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}
