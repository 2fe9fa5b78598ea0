"""Packers scanning the same shipment at once (PostgreSQL, real threads and
connections). The shipment's row lock serialises the scans: no line is packed
past its quantity, and the scan that packs the last unit sees every other
line full and moves the shipment to packed. The negative control shows the
second half fails without the lock."""

import threading

import pytest
from django.db import connection, transaction

from logistics.models import Shipment, ShipmentEvent
from logistics.services import ShipmentConflict, pack_scan, shipment_create, wave_create
from logistics.services import picking as picking_services
from orders.services import order_confirm
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(jobs):
    """Run each job on its own thread and connection, all released together."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def worker(job):
        try:
            barrier.wait()
            results.append(job())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture
def picking(world, stock, place):  # noqa: F811
    stock("sh", "tea", 100)
    stock("sh", "cup", 100)

    def make(*lines):
        order = place(*lines)
        order_confirm(order=order)
        shipment = shipment_create(order=order, warehouse=world["sh"])
        wave_create(warehouse=world["sh"], shipments=[shipment])
        return shipment

    return make


def test_eight_scans_of_a_line_of_three_pack_exactly_three(picking):
    shipment = picking(("tea", 3))
    results, errors = run_concurrently(
        [lambda: pack_scan(shipment=shipment, code="TEA-1") for _ in range(8)]
    )
    assert len(results) == 3
    assert len(errors) == 5 and all(isinstance(e, ShipmentConflict) for e in errors)
    shipment.refresh_from_db()
    assert shipment.lines.get().quantity_packed == 3
    assert shipment.status == Shipment.Status.PACKED
    assert shipment.events.filter(kind=ShipmentEvent.Kind.SCAN).count() == 3
    assert shipment.events.filter(to_status=Shipment.Status.PACKED).count() == 1


def test_last_units_of_two_lines_scanned_at_once_pack_the_shipment(picking):
    shipments = [picking(("tea", 1), ("cup", 1)) for _ in range(5)]
    jobs = [
        (lambda s=s, code=code: pack_scan(shipment=s, code=code))
        for s in shipments
        for code in ("TEA-1", "CUP-1")
    ]
    results, errors = run_concurrently(jobs)
    assert errors == [] and len(results) == 10
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.PACKED


def test_negative_control_without_the_lock_a_fully_packed_shipment_stays_picking(
    picking, monkeypatch
):
    shipment = picking(("tea", 1), ("cup", 1))
    both_scanned = threading.Barrier(2, timeout=30)
    record = picking_services._record

    def no_lock(pk):
        return Shipment.objects.select_related("order", "warehouse", "carrier").get(pk=pk)

    def record_then_wait(*args, **kwargs):
        event = record(*args, **kwargs)
        both_scanned.wait()  # each scan has written its line, neither has committed
        return event

    both_checked = threading.Barrier(2, timeout=30)

    def scan_and_hold(code):
        # Neither commits before both have looked for lines still to pack
        # (otherwise the slower one may see the other's committed line).
        with transaction.atomic():
            line = pack_scan(shipment=shipment, code=code)
            both_checked.wait()
        return line

    monkeypatch.setattr(picking_services, "shipment_for_update", no_lock)
    monkeypatch.setattr(picking_services, "_record", record_then_wait)
    results, errors = run_concurrently(
        [lambda code=code: scan_and_hold(code) for code in ("TEA-1", "CUP-1")]
    )
    assert errors == [] and len(results) == 2
    shipment.refresh_from_db()
    assert [line.quantity_packed for line in shipment.lines.all()] == [1, 1]
    # Each scan saw the other line still empty: nobody moved it to packed.
    assert shipment.status == Shipment.Status.PICKING
