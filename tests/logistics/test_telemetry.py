"""Telemetry from tracking devices: a per-device token, batches checked as a
whole, each reading stored once, cold-chain breaches as episodes."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from erp.core.models import AuditEvent
from logistics.models import SensorReading, ShipmentException, TrackingDevice
from logistics.selectors import shipment_readings
from logistics.services import (
    ShipmentConflict,
    device_attach,
    device_create,
    telemetry_ingest,
)
from tests.logistics.test_tracking import iso, on_road, raised  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
STEP = timedelta(seconds=10)


@pytest.fixture
def cold(on_road):  # noqa: F811
    """A shipment on the road that must stay between 2 and 8 °C and 30-80 % RH."""
    return on_road(
        temperature_range=(Decimal("2"), Decimal("8")),
        humidity_range=(Decimal("30"), Decimal("80")),
    )


@pytest.fixture
def logger(cold):
    device, token = device_create(device_id="TL-0001", name="冷链记录仪", shipment=cold)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Device {token}", HTTP_ACCEPT_LANGUAGE="en")
    return device, api


def post(api, readings, device_id="TL-0001"):
    return api.post(
        "/api/v1/telemetry/", {"device_id": device_id, "readings": readings}, format="json"
    )


def reading(when, temperature=None, **extra):
    body = {"time": iso(when), **extra}
    if temperature is not None:
        body["temperature"] = temperature
    return body


def test_ten_thousand_readings_in_batches_with_three_breach_episodes(
    cold,
    logger,
    raised,  # noqa: F811
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    device, api = logger
    start = timezone.now() - 10_000 * STEP - timedelta(minutes=1)
    # 5 °C, except three breaches: too warm, too cold, and a long warm one
    # whose worst reading is 12.5 °C.
    breaches = {range(1200, 1260): "warm", range(4000, 4005): "cold", range(7500, 7800): "long"}

    def temperature(i):
        for span, kind in breaches.items():
            if i in span:
                if kind == "warm":
                    return 9.5
                if kind == "cold":
                    return 1.0
                return 12.5 if i == 7650 else 10.0
        return 5.0

    readings = [
        {
            "time": iso(start + i * STEP),
            "latitude": round(31.0 + i * 0.0001, 6),
            "longitude": 121.4,
            "temperature": temperature(i),
            "humidity": 55,
        }
        for i in range(10_000)
    ]
    batches = [readings[k : k + 1000] for k in range(0, 10_000, 1000)]
    # Batches arrive out of order (a device catching up after a dead zone).
    order = [0, 1, 7, 2, 3, 4, 9, 5, 6, 8]
    summaries = []
    with django_capture_on_commit_callbacks(execute=True):
        for position, index in enumerate(order):
            if position == 0:
                with django_assert_max_num_queries(30):  # no query per reading
                    r = post(api, batches[index])
            else:
                r = post(api, batches[index])
            assert r.status_code == 201, r.content
            summaries.append(r.json())
        # A batch sent again, and a batch with a time twice and one already stored.
        again = post(api, batches[7])
        fresh = start + 10_000 * STEP
        mixed = post(
            api,
            [
                reading(fresh, 5.0),
                reading(fresh, 5.1),
                readings[42],
            ],
        )

    assert sum(s["received"] for s in summaries) == 10_000
    assert sum(s["stored"] for s in summaries) == 10_000
    assert sum(s["duplicates"] for s in summaries) == 0
    assert again.status_code == 201
    assert again.json() == {
        "received": 1000,
        "stored": 0,
        "duplicates": 1000,
        "exceptions_opened": 0,
    }
    assert mixed.json() == {"received": 3, "stored": 1, "duplicates": 2, "exceptions_opened": 0}
    assert SensorReading.objects.filter(device=device).count() == 10_001
    assert shipment_readings(cold).count() == 10_001

    assert sum(s["exceptions_opened"] for s in summaries) == 3
    episodes = list(ShipmentException.objects.filter(shipment=cold).order_by("started_at"))
    assert [e.kind for e in episodes] == ["temperature"] * 3
    assert [(e.started_at, e.ended_at) for e in episodes] == [
        (start + 1200 * STEP, start + 1260 * STEP),
        (start + 4000 * STEP, start + 4005 * STEP),
        (start + 7500 * STEP, start + 7800 * STEP),
    ]
    assert [e.peak_value for e in episodes] == [Decimal("9.50"), Decimal("1.00"), Decimal("12.50")]
    assert raised == [("temperature", cold.pk)] * 3

    cold.refresh_from_db()
    assert cold.last_position_at == fresh - STEP  # the newest reading with a position
    assert cold.last_latitude == Decimal("31.999900")
    device.refresh_from_db()
    assert device.last_seen_at is not None


def test_late_readings_extend_split_and_add_episodes(cold, logger):
    device, _api = logger
    t0 = timezone.now() - timedelta(hours=5)

    def at(minutes, temperature):
        return {"time": t0 + timedelta(minutes=minutes), "temperature": temperature}

    # 10:00 ok, 10:10 and 10:20 too warm, still warm at the end: one open episode.
    first = telemetry_ingest(device=device, readings=[at(0, 5), at(10, 9), at(20, 11)])
    assert first["exceptions_opened"] == 1
    episode = ShipmentException.objects.get(shipment=cold)
    assert (episode.started_at, episode.ended_at) == (t0 + timedelta(minutes=10), None)

    # A late reading at 10:05, also warm, moves the start back; one at 10:15 in
    # range splits it in two; back in range at 10:30 ends the second.
    summary = telemetry_ingest(
        device=device, readings=[at(30, 6), at(15, 5), at(5, 8.5), at(5, 8.5)]
    )
    assert summary == {"received": 4, "stored": 3, "duplicates": 1, "exceptions_opened": 1}
    episodes = list(ShipmentException.objects.filter(shipment=cold).order_by("started_at"))
    assert [(e.started_at, e.ended_at, e.peak_value) for e in episodes] == [
        (t0 + timedelta(minutes=5), t0 + timedelta(minutes=15), Decimal("9.00")),
        (t0 + timedelta(minutes=20), t0 + timedelta(minutes=30), Decimal("11.00")),
    ]
    # Evaluating again changes nothing; humidity was never out of range.
    assert telemetry_ingest(device=device, readings=[at(15, 5)])["exceptions_opened"] == 0
    assert ShipmentException.objects.filter(shipment=cold).count() == 2

    humid = telemetry_ingest(
        device=device,
        readings=[
            {"time": t0 + timedelta(minutes=40), "humidity": 95},
            {"time": t0 + timedelta(minutes=41), "humidity": 20},
        ],
    )
    assert humid["exceptions_opened"] == 1  # one episode: too humid, then too dry
    wet = ShipmentException.objects.get(shipment=cold, kind="humidity")
    assert (wet.peak_value, wet.ended_at) == (Decimal("95.00"), None)


def test_position_follows_the_newest_reading_and_notices_movement(cold, logger):
    device, _api = logger
    t0 = timezone.now() - timedelta(hours=3)
    near = {"latitude": "31.230000", "longitude": "121.470000"}
    telemetry_ingest(
        device=device,
        readings=[
            {"time": t0, **near},
            {"time": t0 + timedelta(minutes=30), "latitude": 31.2301, "longitude": 121.4701},
        ],
    )
    cold.refresh_from_db()
    assert cold.last_position_at == t0 + timedelta(minutes=30)
    assert cold.last_moved_at == t0  # 15 m is not moving
    telemetry_ingest(
        device=device,
        readings=[
            {"time": t0 + timedelta(hours=1), "latitude": 31.25, "longitude": 121.47},
            {"time": t0 - timedelta(hours=1), "latitude": 30.0, "longitude": 120.0},  # old
        ],
    )
    cold.refresh_from_db()
    assert cold.last_moved_at == t0 + timedelta(hours=1)
    assert (cold.last_latitude, cold.last_position_at) == (
        Decimal("31.250000"),
        t0 + timedelta(hours=1),
    )


def test_wrong_or_missing_device_token_is_401_and_audited(logger, client):
    device, _api = logger
    before = SensorReading.objects.count()
    body = {"device_id": "TL-0001", "readings": [reading(timezone.now(), 5)]}
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Device not-the-token", HTTP_ACCEPT_LANGUAGE="en")
    r = wrong.post("/api/v1/telemetry/", body, format="json")
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "The device token is not valid."
    assert r.headers["WWW-Authenticate"].startswith("Device")
    audit = AuditEvent.objects.get(kind="unauthenticated", path="/api/v1/telemetry/")
    assert "device token" in audit.detail

    assert (
        client.post("/api/v1/telemetry/", body, content_type="application/json").status_code == 401
    )
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION="Bearer something")
    assert bearer.post("/api/v1/telemetry/", body, format="json").status_code == 401

    TrackingDevice.objects.filter(pk=device.pk).update(active=False)
    r = post(_api, body["readings"])
    assert r.status_code == 401
    assert "TL-0001" in r.json()["error"]["message"]
    assert SensorReading.objects.count() == before


def test_device_id_must_match_the_token(logger, cold):
    _device, api = logger
    device_create(device_id="TL-0002")
    r = post(api, [reading(timezone.now(), 5)], device_id="TL-0002")
    assert r.status_code == 403
    assert AuditEvent.objects.filter(kind="denied", path="/api/v1/telemetry/").exists()
    r = post(api, [reading(timezone.now(), 5)], device_id="")
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["device_id"]
    assert SensorReading.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"latitude": 95, "longitude": 121}, "readings[2].latitude"),
        ({"latitude": 31}, "readings[2].longitude"),
        ({"latitude": "abc", "longitude": 121}, "readings[2].latitude"),
        ({"latitude": True, "longitude": 121}, "readings[2].latitude"),
        ({"temperature": "hot"}, "readings[2].temperature"),
        ({"temperature": 900}, "readings[2].temperature"),
        ({"humidity": 101}, "readings[2].humidity"),
        ({"time": "yesterday", "temperature": 5}, "readings[2].time"),
        ({"time": None, "temperature": 5}, "readings[2].time"),
        ({}, "readings[2]"),  # nothing measured
    ],
)
def test_one_bad_reading_refuses_the_batch(logger, bad, field):
    _device, api = logger
    now = timezone.now()
    batch = [reading(now - timedelta(minutes=3), 5), reading(now - timedelta(minutes=2), 5)]
    batch.append({"time": iso(now - timedelta(minutes=1)), **bad})
    r = post(api, batch)
    assert r.status_code == 400, r.content
    assert list(r.json()["error"]["fields"]) == [field]
    assert SensorReading.objects.count() == 0


def test_future_times_and_oversized_batches_are_refused(logger, cold):
    _device, api = logger
    now = timezone.now()
    r = post(api, [reading(now, 5), reading(now + timedelta(hours=1), 5)])
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["readings[1].time"]
    too_many = [reading(now - i * STEP, 5) for i in range(1001)]
    r = post(api, too_many)
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["readings"]
    assert post(api, []).status_code == 400
    assert post(api, {"time": iso(now)}).status_code == 400
    assert SensorReading.objects.count() == 0
    cold.refresh_from_db()
    assert cold.last_position_at is None


def test_times_in_several_forms_are_one_reading(logger):
    device, _api = logger
    when = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    summary = telemetry_ingest(
        device=device,
        readings=[
            {"time": when.isoformat(), "temperature": 5},
            {"time": when.timestamp(), "temperature": 5},
            {"time": timezone.localtime(when).replace(tzinfo=None).isoformat(), "temperature": 5},
        ],
    )
    assert (summary["stored"], summary["duplicates"]) == (1, 2)


def test_readings_of_a_device_without_shipment_are_kept(db):
    device, _token = device_create(device_id="VAN-7")
    summary = telemetry_ingest(
        device=device, readings=[{"time": timezone.now(), "temperature": 30}]
    )
    assert summary == {"received": 1, "stored": 1, "duplicates": 0, "exceptions_opened": 0}
    assert SensorReading.objects.get().shipment is None


def test_devices_over_the_api(cold, staff_api, client):
    dispatcher = staff_api("dispatcher")
    r = dispatcher.post(
        "/api/v1/tracking-devices/",
        {"device_id": "TL-9", "name": "温度计", "shipment": cold.number},
        format="json",
    )
    assert r.status_code == 201, r.content
    token = r.json()["token"]
    assert r.json()["token_prefix"] == token[:8]
    device = TrackingDevice.objects.get(device_id="TL-9")
    assert token not in (device.token_digest, device.token_prefix)
    listed = dispatcher.get("/api/v1/tracking-devices/").json()["results"]
    assert [d["device_id"] for d in listed] == ["TL-9"]
    assert "token" not in listed[0]
    assert dispatcher.get("/api/v1/tracking-devices/TL-9/").json()["shipment"] == cold.number

    again = dispatcher.post("/api/v1/tracking-devices/", {"device_id": "TL-9"}, format="json")
    assert again.status_code == 400
    assert list(again.json()["error"]["fields"]) == ["device_id"]
    bad = dispatcher.post("/api/v1/tracking-devices/", {"device_id": "a b/c"}, format="json")
    assert list(bad.json()["error"]["fields"]) == ["device_id"]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    r = post(api, [reading(timezone.now(), 5)], device_id="TL-9")
    assert r.status_code == 201
    assert SensorReading.objects.get().shipment == cold

    off = dispatcher.post(
        "/api/v1/tracking-devices/TL-9/attach/", {"shipment": None}, format="json"
    )
    assert off.status_code == 200 and off.json()["shipment"] is None

    assert (
        staff_api("warehouse")
        .post("/api/v1/tracking-devices/", {"device_id": "TL-10"}, format="json")
        .status_code
        == 403
    )
    assert staff_api("analyst").get("/api/v1/tracking-devices/").status_code == 200
    assert (
        staff_api("analyst")
        .post("/api/v1/tracking-devices/TL-9/attach/", {"shipment": cold.number}, format="json")
        .status_code
        == 403
    )
    assert client.get("/api/v1/tracking-devices/").status_code == 401
    assert not TrackingDevice.objects.filter(device_id="TL-10").exists()


def test_a_device_cannot_join_a_finished_shipment(cold, logger):
    device, _api = logger
    cold.status = "delivered"
    cold.save(update_fields=["status"])
    with pytest.raises(ShipmentConflict) as err:
        device_attach(device=device, shipment=cold)
    assert err.value.field == "shipment"


def test_shuffled_readings_give_the_same_episodes(cold, logger):
    """Property: however a sequence is cut into batches and ordered, the
    episodes are those of the sequence in time order."""
    device, _api = logger
    rng = random.Random(7)
    t0 = timezone.now() - timedelta(hours=10)
    values = [rng.choice([5, 5, 5, 9, 1]) for _ in range(400)]
    expected, inside = 0, False
    for v in values:
        out = not 2 <= v <= 8
        expected += out and not inside
        inside = out
    rows = [{"time": t0 + i * STEP, "temperature": v} for i, v in enumerate(values)]
    rng.shuffle(rows)
    opened = 0
    for k in range(0, 400, 37):
        opened += telemetry_ingest(device=device, readings=rows[k : k + 37])["exceptions_opened"]
    assert ShipmentException.objects.filter(shipment=cold).count() == expected
    assert ShipmentException.objects.filter(shipment=cold, ended_at__isnull=True).count() <= 1


def test_two_loggers_in_one_load_make_one_episode(cold, logger):
    """Logger A is too warm for an hour while logger B, next to it, reports
    5 °C in between: one breach, A's, not one per reading of B."""
    a, _api = logger
    b, _token = device_create(device_id="TL-0002", shipment=cold)
    t0 = timezone.now() - timedelta(hours=4)
    minute = timedelta(minutes=1)
    a_rows = [{"time": t0 + 5 * i * minute, "temperature": 10} for i in range(12)]
    a_rows.append({"time": t0 + 60 * minute, "temperature": 5})
    b_rows = [{"time": t0 + (2 + 5 * i) * minute, "temperature": 5} for i in range(6)]
    opened = telemetry_ingest(device=a, readings=a_rows[:6])["exceptions_opened"]
    opened += telemetry_ingest(device=b, readings=b_rows)["exceptions_opened"]  # later, interleaved
    opened += telemetry_ingest(device=a, readings=a_rows[6:])["exceptions_opened"]
    assert opened == 1
    (episode,) = ShipmentException.objects.filter(shipment=cold)
    assert (episode.started_at, episode.ended_at, episode.peak_value) == (
        t0,
        t0 + 60 * minute,
        Decimal("10.00"),
    )

    # B too warm from 0:30 to 1:30, while A is back at 1:00: still one
    # episode, until both are back, and the worst of the two.
    b_late = [{"time": t0 + (32 + 5 * i) * minute, "temperature": 12} for i in range(12)]
    b_late.append({"time": t0 + 92 * minute, "temperature": 5})
    telemetry_ingest(device=b, readings=b_late)
    (episode,) = ShipmentException.objects.filter(shipment=cold)
    assert (episode.started_at, episode.ended_at, episode.peak_value) == (
        t0,
        t0 + 92 * minute,
        Decimal("12.00"),
    )


