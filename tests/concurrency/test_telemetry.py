"""Two posts of overlapping telemetry batches of one device at the same
moment: every reading is stored once, the counts add up, and the breach in
the overlap opens one exception (PostgreSQL). The negative control shows
that without the device lock both posts count the overlap as stored."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from logistics.models import SensorReading, ShipmentException
from logistics.services import device_create
from logistics.services.tracking import readings_clean
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401  (fixtures)
from tests.logistics.test_tracking import on_road  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STEP = timedelta(seconds=10)


def run_together(*targets):
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def worker(i):
        try:
            barrier.wait()
            results[i] = targets[i]()
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def readings():
    start = timezone.now() - timedelta(hours=3)
    return [
        {
            "time": (start + i * STEP).isoformat(),
            "latitude": 31.0 + i * 0.001,
            "longitude": 121.4,
            "temperature": 10.0 if 350 <= i < 450 else 5.0,  # the breach: in both batches
        }
        for i in range(900)
    ]


def test_overlapping_batches_store_each_reading_once_and_one_exception(
    on_road,  # noqa: F811
    readings,
):
    shipment = on_road(temperature_range=(Decimal("2"), Decimal("8")))
    device, token = device_create(device_id="TL-RACE", shipment=shipment)

    def post(batch):
        def call():
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Device {token}")
            return api.post(
                "/api/v1/telemetry/",
                {"device_id": "TL-RACE", "readings": batch},
                format="json",
            )

        return call

    results, errors = run_together(post(readings[:600]), post(readings[300:]))
    assert errors == []
    assert [r.status_code for r in results] == [201, 201], [r.content for r in results]
    summaries = [r.json() for r in results]
    assert sum(s["stored"] for s in summaries) == 900
    assert sum(s["duplicates"] for s in summaries) == 300
    assert sum(s["exceptions_opened"] for s in summaries) == 1
    assert SensorReading.objects.filter(device=device).count() == 900
    (breach,) = ShipmentException.objects.filter(shipment=shipment)
    assert breach.kind == "temperature"
    start = readings_clean([readings[0]])[0]["recorded_at"]
    assert (breach.started_at, breach.ended_at) == (start + 350 * STEP, start + 450 * STEP)
    shipment.refresh_from_db()
    assert shipment.last_position_at == start + 899 * STEP


def test_negative_control_without_the_device_lock_the_overlap_counts_twice(
    on_road,  # noqa: F811
    readings,
):
    shipment = on_road()
    device, _token = device_create(device_id="TL-NAIVE", shipment=shipment)
    both_read = threading.Barrier(2)

    def naive(batch):
        # telemetry_ingest without its lock: look up what is known, then insert.
        def call():
            rows = readings_clean(batch)
            with transaction.atomic():
                times = [r["recorded_at"] for r in rows]
                known = set(
                    SensorReading.objects.filter(device=device, recorded_at__in=times).values_list(
                        "recorded_at", flat=True
                    )
                )
                both_read.wait()
                new = [r for r in rows if r["recorded_at"] not in known]
                SensorReading.objects.bulk_create(
                    [SensorReading(device=device, shipment=shipment, **r) for r in new],
                    ignore_conflicts=True,
                )
                return len(new)

        return call

    stored, errors = run_together(naive(readings[:600]), naive(readings[300:]))
    assert errors == []
    assert SensorReading.objects.filter(device=device).count() == 900  # the constraint holds
    assert sum(stored) == 1200  # but the overlap was reported stored by both


def test_two_loggers_of_one_shipment_posting_together_make_one_episode(on_road):  # noqa: F811
    """Logger A too warm for an hour, logger B in range beside it, both
    posting at the same moment: one breach (the shipment lock orders the
    evaluations; the episode is the shipment's, over both devices)."""
    shipment = on_road(temperature_range=(Decimal("2"), Decimal("8")))
    tokens = [device_create(device_id=f"TL-{n}", shipment=shipment)[1] for n in "AB"]
    t0 = timezone.now() - timedelta(hours=3)
    minute = timedelta(minutes=1)
    warm = [
        {"time": (t0 + i * minute).isoformat(), "temperature": 10.0 if i < 60 else 5.0}
        for i in range(0, 90, 2)
    ]
    cool = [{"time": (t0 + i * minute).isoformat(), "temperature": 5.0} for i in range(1, 90, 2)]

    def post(device_id, token, batch):
        def call():
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Device {token}")
            return api.post(
                "/api/v1/telemetry/", {"device_id": device_id, "readings": batch}, format="json"
            )

        return call

    results, errors = run_together(post("TL-A", tokens[0], warm), post("TL-B", tokens[1], cool))
    assert errors == []
    assert [r.status_code for r in results] == [201, 201], [r.content for r in results]
    assert sum(r.json()["exceptions_opened"] for r in results) == 1
    (breach,) = ShipmentException.objects.filter(shipment=shipment)
    start = readings_clean([warm[0]])[0]["recorded_at"]
    assert (breach.started_at, breach.ended_at) == (start, start + 60 * minute)
