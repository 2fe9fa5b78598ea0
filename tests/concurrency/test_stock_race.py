"""Fifty clients reserving the last ten units: exactly ten succeed (PostgreSQL).
The negative control shows a read-check-write reserve oversells."""

import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from inventory.models import StockLevel
from inventory.services import stock_receive, stock_reserve, stock_transfer
from tests.factories import ProductFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 50


def run_concurrently(target, n=CLIENTS):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def last_ten():
    product = ProductFactory()
    level_id = stock_receive(
        warehouse=WarehouseFactory(), product=product, quantity=10
    ).stock_level_id
    return level_id


def test_fifty_clients_reserve_exactly_the_last_ten(last_ten):
    results, errors = run_concurrently(lambda i: stock_reserve(level_id=last_ten, quantity=1))
    assert errors == []
    assert results.count(True) == 10
    level = StockLevel.objects.get(pk=last_ten)
    assert (level.on_hand, level.reserved) == (10, 10)


def _naive_reserve(level_id):
    # What must never be written: read, check in Python, write back.
    with transaction.atomic():
        level = StockLevel.objects.get(pk=level_id)
        if level.on_hand - level.reserved < 1:
            return False
        threading.Event().wait(0.01)  # the gap every real request has
        StockLevel.objects.filter(pk=level_id).update(reserved=level.reserved + 1)
        return True


def test_negative_control_read_check_write_oversells(last_ten):
    results, errors = run_concurrently(lambda i: _naive_reserve(last_ten))
    level = StockLevel.objects.get(pk=last_ten)
    # Lost updates: more callers were told "reserved" than units are reserved.
    assert results.count(True) > level.reserved or any(
        isinstance(e, IntegrityError) for e in errors
    )


def test_concurrent_transfers_and_receipts_keep_the_ledger():
    a, b = WarehouseFactory(), WarehouseFactory()
    products = ProductFactory.create_batch(3)
    for p in products:
        stock_receive(warehouse=a, product=p, quantity=50)
        stock_receive(warehouse=b, product=p, quantity=50)

    def work(i):
        p = products[i % 3]
        if i % 4 == 0:
            return stock_receive(warehouse=a, product=p, quantity=2)
        source, destination = (a, b) if i % 2 else (b, a)
        return stock_transfer(product=p, source=source, destination=destination, quantity=3)

    results, errors = run_concurrently(work, n=40)
    assert errors == []
    assert len(results) == 40
    call_command("check_stock_ledger")  # raises if any level disagrees with its moves
    total = StockLevel.objects.filter(product__in=products).aggregate(t=Sum("on_hand"))["t"]
    assert total == 3 * 100 + 2 * 10
