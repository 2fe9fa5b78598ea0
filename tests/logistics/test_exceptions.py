"""Shipment exceptions: reported problems stop the shipment, watched
conditions are episodes (one open at a time), the periodic watch opens and
ends them and is safe to run twice, people resolve them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from logistics.models import Shipment, ShipmentEvent, ShipmentException
from logistics.services import (
    LogisticsInvalid,
    ShipmentConflict,
    exception_end,
    exception_open,
    exception_resolve,
    exceptions_watch,
    shipment_deliver,
    tracking_event_ingest,
)
from logistics.signals import shipment_exception_resolved
from tests.logistics.test_tracking import on_road, raised, ready  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved():
    seen = []

    def receiver(sender, exception_id, shipment_id, kind, **kwargs):
        seen.append((kind, exception_id))

    shipment_exception_resolved.connect(receiver)
    yield seen
    shipment_exception_resolved.disconnect(receiver)


def test_a_watched_episode_opens_once_and_does_not_stop_the_shipment(
    on_road,  # noqa: F811
    raised,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    shipment = on_road()
    with django_capture_on_commit_callbacks(execute=True):
        first, created = exception_open(
            shipment=shipment, kind="temperature", details="9.5 °C", peak_value=9.5
        )
        same, again = exception_open(shipment=shipment, kind="temperature")
    assert created and not again and same.pk == first.pk
    assert raised == [("temperature", shipment.pk)]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED
    event = ShipmentEvent.objects.get(shipment=shipment, kind="exception")
    assert not event.visible_to_customer
    assert "9.5 °C" in event.description

    # The database itself refuses a second open episode.
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentException.objects.create(
            shipment=shipment, kind="temperature", started_at=timezone.now()
        )
    exception_end(exception=first)
    first.refresh_from_db()
    assert first.ended_at is not None
    ended_at = first.ended_at
    exception_end(exception=first, ended_at=timezone.now() + timedelta(hours=1))
    first.refresh_from_db()
    assert first.ended_at == ended_at  # an ended episode stays as it ended
    _next, created = exception_open(shipment=shipment, kind="temperature")
    assert created


def test_reported_problems_stop_the_shipment_each_time(
    on_road,  # noqa: F811
    raised,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    shipment = on_road()
    with django_capture_on_commit_callbacks(execute=True):
        lost, created = exception_open(shipment=shipment, kind="lost", details="中转站未找到")
        damaged, created_too = exception_open(shipment=shipment, kind="damaged")
    assert created and created_too and lost.pk != damaged.pk
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_from) == ("exception", "dispatched")
    assert raised == [("lost", shipment.pk), ("damaged", shipment.pk)]
    stops = ShipmentEvent.objects.filter(shipment=shipment, kind="status", to_status="exception")
    assert stops.count() == 1
    with pytest.raises(LogisticsInvalid):
        exception_open(shipment=shipment, kind="stolen")


def test_resolving_needs_a_resolution_and_happens_once(
    on_road,  # noqa: F811
    resolved,
    django_capture_on_commit_callbacks,
):
    shipment = on_road()
    problem, _ = exception_open(shipment=shipment, kind="failed_attempt")
    with pytest.raises(LogisticsInvalid) as err:
        exception_resolve(exception=problem, resolution="  ")
    assert err.value.field == "resolution"
    with django_capture_on_commit_callbacks(execute=True):
        exception_resolve(exception=problem, resolution="已约客户明天再送")
    problem.refresh_from_db()
    assert (problem.status, problem.resolution) == ("resolved", "已约客户明天再送")
    assert problem.resolved_at is not None
    assert resolved == [("failed_attempt", problem.pk)]
    with pytest.raises(ShipmentConflict):
        exception_resolve(exception=problem, resolution="again")


def test_a_resolved_condition_still_present_is_not_raised_again(on_road):  # noqa: F811
    now = timezone.now()
    shipment = on_road(planned_delivery_at=now + timedelta(hours=2))
    Shipment.objects.filter(pk=shipment.pk).update(eta=now + timedelta(hours=6), last_moved_at=now)
    assert exceptions_watch(now=now)["late_opened"] == 1
    late = ShipmentException.objects.get(shipment=shipment, kind="late")
    exception_resolve(exception=late, resolution="客户同意延后")
    assert exceptions_watch(now=now + timedelta(minutes=10))["late_opened"] == 0
    assert ShipmentException.objects.filter(shipment=shipment, kind="late").count() == 1


def test_the_watch_opens_late_and_still_shipments_once_and_ends_them(
    on_road,  # noqa: F811
    raised,  # noqa: F811
    django_capture_on_commit_callbacks,
    settings,
):
    now = timezone.now()
    running_late = on_road(planned_delivery_at=now + timedelta(hours=2))
    overdue = on_road(planned_delivery_at=now + timedelta(hours=1))
    on_time = on_road(planned_delivery_at=now + timedelta(hours=9))
    Shipment.objects.filter(pk=running_late.pk).update(eta=now + timedelta(hours=5))
    Shipment.objects.filter(pk=overdue.pk).update(
        planned_delivery_at=now - timedelta(hours=3), eta=now - timedelta(hours=3)
    )
    # Picked up a day ago (on_road); only on_time has moved since.
    Shipment.objects.filter(pk=on_time.pk).update(last_moved_at=now - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        first = exceptions_watch(now=now)
        second = exceptions_watch(now=now + timedelta(minutes=10))
    assert first == {
        "late_opened": 2,
        "late_ended": 0,
        "no_movement_opened": 2,
        "no_movement_ended": 0,
    }
    assert second == dict.fromkeys(first, 0)
    assert sorted(raised) == sorted(
        [
            ("late", running_late.pk),
            ("late", overdue.pk),
            ("no_movement", running_late.pk),
            ("no_movement", overdue.pk),
        ]
    )
    assert ShipmentException.objects.count() == 4
    late = ShipmentException.objects.get(shipment=overdue, kind="late")
    assert late.started_at == now - timedelta(hours=3)
    assert late.peak_value >= 3
    predicted = ShipmentException.objects.get(shipment=running_late, kind="late")
    assert predicted.peak_value == 3  # ETA three hours after the plan
    still = ShipmentException.objects.get(shipment=overdue, kind="no_movement")
    assert still.started_at == overdue.picked_up_at
    on_road_statuses = set(Shipment.objects.values_list("status", flat=True))
    assert on_road_statuses == {"dispatched"}  # watching never stops a shipment

    # The late one gets a better ETA and moves; the overdue one is delivered.
    Shipment.objects.filter(pk=running_late.pk).update(eta=now + timedelta(hours=1))
    tracking_event_ingest(
        shipment=running_late,
        external_id="GPS-1",
        status="到达",
        occurred_at=now,
        latitude=31.5,
        longitude=120.3,
    )
    moved = ShipmentException.objects.get(shipment=running_late, kind="no_movement")
    assert moved.ended_at == now  # ended on ingest, not only by the watch
    shipment_deliver(shipment=overdue, recipient_name="王芳")
    third = exceptions_watch(now=now + timedelta(minutes=20))
    assert third == {
        "late_opened": 0,
        "late_ended": 2,
        "no_movement_opened": 0,
        "no_movement_ended": 1,
    }
    assert not ShipmentException.objects.filter(ended_at__isnull=True).exists()
    assert ShipmentException.objects.filter(status="open").count() == 4  # for people to close

    settings.TRACKING_NO_MOVEMENT_HOURS = 0.5
    assert exceptions_watch(now=now + timedelta(minutes=25))["no_movement_opened"] == 1


def test_a_stopped_shipment_keeps_its_late_episode(on_road):  # noqa: F811
    now = timezone.now()
    shipment = on_road(planned_delivery_at=now + timedelta(hours=1))
    Shipment.objects.filter(pk=shipment.pk).update(eta=now + timedelta(hours=4), last_moved_at=now)
    exceptions_watch(now=now)
    exception_open(shipment=shipment, kind="damaged")
    assert exceptions_watch(now=now)["late_ended"] == 0
    assert ShipmentException.objects.get(kind="late").ended_at is None


def test_run_due_jobs_runs_the_watch(on_road, capsys):  # noqa: F811
    now = timezone.now()
    shipment = on_road(planned_delivery_at=now + timedelta(hours=1))
    Shipment.objects.filter(pk=shipment.pk).update(eta=now + timedelta(hours=3))
    call_command("run_due_jobs", "--only", "watch-shipments")
    call_command("run_due_jobs", "--only", "watch-shipments")
    out = capsys.readouterr().out
    assert out.count("ok watch-shipments (logistics.watch_shipments)") == 2
    assert ShipmentException.objects.filter(shipment=shipment, kind="late").count() == 1


def test_exceptions_over_the_api(
    on_road,  # noqa: F811
    staff_api,
    integration,
    client,
    resolved,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    shipments = [on_road() for _ in range(3)]
    for shipment in shipments:
        exception_open(shipment=shipment, kind="damaged", details="外箱破损")
        exception_open(shipment=shipment, kind="temperature", details="9 °C")
    target = ShipmentException.objects.filter(shipment=shipments[0], kind="damaged").get()
    url = f"/api/v1/shipment-exceptions/{target.pk}/resolve/"

    analyst = staff_api("analyst")
    with django_assert_max_num_queries(8):
        listed = analyst.get("/api/v1/shipment-exceptions/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 6
    assert analyst.post(url, {"resolution": "x"}, format="json").status_code == 403
    assert (
        staff_api("aftersales_agent").post(url, {"resolution": "x"}, format="json").status_code
        == 403
    )
    assert staff_api("account_manager").get("/api/v1/shipment-exceptions/").status_code == 403
    assert client.get("/api/v1/shipment-exceptions/").status_code == 401
    assert (
        integration("logistics:read").post(url, {"resolution": "x"}, format="json").status_code
        == 403
    )

    dispatcher = staff_api("dispatcher")
    blank = dispatcher.post(url, {"resolution": ""}, format="json")
    assert blank.status_code == 400
    assert list(blank.json()["error"]["fields"]) == ["resolution"]
    with django_capture_on_commit_callbacks(execute=True):
        done = dispatcher.post(url, {"resolution": "已补发新货"}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["resolution"]) == ("resolved", "已补发新货")
    assert resolved == [("damaged", target.pk)]
    assert dispatcher.post(url, {"resolution": "again"}, format="json").status_code == 409
    target.refresh_from_db()
    assert target.resolution == "已补发新货"

    number = shipments[0].number
    filtered = analyst.get(
        f"/api/v1/shipment-exceptions/?kind=damaged&status=resolved&shipment={number}"
    ).json()
    assert [(row["shipment"], row["kind"]) for row in filtered["results"]] == [(number, "damaged")]
    ongoing = analyst.get("/api/v1/shipment-exceptions/?ongoing=true&kind=temperature").json()
    assert ongoing["count"] == 3
    writer = integration("logistics:write logistics:read")
    other = ShipmentException.objects.filter(shipment=shipments[1], kind="damaged").get()
    r = writer.post(
        f"/api/v1/shipment-exceptions/{other.pk}/resolve/", {"resolution": "赔付"}, format="json"
    )
    assert r.status_code == 200


def test_hub_scans_without_coordinates_count_as_movement(on_road):  # noqa: F811
    """A courier reports hubs by name, not by GPS: a new place is movement."""
    now = timezone.now()
    shipment = on_road()  # picked up a day ago
    hubs = [("到达", "杭州转运中心", 5), ("离开", "嘉兴分拨中心", 3), ("到达", "上海转运中心", 1)]
    for index, (word, place, hours) in enumerate(hubs):
        tracking_event_ingest(
            shipment=shipment,
            external_id=f"H{index}",
            status=word,
            occurred_at=now - timedelta(hours=hours),
            location=place,
        )
    # The same place again is no movement.
    tracking_event_ingest(
        shipment=shipment,
        external_id="H9",
        status="到达",
        occurred_at=now - timedelta(minutes=30),
        location="上海转运中心",
    )
    shipment.refresh_from_db()
    assert shipment.last_moved_at == now - timedelta(hours=1)
    assert shipment.last_latitude is None
    assert exceptions_watch(now=now)["no_movement_opened"] == 0
    assert exceptions_watch(now=now + timedelta(hours=4))["no_movement_opened"] == 0
    assert not ShipmentException.objects.filter(shipment=shipment).exists()
    # Seven hours after the last hub it has not moved for the six allowed.
    assert exceptions_watch(now=now + timedelta(hours=6))["no_movement_opened"] == 1
    still = ShipmentException.objects.get(shipment=shipment, kind="no_movement")
    assert still.started_at == now - timedelta(hours=1)


def test_a_status_change_without_a_place_counts_as_movement(on_road):  # noqa: F811
    now = timezone.now()
    shipment = on_road()
    assert exceptions_watch(now=now)["no_movement_opened"] == 1
    tracking_event_ingest(
        shipment=shipment, external_id="O1", status="派送中", occurred_at=now - timedelta(hours=1)
    )
    shipment.refresh_from_db()
    assert shipment.last_moved_at == now - timedelta(hours=1)
    episode = ShipmentException.objects.get(shipment=shipment, kind="no_movement")
    assert episode.ended_at == now - timedelta(hours=1)  # ended on ingest


def test_a_shipment_still_in_the_warehouse_after_its_planned_delivery_is_late(
    ready,  # noqa: F811
):
    now = timezone.now()
    shipment = ready()
    Shipment.objects.filter(pk=shipment.pk).update(
        planned_delivery_at=now - timedelta(hours=2), eta=now - timedelta(hours=2)
    )
    first = exceptions_watch(now=now)
    assert (first["late_opened"], first["no_movement_opened"]) == (1, 0)
    assert exceptions_watch(now=now + timedelta(minutes=10)) == dict.fromkeys(first, 0)
    late = ShipmentException.objects.get(shipment=shipment)
    assert (late.kind, late.started_at, late.ended_at) == ("late", now - timedelta(hours=2), None)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED  # watching never stops a shipment


def test_the_watch_checks_again_under_the_lock(on_road, monkeypatch):  # noqa: F811
    """Between the watch's look-up and its lock the shipment was delivered
    and a new plan set: nothing is opened for what is no longer true."""
    from logistics.services import exceptions as watch

    now = timezone.now()
    shipment = on_road(planned_delivery_at=now - timedelta(hours=1))
    real = watch.shipment_for_update

    def meanwhile(shipment_id):
        Shipment.objects.filter(pk=shipment_id).update(
            planned_delivery_at=now + timedelta(hours=5), eta=None, last_moved_at=now
        )
        return real(shipment_id)

    monkeypatch.setattr(watch, "shipment_for_update", meanwhile)
    counts = exceptions_watch(now=now)
    assert (counts["late_opened"], counts["no_movement_opened"]) == (0, 0)
    assert not ShipmentException.objects.filter(shipment=shipment).exists()


def test_movement_before_the_pick_up_does_not_start_the_clock(on_road):  # noqa: F811
    """A hub scan or a position from before it left (staff recorded the
    dispatch late) is not when it last moved: the pick-up is later."""
    shipment = on_road()
    left = shipment.picked_up_at
    Shipment.objects.filter(pk=shipment.pk).update(last_moved_at=left - timedelta(hours=10))
    assert exceptions_watch(now=left + timedelta(hours=5))["no_movement_opened"] == 0
    assert exceptions_watch(now=left + timedelta(hours=7))["no_movement_opened"] == 1
    assert ShipmentException.objects.get(shipment=shipment).started_at == left
