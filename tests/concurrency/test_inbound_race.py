"""A channel's "created" and "paid" messages arriving at the same moment
(PostgreSQL, real threads and connections): one order, one payment, no
message left held - and, with the per-order lock taken out, the paid message
is stranded (the negative control)."""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orders.models import InboundMessage, Order, Payment, SalesChannel
from orders.services import inbound
from orders.services.inbound import channel_connector_set
from tests.factories import ProductFactory, SalesChannelFactory
from tests.orders.test_inbound import post_marketplace, trade_created, trade_paid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market():
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="CUP-1")
    channel = SalesChannelFactory(code="TMALL", kind=SalesChannel.Kind.MARKETPLACE)
    channel, _secret = channel_connector_set(channel=channel, connector="marketplace")
    return channel


def _together(*jobs):
    """Run the jobs in threads, released at once; their results in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    errors = []

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def _post(channel, body, wait_for=None):
    def job():
        if wait_for is not None:
            wait_for.wait(5)
        return post_marketplace(APIClient(), channel, body).status_code

    return job


def test_created_and_paid_at_the_same_time_give_one_order_and_one_payment(market):
    for n in range(8):
        tid = f"RACE-{n}"
        codes = _together(
            _post(market, trade_created(tid=tid)),
            _post(market, trade_paid(tid=tid, alipay_no=f"ALI-{n}")),
        )
        assert codes[0] == 201, codes
        assert codes[1] in (201, 202), codes
        order = Order.objects.get(external_ref=tid)
        assert order.payments.count() == 1
        assert order.payment_status == Order.PaymentStatus.PAID
    assert not InboundMessage.objects.exclude(status="applied").exists()
    assert Payment.objects.count() == 8


def _slow_hold(monkeypatch):
    """Make the paid message linger between deciding "held" and its commit,
    and let the created message start only then: the worst interleaving."""
    decided = threading.Event()
    real = inbound._apply

    def slow(message, actor):
        real(message, actor)
        if message.status == InboundMessage.Status.HELD:
            decided.set()
            time.sleep(0.5)

    monkeypatch.setattr(inbound, "_apply", slow)
    return decided


def test_worst_interleaving_still_applies_the_paid_message_at_once(market, monkeypatch):
    decided = _slow_hold(monkeypatch)
    codes = _together(
        _post(market, trade_paid(tid="SLOW")),
        _post(market, trade_created(tid="SLOW"), wait_for=decided),
    )
    assert codes == [202, 201]
    order = Order.objects.get(external_ref="SLOW")
    assert order.payments.count() == 1
    assert InboundMessage.objects.get(topic="TRADE_PAID").status == "applied"


def test_negative_control_without_the_lock_the_paid_message_is_stranded(market, monkeypatch):
    decided = _slow_hold(monkeypatch)
    monkeypatch.setattr(inbound, "advisory_lock", lambda key: None)
    codes = _together(
        _post(market, trade_paid(tid="SLOW")),
        _post(market, trade_created(tid="SLOW"), wait_for=decided),
    )
    assert codes == [202, 201]
    order = Order.objects.get(external_ref="SLOW")
    # The created message looked for held messages before the paid one was
    # committed: the order is unpaid until the periodic retry comes by.
    assert order.payments.count() == 0
    assert InboundMessage.objects.get(topic="TRADE_PAID").status == "held"
    inbound.inbound_retry_held()
    assert order.payments.count() == 1