def _episodes_by_hand(rows):
    """The reference: episodes of (time, device, value) rows, 2-8 °C."""
    episodes, out, current = [], set(), None
    for at, device, value in sorted(rows):
        if not 2 <= value <= 8:
            out.add(device)
            if current is None:
                current = [at, None]
        else:
            out.discard(device)
            if current is not None and not out:
                current[1] = at
                episodes.append(tuple(current))
                current = None
    if current is not None:
        episodes.append(tuple(current))
    return episodes


def test_shuffled_readings_of_three_loggers_give_the_episodes_of_the_sequence(cold, logger):
    """Property: however three devices' readings are cut into batches and
    ordered, the episodes are those of all readings in time order."""
    first, _api = logger
    devices = [first] + [device_create(device_id=f"TL-00{n}", shipment=cold)[0] for n in (2, 3)]
    rng = random.Random(11)
    t0 = timezone.now() - timedelta(hours=10)
    rows = []
    for index, device in enumerate(devices):
        warm = False
        for i in range(150):
            if rng.random() < 0.08:
                warm = not warm
            at = t0 + (3 * i + index) * STEP
            rows.append((at, device, 10 if warm else 5))
    expected = _episodes_by_hand([(at, d.pk, v) for at, d, v in rows])
    assert len(expected) > 3
    rng.shuffle(rows)
    for k in range(0, len(rows), 29):
        batch = rows[k : k + 29]
        for device in devices:
            mine = [{"time": at, "temperature": v} for at, d, v in batch if d == device]
            if mine:
                telemetry_ingest(device=device, readings=mine)
    got = [
        (e.started_at, e.ended_at)
        for e in ShipmentException.objects.filter(shipment=cold).order_by("started_at")
    ]
    assert got == expected


