"""Orders racing for the last units (PostgreSQL, real threads and connections,
through the API)."""

import random
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import Order, Reservation
from tests.factories import ProductFactory, SalesChannelFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def order_body(ref, lines):
    return {
        "channel": "RACE",
        "external_ref": ref,
        "customer": {"name": "抢购客户", "phone": f"1390000{ref[-4:]:0>4}"},
        "shipping_address": {
            "recipient": "客户",
            "phone": "13900000000",
            "city": "上海市",
            "street": "人民路1号",
        },
        "lines": [{"sku": sku, "quantity": qty, "unit_price": "99.00"} for sku, qty in lines],
    }


def run_clients(token, jobs, threads):
    """Run `jobs` (callables taking an APIClient) on `threads` threads; collect statuses."""
    statuses, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)
    queue = list(jobs)

    def worker():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                try:
                    for code in job(client):
                        statuses.append(code)
                except Exception as exc:  # asserted on below
                    errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statuses, errors


@pytest.fixture
def token(integration):
    return integration("orders:write orders:read", name="race").credentials_token


@pytest.fixture
def last_ten():
    sh = WarehouseFactory(code="SH01", latitude=Decimal("31.23"), longitude=Decimal("121.47"))
    bj = WarehouseFactory(code="BJ01", latitude=Decimal("39.90"), longitude=Decimal("116.40"))
    SalesChannelFactory(code="RACE", default_warehouse=sh, allow_backorder=False)
    product = ProductFactory(sku="HOT-1")
    stock_receive(warehouse=sh, product=product, quantity=6)
    stock_receive(warehouse=bj, product=product, quantity=4)
    return product


def buy_one(n):
    def job(client):
        created = client.post(
            "/api/v1/orders/", order_body(f"R-{n:04d}", [("HOT-1", 1)]), format="json"
        )
        if created.status_code != 201:
            return [created.status_code]
        number = created.json()["number"]
        confirmed = client.post(f"/api/v1/orders/{number}/confirm/", {}, format="json")
        return [created.status_code, confirmed.status_code]

    return job


def test_fifty_clients_for_the_last_ten_units(token, last_ten):
    statuses, errors = run_clients(token, [buy_one(n) for n in range(50)], threads=50)
    assert errors == []
    assert not [s for s in statuses if s >= 500]
    assert statuses.count(201) == 50  # every order is taken ...
    assert statuses.count(200) == 10  # ... exactly ten are confirmed ...
    assert statuses.count(409) == 40  # ... the rest are told the stock is short
    levels = StockLevel.objects.filter(product=last_ten)
    assert levels.aggregate(r=Sum("reserved"))["r"] == 10
    assert all(level.reserved <= level.on_hand for level in levels)
    assert Order.objects.filter(status="confirmed").count() == 10
    active = Reservation.objects.filter(status="active").aggregate(q=Sum("quantity"))["q"]
    assert active == 10
    call_command("check_stock_ledger")


def test_negative_control_without_the_lock_the_race_happens(token, last_ten, monkeypatch):
    """Take out the row locks and reserve by read-check-write: the same load oversells
    (the CHECK constraint then turns it into server errors) or loses updates."""
    import orders.services.lifecycle as lifecycle
    from inventory.models import StockLevel as Level

    def unlocked(ids):
        return Level.objects.filter(pk__in=list(ids)).order_by("pk")

    def naive_reserve(*, level_id, quantity):
        level = Level.objects.get(pk=level_id)
        threading.Event().wait(0.005)
        Level.objects.filter(pk=level_id).update(reserved=level.reserved + quantity)
        return True

    monkeypatch.setattr(lifecycle, "stock_levels_for_update", unlocked)
    monkeypatch.setattr(lifecycle, "stock_reserve", naive_reserve)
    statuses, errors = run_clients(token, [buy_one(n) for n in range(50)], threads=50)
    confirmed = Order.objects.filter(status="confirmed").count()
    reserved = StockLevel.objects.filter(product=last_ten).aggregate(r=Sum("reserved"))["r"]
    active = Reservation.objects.filter(status="active").aggregate(q=Sum("quantity"))["q"] or 0
    raced = confirmed > 10 or active != reserved or errors or any(s >= 500 for s in statuses)
    assert raced, (confirmed, reserved, active, statuses)


def test_two_hundred_orders_on_five_hot_products_without_deadlocks(token):
    rng = random.Random(7)
    sh = WarehouseFactory(code="SH01", latitude=Decimal("31.23"), longitude=Decimal("121.47"))
    bj = WarehouseFactory(code="BJ01", latitude=Decimal("39.90"), longitude=Decimal("116.40"))
    SalesChannelFactory(code="RACE", default_warehouse=sh, allow_backorder=True)
    hot = [ProductFactory(sku=f"HOT-{i}") for i in range(5)]
    for product in hot:
        stock_receive(warehouse=sh, product=product, quantity=60)
        stock_receive(warehouse=bj, product=product, quantity=60)

    def job_for(n):
        lines = [(p.sku, rng.randint(1, 3)) for p in rng.sample(hot, rng.randint(2, 5))]

        def job(client):
            created = client.post("/api/v1/orders/", order_body(f"H-{n:04d}", lines), format="json")
            confirmed = client.post(
                f"/api/v1/orders/{created.json()['number']}/confirm/", {}, format="json"
            )
            return [created.status_code, confirmed.status_code]

        return job

    statuses, errors = run_clients(token, [job_for(n) for n in range(200)], threads=20)
    assert errors == []
    assert sorted(set(statuses)) == [200, 201], statuses  # no 409 lock timeouts, no 5xx
    assert Order.objects.filter(status="confirmed").count() == 200
    for level in StockLevel.objects.filter(product__in=hot):
        held = (
            Reservation.objects.filter(stock_level=level, status="active").aggregate(
                q=Sum("quantity")
            )["q"]
            or 0
        )
        assert held == level.reserved <= level.on_hand
    call_command("check_stock_ledger")


def test_auto_confirm_under_a_busy_lock_keeps_the_order_and_retries(token, last_ten, settings):
    """While another transaction holds the stock row, an auto-confirming channel's
    order is still taken (201, pending, with a note) - never an error for a saved order."""
    from orders.models import OrderEvent, SalesChannel

    settings.LOCK_TIMEOUT_MS = 300
    SalesChannel.objects.filter(code="RACE").update(auto_confirm=True)
    level = StockLevel.objects.filter(product=last_ten).order_by("pk").first()
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import transaction

        try:
            with transaction.atomic():
                StockLevel.objects.select_for_update().get(pk=level.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(5)
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(
            "/api/v1/orders/", order_body("R-9001", [("HOT-1", 1)]), format="json"
        )
    finally:
        release.set()
        holder.join()
    assert response.status_code == 201, response.content
    order = Order.objects.get(external_ref="R-9001")
    assert order.status in ("pending", "confirmed")
    assert OrderEvent.objects.filter(order=order, kind="note").exists()


def test_one_new_buyer_is_created_once_whatever_contact_details_each_order_carries():
    from crm.models import Customer
    from crm.services import customer_match_or_create

    barrier = threading.Barrier(8)
    errors = []

    def buy(with_phone):
        try:
            barrier.wait()
            customer_match_or_create(
                name="钱多多",
                phone="13712345678" if with_phone else "",
                email="qian@example.com",
            )
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(i % 2 == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Customer.objects.filter(email="qian@example.com").count() == 1
