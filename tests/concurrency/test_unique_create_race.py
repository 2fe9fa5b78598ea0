"""Two integrators creating the same SKU at the same moment: one 201, the
others a clear 400 on the field - never a 500 (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from inventory.models import Product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_same_sku_created_concurrently(integration):
    clients = [integration("inventory:write") for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    codes = []

    def worker(api):
        try:
            barrier.wait()
            codes.append(
                api.post("/api/v1/products/", {"sku": "RACE-1", "name": "并发"}, format="json")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in codes)
    assert statuses == [201] + [400] * 7
    refused = [r for r in codes if r.status_code == 400]
    assert all("sku" in r.json()["error"]["fields"] for r in refused)
    assert Product.objects.filter(sku="RACE-1").count() == 1
