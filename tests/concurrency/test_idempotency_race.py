"""Concurrent retries with one Idempotency-Key create exactly one customer
(PostgreSQL, real threads, real connections)."""

import threading

import pytest
from django.db import connection

from crm.models import Customer
from erp.core.models import IdempotencyKey

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 12


def _fire(integration, key_for):
    api = integration("crm:write")
    barrier = threading.Barrier(CLIENTS)
    results = []

    def worker(n):
        try:
            barrier.wait()
            response = api.post(
                "/api/v1/customers/",
                {"name": "并发客户", "phone": "13700000000"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=key_for(n),
            )
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_retries_with_one_key_create_one_customer(integration):
    results = _fire(integration, key_for=lambda n: "same-key")
    assert len(results) == CLIENTS
    assert all(code in (201, 409) for code in results), results
    assert Customer.objects.filter(phone="13700000000").count() == 1
    # Every retry now gets the one stored response.
    key = IdempotencyKey.objects.get(key="same-key")
    assert key.state == IdempotencyKey.State.COMPLETED
    assert key.status_code == 201


def test_negative_control_distinct_keys_do_create_duplicates(integration):
    # Without a shared key nothing deduplicates: this shows the race above is real.
    results = _fire(integration, key_for=lambda n: f"key-{n}")
    assert results.count(201) == CLIENTS
    assert Customer.objects.filter(phone="13700000000").count() == CLIENTS
