"""Releasing a dispatch plan while orders of the same products are confirmed
or shipped (PostgreSQL, real threads and connections).

The plan's first shipment (lower pk) carries cups, the second tea; the tea's
stock level has the lower pk. Dispatching shipment by shipment, the release
would hold the cups' level and then want the tea's, while an order confirmed
(or shipped) at that moment holds the tea's level and wants the cups': a
deadlock. The release now locks every stock level it will consume up front,
in pk order, so the other side simply waits. The negative control takes
those up-front locks out and gets the deadlock, which lock_timeout() turns
into LockTimeout (409, retry) instead of a server error."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

import inventory.services as inventory_services
from erp.core.db import lock_timeout
from erp.core.errors import LockTimeout
from inventory.models import StockLevel
from logistics.models import Carrier, DispatchPlan, Shipment
from logistics.services import (
    carrier_create,
    plan_create,
    plan_release,
    plan_solve,
    shipment_create,
    shipment_dispatch,
    vehicle_create,
)
from logistics.services import dispatch as dispatch_services
from orders.lock_objects import order_for_update
from orders.services import order_confirm, order_hold
from tests.logistics.conftest import packed  # noqa: F401  (shared fixture)
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DEADLOCK = "40P01"


def pgcodes(exc) -> set[str]:
    """The SQLSTATEs anywhere in an exception's chain of causes."""
    codes = set()
    while exc is not None:
        code = getattr(exc, "pgcode", None)
        if code:
            codes.add(code)
        exc = exc.__cause__ or exc.__context__
    return codes


def wait_until_someone_waits_for_a_lock(seconds: float = 10) -> bool:
    """True once another backend of this database waits for a row lock."""
    deadline = time.monotonic() + seconds
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.fixture
def solved_plan(world, stock, place, packed):  # noqa: F811
    """A solved plan of two shipments: cups first (lower pk), then tea, while
    the tea's stock level has the lower pk."""
    stock("sh", "tea", 50)
    stock("sh", "cup", 50)
    levels = {lvl.product.sku: lvl.pk for lvl in StockLevel.objects.select_related("product")}
    assert levels["TEA-1"] < levels["CUP-1"]
    own = carrier_create(code="OWN", name="自有车队", mode=Carrier.Mode.ROAD, own_fleet=True)
    vehicle_create(
        plate="沪A·D1", depot=world["sh"], capacity_kg=500, capacity_m3=Decimal("3"), carrier=own
    )
    shipments = []
    for sku, point in (("cup", ("31.30", "121.50")), ("tea", ("31.20", "121.40"))):
        order = place((sku, 2))
        order_confirm(order=order)
        shipment = shipment_create(
            order=order,
            warehouse=world["sh"],
            destination=("上海市", Decimal(point[0]), Decimal(point[1])),
        )
        shipments.append(packed(shipment))
    assert shipments[0].pk < shipments[1].pk
    day = timezone.localdate() + timedelta(days=1)
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    assert plan.routes.count() == 1 and plan.shipments.count() == 2
    return plan


@pytest.fixture
def confirm_tea_and_cups(world, place):  # noqa: F811
    order = place(("tea", 1), ("cup", 1))

    def job():
        order_confirm(order=order)

    return job


@pytest.fixture
def dispatch_tea_and_cups(world, place, packed):  # noqa: F811
    order = place(("tea", 1), ("cup", 1))
    order_confirm(order=order)
    shipment = packed(shipment_create(order=order, warehouse=world["sh"]))
    carrier = Carrier.objects.get(code="OWN")

    def job():
        shipment_dispatch(shipment=shipment, carrier=carrier)

    return job


def race(plan, other_job, monkeypatch):
    """Release `plan`; once it has shipped its first shipment (and holds that
    stock level), start `other_job`; let the release go on once the other job
    waits for a lock. Returns {name: exception or None}."""
    consume = inventory_services.stock_consume
    first_shipped, other_waits = threading.Event(), threading.Event()
    outcome = {}

    def consume_then_wait(**kwargs):
        move = consume(**kwargs)
        if threading.current_thread().name == "release" and not first_shipped.is_set():
            first_shipped.set()
            other_waits.wait(10)
        return move

    # _ship_from imports stock_consume from inventory.services when it runs.
    monkeypatch.setattr(inventory_services, "stock_consume", consume_then_wait)

    def run(name, job, start=None):
        try:
            if start is not None:
                start.wait(10)
            job()
            outcome[name] = None
        except Exception as exc:  # collected and asserted on by the tests
            outcome[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run, args=("release", lambda: plan_release(plan=plan)), name="release"
        ),
        threading.Thread(target=run, args=("other", other_job, first_shipped), name="other"),
    ]
    for thread in threads:
        thread.start()
    first_shipped.wait(30)
    waited = wait_until_someone_waits_for_a_lock()
    other_waits.set()
    for thread in threads:
        thread.join(60)
    assert waited, "the other job never waited for a lock held by the release"
    return outcome


