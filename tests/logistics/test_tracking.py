"""Carrier tracking events (normalised, stored once, placed by time, moving
the shipment only forward) and warehouse scans."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from erp.core.models import AuditEvent
from logistics.models import ProofOfDelivery, Shipment, ShipmentEvent, ShipmentException
from logistics.services import (
    LogisticsInvalid,
    carrier_status_normalise,
    scan_event_record,
    shipment_create,
    shipment_dispatch,
    tracking_event_ingest,
)
from logistics.services.tracking import PICKED_UP, carrier_backlog_replay
from logistics.signals import shipment_exception_raised
from orders.models import Order
from orders.services import order_confirm

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def iso(when) -> str:
    return timezone.localtime(when).isoformat()


@pytest.fixture
def on_road(world, weighed, stock, place, carrier, packed):
    """A dispatched shipment of a one-line order. Its history is moved a day
    back, so carrier events of the last hours are newer than our dispatch."""

    def make(**options):
        stock("sh", "tea", 10)
        order = place(("tea", 2))
        order_confirm(order=order)
        shipment = shipment_create(order=order, warehouse=world["sh"], **options)
        packed(shipment)
        shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF100")
        ShipmentEvent.objects.filter(shipment=shipment).update(occurred_at=F("occurred_at") - DAY)
        Shipment.objects.filter(pk=shipment.pk).update(picked_up_at=F("picked_up_at") - DAY)
        shipment.refresh_from_db()
        return shipment

    return make


@pytest.fixture
def carrier_api(integration):
    api = integration("logistics:read logistics:write")
    # English answers, so the tests read the same once the catalogue is translated.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api.credentials_token}", HTTP_ACCEPT_LANGUAGE="en")
    return api


@pytest.fixture
def raised():
    """Exceptions signalled after commit, as (kind, shipment id)."""
    seen = []

    def receiver(sender, exception_id, shipment_id, order_id, kind, **kwargs):
        seen.append((kind, shipment_id))

    shipment_exception_raised.connect(receiver)
    yield seen
    shipment_exception_raised.disconnect(receiver)


def post_event(api, shipment, event_id, status, when, **extra):
    return api.post(
        f"/api/v1/shipments/{shipment.number}/events/",
        {"event_id": event_id, "status": status, "time": iso(when), **extra},
        format="json",
    )


@pytest.mark.parametrize(
    ("word", "carrier", "status", "problem"),
    [
        ("揽收", None, PICKED_UP, ""),
        ("已揽件", None, PICKED_UP, ""),
        ("picked_up", None, PICKED_UP, ""),
        ("in_transit", None, "in_transit", ""),
        ("InTransit", None, "in_transit", ""),
        ("运输中", None, "in_transit", ""),
        ("快件到达【上海转运中心】", None, "in_transit", ""),
        ("快件离开【杭州分拨中心】，发往【上海】", None, "in_transit", ""),
        ("派送中", None, "out_for_delivery", ""),
        ("out-for-delivery", None, "out_for_delivery", ""),
        ("OutForDelivery", None, "out_for_delivery", ""),
        ("派件", None, "out_for_delivery", ""),
        ("delivered", None, "delivered", ""),
        ("已签收", None, "delivered", ""),
        ("快件已签收，签收人：本人", None, "delivered", ""),
        ("failed_attempt", None, "", "failed_attempt"),
        ("AttemptFail", None, "", "failed_attempt"),
        ("派送失败", None, "", "failed_attempt"),
        ("客户拒收", None, "", "failed_attempt"),
        ("damaged", None, "", "damaged"),
        ("外包装破损", None, "", "damaged"),
        ("lost", None, "", "lost"),
        ("快件丢失", None, "", "lost"),
        ("returned", None, "returned_to_sender", ""),
        ("快件已退回", None, "returned_to_sender", ""),
        ("3", "KUAIDI100", "delivered", ""),
        ("5", "kuaidi100", "out_for_delivery", ""),
        ("14", "KUAIDI100", "", "failed_attempt"),
        ("3", None, "", ""),  # a bare code means nothing without its carrier
        ("InfoReceived", None, "", ""),
        ("海关查验", None, "", ""),
    ],
)
def test_carrier_words_and_codes_are_normalised(word, carrier, status, problem):
    meaning = carrier_status_normalise(word, carrier_code=carrier)
    assert (meaning.status, meaning.problem) == (status, problem)


def test_carrier_events_move_the_shipment_and_deliver_the_order(on_road, carrier_api):
    shipment = on_road()
    now = timezone.now()
    r = post_event(carrier_api, shipment, "E1", "运输中", now - timedelta(hours=5))
    assert r.status_code == 201, r.content
    assert r.json()["to_status"] == "in_transit"
    assert r.json()["source"] == "carrier"
    r = post_event(
        carrier_api,
        shipment,
        "E2",
        "派送中",
        now - timedelta(hours=2),
        location="上海市浦东新区张江营业点",
        latitude=31.2035,
        longitude="121.5914",
    )
    assert r.status_code == 201, r.content
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.OUT_FOR_DELIVERY
    assert (str(shipment.last_latitude), str(shipment.last_longitude)) == (
        "31.203500",
        "121.591400",
    )
    assert shipment.last_position_at == now - timedelta(hours=2)
    assert shipment.last_moved_at == now - timedelta(hours=2)

    r = post_event(
        carrier_api, shipment, "E3", "已签收", now - timedelta(minutes=30), recipient="王芳"
    )
    assert r.status_code == 201, r.content
    assert r.json()["to_status"] == "delivered"
    assert r.json()["external_id"] == "E3"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert ProofOfDelivery.objects.get(shipment=shipment).recipient_name == "王芳"
    shipment.order.refresh_from_db()
    assert shipment.order.status == Order.Status.DELIVERED

    timeline = carrier_api.get(f"/api/v1/shipments/{shipment.number}/events/").json()["results"]
    carrier_rows = [(e["external_id"], e["to_status"]) for e in timeline if e["external_id"]]
    assert carrier_rows == [("E1", "in_transit"), ("E2", "out_for_delivery"), ("E3", "delivered")]
    assert [e["to_status"] for e in timeline][:2] == ["planned", "picking"]


def test_delivered_without_recipient_uses_the_carriers_words(on_road, carrier_api):
    shipment = on_road()
    r = post_event(
        carrier_api, shipment, "D1", "delivered", timezone.now(), description="快递柜代收"
    )
    assert r.status_code == 201, r.content
    assert ProofOfDelivery.objects.get(shipment=shipment).recipient_name == "快递柜代收"


def test_the_same_event_twice_is_stored_once(on_road, carrier_api):
    shipment = on_road()
    when = timezone.now() - timedelta(hours=1)
    first = post_event(carrier_api, shipment, "SF-7", "in_transit", when, location="杭州")
    count = ShipmentEvent.objects.filter(shipment=shipment).count()
    again = post_event(carrier_api, shipment, "SF-7", "in_transit", when, location="杭州")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == count
    # The same id from another source is another event.
    scan, created = scan_event_record(
        shipment=shipment, scanner_id="DOCK-1", external_id="SF-7", code="SF100"
    )
    assert created and scan.source == "scanner"


def test_an_older_event_takes_its_place_and_does_not_move_the_status_back(on_road, carrier_api):
    shipment = on_road()
    now = timezone.now()
    delivered = post_event(carrier_api, shipment, "E9", "delivered", now - timedelta(hours=1))
    assert delivered.status_code == 201
    late = post_event(carrier_api, shipment, "E5", "in_transit", now - timedelta(hours=6))
    assert late.status_code == 201, late.content
    body = late.json()
    assert (body["kind"], body["to_status"]) == ("tracking", "in_transit")
    assert "latest status" in body["description"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    order = [
        e.external_id
        for e in ShipmentEvent.objects.filter(shipment=shipment).order_by("occurred_at", "pk")
        if e.external_id
    ]
    assert order == ["E5", "E9"]  # by when it happened, not by when it arrived


def test_a_status_the_table_refuses_is_kept_with_a_note(on_road, carrier_api):
    shipment = on_road()
    now = timezone.now()
    post_event(carrier_api, shipment, "A", "delivered", now - timedelta(hours=2))
    r = post_event(carrier_api, shipment, "B", "派送中", now - timedelta(hours=1))
    assert r.status_code == 201, r.content
    assert r.json()["to_status"] == "out_for_delivery"
    assert "Not applied" in r.json()["description"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED


def test_unknown_words_are_kept_as_tracking_events(on_road, carrier_api):
    shipment = on_road()
    r = post_event(carrier_api, shipment, "C1", "海关查验", timezone.now(), description="清关中")
    assert r.status_code == 201
    assert (r.json()["kind"], r.json()["to_status"]) == ("tracking", "")
    assert r.json()["carrier_status"] == "海关查验"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED


def test_picked_up_dispatches_a_packed_shipment(world, weighed, stock, place, packed, carrier):
    stock("sh", "tea", 5)
    order = place(("tea", 2))
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"], carrier=carrier)
    packed(shipment)
    event, created = tracking_event_ingest(
        shipment=shipment, external_id="P1", status="已揽件", occurred_at=timezone.now()
    )
    assert created and event.to_status == "dispatched"
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED
    assert order.status == Order.Status.SHIPPED  # the reservations were consumed
    event, _ = tracking_event_ingest(
        shipment=shipment, external_id="P2", status="揽收", occurred_at=timezone.now()
    )
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT


def test_failed_attempt_stops_the_shipment_until_it_goes_out_again(
    on_road, carrier_api, raised, django_capture_on_commit_callbacks
):
    shipment = on_road()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(carrier_api, shipment, "F1", "派送中", now - timedelta(hours=5))
        r = post_event(
            carrier_api,
            shipment,
            "F2",
            "派送失败",
            now - timedelta(hours=4),
            description="电话无人接听",
        )
    assert r.status_code == 201, r.content
    assert r.json()["to_status"] == "exception"
    shipment.refresh_from_db()
    assert (shipment.status, shipment.exception_from) == ("exception", "out_for_delivery")
    problem = ShipmentException.objects.get(shipment=shipment)
    assert (problem.kind, problem.status, problem.details) == (
        "failed_attempt",
        "open",
        "电话无人接听",
    )
    assert raised == [("failed_attempt", shipment.pk)]
    kinds = list(
        ShipmentEvent.objects.filter(shipment=shipment, kind="exception").values_list(
            "visible_to_customer", flat=True
        )
    )
    assert kinds == [True]

    # Out again the next morning: back on its way; the exception waits for a person.
    post_event(carrier_api, shipment, "F3", "派送中", now - timedelta(hours=1))
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.OUT_FOR_DELIVERY
    assert ShipmentException.objects.get(shipment=shipment).status == "open"


def test_damage_reported_after_delivery_is_recorded_without_moving_the_status(on_road, carrier_api):
    shipment = on_road()
    now = timezone.now()
    post_event(carrier_api, shipment, "D1", "delivered", now - timedelta(hours=3))
    r = post_event(carrier_api, shipment, "D2", "破损", now - timedelta(hours=1))
    assert r.status_code == 201
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert ShipmentException.objects.get(shipment=shipment).kind == "damaged"


def test_a_batch_of_events_is_all_or_nothing(on_road, carrier_api):
    shipment = on_road()
    now = timezone.now()
    url = f"/api/v1/shipments/{shipment.number}/events/"
    events = [
        {"event_id": "B1", "status": "in_transit", "time": iso(now - timedelta(hours=3))},
        {"event_id": "B2", "status": "派送中", "time": iso(now - timedelta(hours=2))},
    ]
    r = carrier_api.post(url, events, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["created"], r.json()["duplicates"]) == (2, 0)
    before = ShipmentEvent.objects.count()
    r = carrier_api.post(
        url,
        [*events, {"event_id": "B3", "status": "delivered", "time": iso(now)}],
        format="json",
    )
    assert r.status_code == 201
    assert (r.json()["created"], r.json()["duplicates"]) == (1, 2)
    assert ShipmentEvent.objects.count() == before + 1

    before = ShipmentEvent.objects.count()
    bad = [
        {"event_id": "B4", "status": "note", "time": iso(now)},
        {"event_id": "B5", "status": "note", "time": iso(now + timedelta(hours=2))},
    ]
    r = carrier_api.post(url, bad, format="json")
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["[1].time"]
    assert ShipmentEvent.objects.count() == before


def test_unknown_shipment_is_404_and_stores_nothing(on_road, carrier_api):
    on_road()
    before = ShipmentEvent.objects.count()
    r = post_event(carrier_api, Shipment(number="SH-NOPE"), "X1", "in_transit", timezone.now())
    assert r.status_code == 404
    assert "SH-NOPE" in r.json()["error"]["message"]
    assert carrier_api.get("/api/v1/shipments/SH-NOPE/events/").status_code == 404
    assert ShipmentEvent.objects.count() == before


def test_future_times_beyond_the_tolerance_are_refused(on_road, carrier_api, settings):
    shipment = on_road()
    before = ShipmentEvent.objects.count()
    r = post_event(
        carrier_api, shipment, "T1", "in_transit", timezone.now() + timedelta(minutes=30)
    )
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["time"]
    assert "future" in r.json()["error"]["message"]
    assert ShipmentEvent.objects.count() == before
    # Within the tolerance a fast clock is accepted.
    r = post_event(carrier_api, shipment, "T2", "in_transit", timezone.now() + timedelta(minutes=5))
    assert r.status_code == 201
    settings.TRACKING_FUTURE_TOLERANCE = timedelta(minutes=1)
    r = post_event(carrier_api, shipment, "T3", "in_transit", timezone.now() + timedelta(minutes=5))
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("coordinates", "field"),
    [
        ({"latitude": 91, "longitude": 121.5}, "latitude"),
        ({"latitude": 31.2, "longitude": -181}, "longitude"),
        ({"latitude": 31.2}, "longitude"),
        ({"longitude": 121.5}, "latitude"),
        ({"latitude": "北纬31度", "longitude": 121.5}, "latitude"),
        ({"latitude": "NaN", "longitude": 121.5}, "latitude"),
    ],
)
def test_malformed_coordinates_are_refused(on_road, carrier_api, coordinates, field):
    shipment = on_road()
    before = ShipmentEvent.objects.count()
    r = post_event(carrier_api, shipment, "G1", "in_transit", timezone.now(), **coordinates)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert ShipmentEvent.objects.count() == before
    shipment.refresh_from_db()
    assert shipment.last_latitude is None
    assert shipment.status == Shipment.Status.DISPATCHED


def test_who_may_post_and_read_events(on_road, integration, staff_api, client):
    shipment = on_road()
    url = f"/api/v1/shipments/{shipment.number}/events/"
    body = {"event_id": "P1", "status": "in_transit", "time": iso(timezone.now())}

    anonymous = client.post(url, body, content_type="application/json")
    assert anonymous.status_code == 401
    assert AuditEvent.objects.filter(kind="unauthenticated", path=url).exists()
    reader = integration("logistics:read")
    assert reader.post(url, body, format="json").status_code == 403
    assert reader.get(url).status_code == 200
    assert integration("orders:write").post(url, body, format="json").status_code == 403
    for role in ("order_clerk", "warehouse", "aftersales_agent"):
        api = staff_api(role)
        assert api.post(url, body, format="json").status_code == 403, role
        assert api.get(url).status_code == 200, role
    assert staff_api("account_manager").get(url).status_code == 403
    assert not ShipmentEvent.objects.filter(external_id="P1").exists()
    assert staff_api("dispatcher").post(url, body, format="json").status_code == 201


def test_timeline_reads_in_few_queries(on_road, carrier_api, django_assert_max_num_queries):
    shipment = on_road()
    for i in range(15):
        post_event(carrier_api, shipment, f"N{i}", "到达", timezone.now() - timedelta(minutes=i))
    with django_assert_max_num_queries(12):
        r = carrier_api.get(f"/api/v1/shipments/{shipment.number}/events/")
    assert r.status_code == 200
    assert r.json()["count"] == ShipmentEvent.objects.filter(shipment=shipment).count()


def test_scanner_events_check_the_label(on_road):
    shipment = on_road()
    with pytest.raises(LogisticsInvalid) as err:
        scan_event_record(shipment=shipment, scanner_id="DOCK-1", code="SH-OTHER")
    assert err.value.field == "code"
    with pytest.raises(LogisticsInvalid) as err:
        scan_event_record(shipment=shipment, scanner_id=" ", code=shipment.number)
    assert err.value.field == "scanner_id"
    when = timezone.now()
    event, created = scan_event_record(
        shipment=shipment,
        scanner_id="DOCK-1",
        code=shipment.number,
        location="上海仓 3号门",
        occurred_at=when,
    )
    assert created
    assert (event.kind, event.source, event.location) == ("scan", "scanner", "上海仓 3号门")
    assert "DOCK-1" in event.description
    again, created = scan_event_record(
        shipment=shipment, scanner_id="DOCK-1", code="SF100", occurred_at=when
    )
    assert not created and again.pk == event.pk
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED


@pytest.fixture
def ready(world, weighed, stock, place, packed, carrier):
    """A packed shipment of a one-line order, with the carrier (SF) unless
    told otherwise; it was planned a day ago."""

    def make(carrier=carrier):
        stock("sh", "tea", 10)
        order = place(("tea", 2))
        order_confirm(order=order)
        shipment = shipment_create(order=order, warehouse=world["sh"], carrier=carrier)
        packed(shipment)
        ShipmentEvent.objects.filter(shipment=shipment).update(occurred_at=F("occurred_at") - DAY)
        Shipment.objects.filter(pk=shipment.pk).update(created_at=F("created_at") - DAY)
        shipment.refresh_from_db()
        return shipment

    return make


def carrier_rows(shipment):
    """(event id, kind, to_status, visible) of the carrier's events, in time order."""
    return [
        (e.external_id, e.kind, e.to_status, e.visible_to_customer)
        for e in ShipmentEvent.objects.filter(shipment=shipment, source="carrier").order_by(
            "occurred_at", "pk"
        )
    ]


