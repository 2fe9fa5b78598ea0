"""The transactional outbox (erp.core.outbox): one event per committed change,
none for a rolled-back one, published once, failures retried by the sweeper."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from erp.core.models import OutboxEvent
from erp.core.outbox import (
    outbox_emit,
    outbox_relay,
    register_outbox_handler,
    unregister_outbox_handler,
)
from orders.services import order_cancel, order_confirm, order_payment_record, order_refund
from tests.orders.conftest import place, stock, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def received():
    """A handler that records the event ids it is given."""
    seen = []

    def handler(event):
        seen.append((event.event_id, event.type))

    register_outbox_handler(handler)
    yield seen
    unregister_outbox_handler(handler)


def _types(**filters):
    return list(OutboxEvent.objects.filter(**filters).values_list("type", flat=True))


def test_one_event_per_committed_change_none_for_rolled_back(place, stock):  # noqa: F811
    stock("sh", "tea", 10)
    with pytest.raises(Boom), transaction.atomic():
        place(("tea", 1), ref="R-1")
        raise Boom
    assert _types() == []

    order = place(("tea", 2), ref="R-2")
    assert _types() == ["order.created"]

    with pytest.raises(Boom), transaction.atomic():
        order_confirm(order=order)
        raise Boom
    assert _types() == ["order.created"]

    order_confirm(order=order)
    with pytest.raises(Boom), transaction.atomic():
        order_cancel(order=order, reason="changed mind")
        raise Boom
    order_cancel(order=order, reason="changed mind")
    assert _types() == ["order.created", "order.confirmed", "order.cancelled"]

    created, confirmed, cancelled = OutboxEvent.objects.order_by("id")
    assert created.aggregate_type == "orders.order"
    assert created.aggregate_id == str(order.pk)
    assert created.payload["number"] == order.number
    assert confirmed.payload == {
        "order_id": order.pk,
        "number": order.number,
        "from_status": "pending",
        "status": "confirmed",
    }
    assert cancelled.payload["status"] == "cancelled"
    assert len({e.event_id for e in (created, confirmed, cancelled)}) == 3
    assert all(e.published_at is None and e.attempts == 0 for e in (created, confirmed, cancelled))


def test_refund_event_only_when_committed(place, stock):  # noqa: F811
    stock("sh", "tea", 5)
    order = place(("tea", 1))
    order_payment_record(order=order, amount=order.total, method="card")
    with pytest.raises(Boom), transaction.atomic():
        order_refund(order=order, amount=Decimal("10"), reason="scratch")
        raise Boom
    assert _types(type="refund.created") == []
    refund = order_refund(order=order, amount=Decimal("10"), reason="scratch")
    (event,) = OutboxEvent.objects.filter(type="refund.created")
    assert event.payload["refund_id"] == refund.pk
    assert event.payload["amount"] == "10.00"


def test_relay_is_scheduled_after_commit_only(django_capture_on_commit_callbacks):
    with mock.patch("erp.core.tasks.outbox_relay_task.delay") as delay:
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(Boom),
            transaction.atomic(),
        ):
            outbox_emit(type="test.rolled_back", aggregate=("test", 1), payload={})
            raise Boom
        delay.assert_not_called()
        with django_capture_on_commit_callbacks(execute=True):
            outbox_emit(type="test.kept", aggregate=("test", 2), payload={})
        delay.assert_called_once_with()
    assert _types() == ["test.kept"]


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        outbox_emit(type="test.loose", aggregate=("test", 1), payload={})
    assert not OutboxEvent.objects.exists()


def test_relay_publishes_once_even_when_run_twice(received):
    for i in range(3):
        outbox_emit(type="test.thing", aggregate=("test", i), payload={"i": i})
    assert outbox_relay(batch=2) == 3
    assert outbox_relay() == 0
    assert len(received) == 3
    assert len({event_id for event_id, _type in received}) == 3
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}


def test_failing_handler_is_retried_by_the_sweeper_with_attempts():
    calls = []

    def flaky(event):
        calls.append(event.event_id)
        if len(calls) <= 3:
            raise ConnectionError(f"receiver down ({len(calls)})")

    register_outbox_handler(flaky)
    try:
        event = outbox_emit(type="test.flaky", aggregate=("test", 1), payload={})
        assert outbox_relay() == 0
        event.refresh_from_db()
        assert (event.published_at, event.attempts) == (None, 1)
        assert event.last_error == "ConnectionError: receiver down (1)"

        # The periodic sweeper, as beat or cron (run_due_jobs) runs it.
        call_command("run_due_jobs", only=["relay-outbox"])
        call_command("run_due_jobs", only=["relay-outbox"])
        event.refresh_from_db()
        assert (event.published_at, event.attempts) == (None, 3)
        call_command("run_due_jobs", only=["relay-outbox"])
        event.refresh_from_db()
        assert event.published_at is not None
        assert (event.attempts, event.last_error) == (4, "")
        call_command("run_due_jobs", only=["relay-outbox"])
    finally:
        unregister_outbox_handler(flaky)
    assert calls == [event.event_id] * 4  # delivered (succeeded) once


def test_one_failing_event_does_not_block_the_others(received):
    def picky(event):
        if event.payload.get("bad"):
            raise ValueError("bad payload")

    register_outbox_handler(picky)
    try:
        bad = outbox_emit(type="test.x", aggregate=("test", 1), payload={"bad": True})
        outbox_emit(type="test.x", aggregate=("test", 2), payload={})
        assert outbox_relay() == 1
    finally:
        unregister_outbox_handler(picky)
    bad.refresh_from_db()
    assert bad.published_at is None and bad.attempts == 1


def test_sweeper_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["relay-outbox"]
    assert entry["task"] == "core.outbox_relay"


def test_failing_events_do_not_starve_later_ones(received):
    def picky(event):
        if event.payload.get("bad"):
            raise ValueError("bad payload")

    register_outbox_handler(picky)
    try:
        for i in range(4):
            outbox_emit(type="test.x", aggregate=("test", i), payload={"bad": True})
        good = outbox_emit(type="test.x", aggregate=("test", 9), payload={})
        assert outbox_relay(batch=2) == 1
    finally:
        unregister_outbox_handler(picky)
    good.refresh_from_db()
    assert good.published_at is not None
    # each failing row was tried once in this run, not once per batch
    assert set(
        OutboxEvent.objects.filter(published_at=None).values_list("attempts", flat=True)
    ) == {1}
