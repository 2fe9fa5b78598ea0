"""The events added for webhooks - return.received, alert.raised, stock.low -
are each written once with the change, and not at all when it rolls back;
and the outbox's own housekeeping: backoff for failing handlers, purge."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from aftersales.services.returns import (
    return_approve,
    return_label_issue,
    return_receive,
    return_request_create,
)
from analytics.models import Alert
from analytics.services.alerts import alert_raise
from analytics.services.scans import low_stock_scan
from erp.core.models import OutboxEvent
from erp.core.outbox import (
    outbox_emit,
    outbox_purge,
    outbox_relay,
    register_outbox_handler,
    unregister_outbox_handler,
)
from inventory.models import StockLevel
from tests.aftersales.conftest import delivered, frozen_clock  # noqa: F401  (fixtures)
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db


def events(type):
    return list(OutboxEvent.objects.filter(type=type).order_by("id"))


def _rma(order):
    lines = {line.sku: line for line in order.lines.all()}
    return return_request_create(
        order=order,
        kind="return",
        reason="不想要了",
        lines=[{"order_line": lines["TEA-1"], "quantity": 2}],
    )


def test_return_received_once_and_not_on_rollback(delivered, world, carrier):  # noqa: F811
    rma = _rma(delivered)
    return_approve(rma=rma)
    return_label_issue(rma=rma, carrier=carrier, tracking_number="SF-R-1")

    with pytest.raises(RuntimeError), transaction.atomic():
        return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
        raise RuntimeError("the receipt is undone")
    assert events("return.received") == []

    rma = return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
    [event] = events("return.received")
    assert (event.aggregate_type, event.aggregate_id) == ("aftersales.returnrequest", str(rma.pk))
    assert event.payload == {
        "return_id": rma.pk,
        "number": rma.number,
        "order_id": delivered.pk,
        "order_number": delivered.number,
        "status": "received",
        "warehouse": world["sh"].code,
        "receive_into": "stock",
        "units": 2,
        "lines": [{"sku": "TEA-1", "quantity": 2}],
    }


def _raise(**overrides):
    fields = {
        "kind": Alert.Kind.T3_DELIVERY,
        "subject_key": "order:1",
        "cause_key": "order:1:t3:2026-11-30",
        "subject_label": "SO-1",
        "message": "not shipped",
    }
    return alert_raise(**{**fields, **overrides})


def test_alert_raised_once_not_on_refresh_nor_rollback():
    with pytest.raises(RuntimeError), transaction.atomic():
        _raise()
        raise RuntimeError("rolled back")
    assert events("alert.raised") == []

    alert, created = _raise()
    assert created
    _raise(message="still not shipped")  # the same open alert, refreshed
    [event] = events("alert.raised")
    assert event.payload == {
        "alert_id": alert.pk,
        "number": alert.number,
        "kind": "t3_delivery",
        "severity": "warning",
        "subject_key": "order:1",
        "owner_role": "",
    }
    assert events("stock.low") == []  # not a low-stock alert


def test_stock_low_once_per_crossing(world, stock):  # noqa: F811
    stock("sh", "tea", 3)
    product = world["tea"]
    product.reorder_point = 5
    product.save(update_fields=["reorder_point"])
    level = StockLevel.objects.get(product=product, warehouse=world["sh"])

    low_stock_scan()
    low_stock_scan()  # still low: the same alert, no second event
    [event] = events("stock.low")
    assert (event.aggregate_type, event.aggregate_id) == ("inventory.stocklevel", str(level.pk))
    assert event.payload["sku"] == product.sku
    assert (event.payload["available"], event.payload["reorder_point"]) == (3, 5)
    assert event.payload["warehouse"] == world["sh"].code
    assert [e.payload["kind"] for e in events("alert.raised")] == ["low_stock"]


def test_failing_handler_backs_off_after_the_free_retries():
    calls = []

    def failing(event):
        calls.append(event.pk)
        raise ConnectionError("down")

    register_outbox_handler(failing)
    try:
        with transaction.atomic():
            event = outbox_emit(type="test.x", aggregate=("test", 1), payload={})
        now = timezone.now()
        for _ in range(3):  # the free retries: each sweep tries again
            outbox_relay(now=now)
        event.refresh_from_db()
        assert event.attempts == 3 and event.next_attempt_at == now
        outbox_relay(now=now)
        event.refresh_from_db()
        assert event.attempts == 4
        assert event.next_attempt_at == now + timedelta(minutes=1)
        outbox_relay(now=now + timedelta(seconds=30))  # not yet
        assert len(calls) == 4
        outbox_relay(now=now + timedelta(minutes=1))
        event.refresh_from_db()
        assert event.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)
    finally:
        unregister_outbox_handler(failing)


def test_purge_deletes_old_published_events_only():
    with transaction.atomic():
        old = outbox_emit(type="test.x", aggregate=("test", 1), payload={})
        recent = outbox_emit(type="test.x", aggregate=("test", 2), payload={})
        unpublished = outbox_emit(type="test.x", aggregate=("test", 3), payload={})
    now = timezone.now()
    OutboxEvent.objects.filter(pk=old.pk).update(published_at=now - timedelta(days=31))
    OutboxEvent.objects.filter(pk=recent.pk).update(published_at=now - timedelta(days=29))
    OutboxEvent.objects.filter(pk=unpublished.pk).update(occurred_at=now - timedelta(days=90))
    assert outbox_purge(now=now) == 1
    assert outbox_purge(now=now) == 0
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, unpublished.pk}