def test_events_before_the_pick_up_are_applied_once_it_is_picked_up(ready, carrier_api):
    """Delivered arrives first (a packed shipment cannot be delivered), then
    the older pick-up: it dispatches the shipment and the delivery waiting
    behind it is applied; the in-transit scan arriving last is older news."""
    shipment = ready()
    now = timezone.now()
    first = post_event(carrier_api, shipment, "A3", "已签收", now - timedelta(hours=1))
    assert first.status_code == 201, first.content
    assert "Not applied" in first.json()["description"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED

    pickup = post_event(carrier_api, shipment, "A1", "揽收", now - timedelta(hours=5))
    assert pickup.status_code == 201, pickup.content
    assert (pickup.json()["kind"], pickup.json()["to_status"]) == ("status", "dispatched")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.delivered_at == now - timedelta(hours=1)
    assert ProofOfDelivery.objects.get(shipment=shipment).delivered_at == now - timedelta(hours=1)
    shipment.order.refresh_from_db()
    assert shipment.order.status == Order.Status.DELIVERED

    late = post_event(carrier_api, shipment, "A2", "运输中", now - timedelta(hours=3))
    assert "latest status" in late.json()["description"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert carrier_rows(shipment) == [
        ("A1", "status", "dispatched", True),
        ("A2", "tracking", "in_transit", False),
        ("A3", "status", "delivered", True),
    ]


def test_events_before_staff_dispatch_are_applied_by_the_replay(ready, carrier_api, carrier):
    """The courier scanned the parcel all the way to the door before anybody
    clicked "dispatched": the dispatch is followed by the carrier's events."""
    shipment = ready()
    now = timezone.now()
    for event_id, word, hours in [("B1", "运输中", 3), ("B2", "派送中", 2), ("B3", "已签收", 1)]:
        r = post_event(
            carrier_api, shipment, event_id, word, now - timedelta(hours=hours), description="本人"
        )
        assert r.status_code == 201, r.content
        assert "Not applied" in r.json()["description"]
    # Not where the parcel is: the customer does not see them.
    assert carrier_rows(shipment) == [
        ("B1", "tracking", "in_transit", False),
        ("B2", "tracking", "out_for_delivery", False),
        ("B3", "tracking", "delivered", False),
    ]

    shipment = shipment_dispatch(shipment=shipment, carrier=carrier)
    carrier_backlog_replay(shipment=shipment)
    assert shipment.status == Shipment.Status.DELIVERED
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.delivered_at == now - timedelta(hours=1)
    # The carrier had it before we recorded the dispatch.
    assert shipment.picked_up_at == now - timedelta(hours=3)
    assert ProofOfDelivery.objects.get(shipment=shipment).recipient_name == "本人"
    assert carrier_rows(shipment) == [
        ("B1", "status", "in_transit", True),
        ("B2", "status", "out_for_delivery", True),
        ("B3", "status", "delivered", True),
    ]
    described = ShipmentEvent.objects.get(shipment=shipment, external_id="B2").description
    assert described == "本人"  # the carrier's words, without the note
    shipment.order.refresh_from_db()
    assert shipment.order.status == Order.Status.DELIVERED
    assert carrier_backlog_replay(shipment=shipment) == []  # nothing left to apply


def test_the_replay_stops_where_the_table_does(ready, carrier_api, carrier):
    shipment = ready()
    now = timezone.now()
    post_event(carrier_api, shipment, "C1", "派送中", now - timedelta(hours=2))
    post_event(carrier_api, shipment, "C2", "退回", now - timedelta(hours=1))
    shipment_dispatch(shipment=shipment, carrier=carrier)
    replayed = carrier_backlog_replay(shipment=shipment)
    shipment.refresh_from_db()
    # Out for delivery, then returned: both allowed in turn.
    assert shipment.status == Shipment.Status.RETURNED_TO_SENDER
    assert [e.to_status for e in replayed] in (
        ["out_for_delivery", "returned_to_sender"],
        [],  # the dispatch replayed them already
    )
    assert [row[1:] for row in carrier_rows(shipment)] == [
        ("status", "out_for_delivery", True),
        ("status", "returned_to_sender", True),
    ]


def test_staff_clicks_are_not_news_a_carrier_event_must_be_newer_than(on_road, carrier_api):
    """A status staff set after the carrier's scan does not make the scan old
    news: only what the carrier reported and we applied does."""
    shipment = on_road()
    now = timezone.now()
    ShipmentEvent.objects.filter(shipment=shipment, to_status="dispatched").update(
        occurred_at=now - timedelta(minutes=10)
    )
    r = post_event(carrier_api, shipment, "S1", "运输中", now - timedelta(hours=1))
    assert (r.json()["kind"], r.json()["to_status"]) == ("status", "in_transit")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT


def test_a_carrier_event_does_not_dispatch_without_the_carrier(ready, carrier_api):
    shipment = ready(carrier=None)
    r = post_event(carrier_api, shipment, "N1", "picked_up", timezone.now())
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["to_status"]) == ("tracking", "dispatched")
    assert "no carrier" in body["description"]
    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    assert shipment.order.status == Order.Status.IN_FULFILMENT  # no stock consumed
    assert not ShipmentEvent.objects.get(external_id="N1").visible_to_customer


def test_an_event_of_another_carrier_is_kept_and_not_applied(ready, carrier_api):
    shipment = ready()
    now = timezone.now()
    r = post_event(
        carrier_api, shipment, "Z1", "picked_up", now - timedelta(hours=2), carrier="ZTO"
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["kind"], body["to_status"]) == ("tracking", "")
    assert "ZTO" in body["description"] and "SF" in body["description"]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    # Its own carrier, in any case, and an aggregator's codes, do move it.
    r = post_event(carrier_api, shipment, "Z2", "揽收", now - timedelta(hours=1), carrier="sf")
    assert r.json()["to_status"] == "dispatched"
    r = post_event(carrier_api, shipment, "Z3", "5", now, carrier="KUAIDI100")
    assert r.json()["to_status"] == "out_for_delivery"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.OUT_FOR_DELIVERY


def test_times_outside_the_calendar_or_long_ago_are_refused(on_road, carrier_api):
    shipment = on_road()
    url = f"/api/v1/shipments/{shipment.number}/events/"
    for time in ("0001-01-01T00:00:00+08:00", iso(timezone.now() - timedelta(days=400))):
        r = carrier_api.post(
            url, {"event_id": "Y1", "status": "in_transit", "time": time}, format="json"
        )
        assert r.status_code == 400, r.content
        assert list(r.json()["error"]["fields"]) == ["time"]
    with pytest.raises(LogisticsInvalid) as err:
        tracking_event_ingest(
            shipment=shipment, external_id="Y2", status="in_transit", occurred_at=0
        )
    assert err.value.field == "occurred_at"
    assert not ShipmentEvent.objects.filter(external_id__startswith="Y").exists()