@pytest.mark.parametrize(
    "time",
    [
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-08:00",
        0,  # 1970: a clock never set
        "2001-05-01T08:00:00+08:00",
    ],
)
def test_times_outside_the_calendar_or_long_ago_are_refused(logger, time):
    _device, api = logger
    r = post(api, [reading(timezone.now(), 5), {"time": time, "temperature": 5}])
    assert r.status_code == 400, r.content
    assert list(r.json()["error"]["fields"]) == ["readings[1].time"]
    assert SensorReading.objects.count() == 0


def test_guessing_device_tokens_is_throttled_per_address(logger, settings):
    settings.TRACKING_DEVICE_AUTH_FAILURES = 3
    body = {"device_id": "TL-0001", "readings": [reading(timezone.now(), 5)]}
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Device guess-{n}", HTTP_ACCEPT_LANGUAGE="en")
        assert guesser.post("/api/v1/telemetry/", body, format="json").status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION="Device guess-4", HTTP_ACCEPT_LANGUAGE="en")
    r = guesser.post("/api/v1/telemetry/", body, format="json")
    assert r.status_code == 429
    assert "wrong device tokens" in r.json()["error"]["message"]
    assert int(r.headers["Retry-After"]) > 0
    # Even the right token gets nowhere from there now; other addresses are unaffected.
    _device, token = device_create(device_id="TL-0009")
    guesser.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    assert (
        guesser.post(
            "/api/v1/telemetry/",
            {"device_id": "TL-0009", "readings": [reading(timezone.now(), 5)]},
            format="json",
        ).status_code
        == 429
    )
    other = APIClient(REMOTE_ADDR="198.51.100.2")
    other.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    r = other.post(
        "/api/v1/telemetry/",
        {"device_id": "TL-0009", "readings": [reading(timezone.now(), 5)]},
        format="json",
    )
    assert r.status_code == 201, r.content