@pytest.mark.parametrize("other", ["confirm_tea_and_cups", "dispatch_tea_and_cups"])
def test_release_and_another_writer_of_the_same_stock_both_go_through(
    solved_plan, other, request, monkeypatch
):
    other_job = request.getfixturevalue(other)
    outcome = race(solved_plan, other_job, monkeypatch)
    assert outcome == {"release": None, "other": None}, outcome
    solved_plan.refresh_from_db()
    assert solved_plan.status == DispatchPlan.Status.RELEASED
    assert set(solved_plan.shipments.values_list("status", flat=True)) == {"dispatched"}
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    # 50 received of each; the plan shipped 2, the other job reserved or shipped 1.
    on_hand = dict(StockLevel.objects.values_list("product__sku", "on_hand"))
    shipped_by_other = 1 if other == "dispatch_tea_and_cups" else 0
    assert on_hand == {"TEA-1": 48 - shipped_by_other, "CUP-1": 48 - shipped_by_other}


@pytest.mark.parametrize("other", ["confirm_tea_and_cups", "dispatch_tea_and_cups"])
def test_negative_control_dispatching_one_by_one_deadlocks(
    solved_plan, other, request, monkeypatch
):
    """Without the up-front stock locks the same race deadlocks. PostgreSQL
    fails one side; lock_timeout() turns that into LockTimeout (409), and the
    other side goes through."""
    monkeypatch.setattr(dispatch_services, "_lock_stock_of", lambda shipments: None)
    other_job = request.getfixturevalue(other)
    outcome = race(solved_plan, other_job, monkeypatch)
    failed = [exc for exc in outcome.values() if exc is not None]
    assert len(failed) == 1, outcome
    assert isinstance(failed[0], LockTimeout) and DEADLOCK in pgcodes(failed[0]), repr(failed[0])
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand


def test_a_deadlock_inside_lock_timeout_becomes_lock_timeout(world, stock):  # noqa: F811
    """Two transactions lock two stock levels in opposite orders: PostgreSQL
    breaks the cycle by failing one; the caller gets the domain error (409,
    retry), not an OperationalError (500)."""
    stock("sh", "tea", 1)
    stock("sh", "cup", 1)
    first, second = StockLevel.objects.order_by("pk").values_list("pk", flat=True)
    both_hold_one = threading.Barrier(2, timeout=10)
    outcome = {}

    def lock(name, ids):
        try:
            with transaction.atomic(), lock_timeout(10_000):
                StockLevel.objects.select_for_update().get(pk=ids[0])
                both_hold_one.wait()
                StockLevel.objects.select_for_update().get(pk=ids[1])
            outcome[name] = None
        except Exception as exc:  # asserted on below
            outcome[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=lock, args=("up", (first, second))),
        threading.Thread(target=lock, args=("down", (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    failed = [exc for exc in outcome.values() if exc is not None]
    assert len(outcome) == 2 and len(failed) == 1, outcome
    assert isinstance(failed[0], LockTimeout), repr(failed[0])
    assert failed[0].status_code == 409 and failed[0].code == "lock_timeout"
    assert DEADLOCK in pgcodes(failed[0])


def test_an_order_held_while_the_release_waits_leaves_the_plan(solved_plan):
    """The order's status is read under its lock: an order put on hold while
    the release waits is seen, and its shipment is taken off the plan."""
    shipment = solved_plan.shipments.order_by("pk").first()
    holding, release = threading.Event(), threading.Event()

    def hold_order():
        try:
            with transaction.atomic():
                order = order_for_update(shipment.order_id)
                holding.set()
                release.wait(10)
                order_hold(order=order, reason="客户要求暂缓")
        finally:
            connection.close()

    holder = threading.Thread(target=hold_order)
    holder.start()
    holding.wait(5)
    result = {}

    def run_release():
        try:
            result["plan"] = plan_release(plan=solved_plan)
        except Exception as exc:  # asserted on below
            result["error"] = exc
        finally:
            connection.close()

    releaser = threading.Thread(target=run_release)
    releaser.start()
    assert wait_until_someone_waits_for_a_lock()
    release.set()
    holder.join(10)
    releaser.join(30)
    assert "error" not in result, result
    solved_plan.refresh_from_db()
    assert solved_plan.status == DispatchPlan.Status.RELEASED
    assert shipment.number in solved_plan.note
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    assert list(solved_plan.shipments.values_list("status", flat=True)) == ["dispatched"]
