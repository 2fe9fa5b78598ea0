"""Dispatch plans: the depot's packed shipments of a day on its vehicles,
solved within capacities, delivery windows and the time limit, no longer than
the nearest-neighbour baseline; released plans dispatch and consume stock."""

import random
import re
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from erp.core.db import lock_timeout
from erp.core.errors import DomainError, LockTimeout
from inventory.models import StockLevel, StockMove
from logistics.models import (
    Carrier,
    DispatchPlan,
    DispatchRoute,
    DispatchStop,
    Shipment,
    Vehicle,
)
from logistics.routing import haversine_metres
from logistics.services import (
    DispatchConflict,
    LogisticsInvalid,
    carrier_create,
    plan_cancel,
    plan_create,
    plan_release,
    plan_solve,
    shipment_cancel,
    shipment_create,
    vehicle_create,
)
from orders.services import order_confirm, order_hold, order_release

pytestmark = pytest.mark.django_db

DEPOT = (31.23, 121.47)  # SH01 of the `world` fixture
H = 3600


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def at(day, hour, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def box(world, stock):
    """A heavy carton (4 kg, 20 l), so a day's shipments fill the vans."""
    world["box"] = type(world["tea"]).objects.create(
        sku="BOX-1", name="礼盒", weight_kg=Decimal("4"), volume_m3=Decimal("0.02")
    )
    stock("sh", "box", 2000)
    stock("bj", "box", 100)
    return world["box"]


@pytest.fixture
def ship(world, box, place, packed):
    """A packed shipment of `units` boxes from `warehouse` to a point, with a window."""

    def make(units, point, window=None, *, warehouse="sh", pack=True, city="上海市", **extra):
        channel = world["channel"]
        if warehouse != "sh":
            channel.default_warehouse = world[warehouse]
            channel.save()
        order = place(("box", units))
        order_confirm(order=order)
        start, end = window or (None, None)
        shipment = shipment_create(
            order=order,
            warehouse=world[warehouse],
            destination=(
                city,
                None if point is None else Decimal(f"{point[0]:.6f}"),
                None if point is None else Decimal(f"{point[1]:.6f}"),
            ),
            window_start=start,
            planned_delivery_at=end,
            **extra,
        )
        if warehouse != "sh":
            channel.default_warehouse = world["sh"]
            channel.save()
        return packed(shipment) if pack else shipment

    return make


@pytest.fixture
def own_fleet(db):
    return carrier_create(code="OWN", name="自有车队", mode=Carrier.Mode.ROAD, own_fleet=True)


@pytest.fixture
def van(world, own_fleet):
    def make(plate, kg=600, m3="3", depot="sh", **extra):
        return vehicle_create(
            plate=plate,
            depot=world[depot],
            capacity_kg=kg,
            capacity_m3=Decimal(m3),
            carrier=own_fleet,
            **extra,
        )

    return make


def stops_of(plan):
    return list(
        DispatchStop.objects.filter(route__plan=plan)
        .select_related("shipment", "route__vehicle")
        .order_by("route__vehicle__plate", "sequence")
    )


def test_sixty_shipments_four_vans_respect_capacity_and_windows_and_beat_the_baseline(ship, van):
    rng = random.Random(7)
    day = tomorrow()
    for _n in range(60):
        point = (DEPOT[0] + rng.uniform(-0.2, 0.2), DEPOT[1] + rng.uniform(-0.25, 0.25))
        window = (at(day, 9), at(day, 12)) if rng.random() < 0.4 else (at(day, 13), at(day, 18))
        ship(rng.randint(2, 12), point, window)
    vans = [van(f"沪A·D{n}", kg=600, m3="3") for n in range(4)]
    total_kg = sum(s.weight_kg for s in Shipment.objects.all())
    # The capacities bind: no three vans carry the day, no van one window's load.
    assert total_kg > 3 * 600 * Decimal("0.5") and total_kg > 600

    plan = plan_create(depot=vans[0].depot, date=day, time_limit_seconds=3)
    assert plan.number == f"DP-{day:%Y%m%d}-{plan.pk:05d}"
    assert plan.shipments.count() == 60 and plan.vehicles.count() == 4

    started = time.monotonic()
    plan = plan_solve(plan=plan)
    took = time.monotonic() - started
    # Wall time of the whole call, preparation and storing included.
    assert took <= plan.time_limit_seconds + 1.0, took

    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.SOLVED
    stops = stops_of(plan)
    # Every shipment on exactly one route; none left out.
    assert sorted(s.shipment_id for s in stops) == sorted(
        plan.shipments.values_list("pk", flat=True)
    )
    assert plan.note == ""
    routes = list(plan.routes.select_related("vehicle"))
    assert 3 <= len(routes) <= 4
    for route in routes:
        carried = [s.shipment for s in stops if s.route_id == route.pk]
        weight = sum(s.weight_kg for s in carried)
        volume = sum(s.volume_m3 for s in carried)
        assert weight <= route.vehicle.capacity_kg, (route.vehicle, weight)
        assert volume <= route.vehicle.capacity_m3, (route.vehicle, volume)
        assert (route.load_kg, route.load_m3) == (weight, volume)
        assert at(day, 8) <= route.starts_at < route.ends_at <= at(day, 20)
        # The legs add up to the route (plus the way back to the depot).
        legs = [s for s in stops if s.route_id == route.pk]
        last = legs[-1].shipment
        back = haversine_metres(
            (float(last.destination_latitude), float(last.destination_longitude)), DEPOT
        )
        assert sum(s.distance_from_previous_m for s in legs) + back == route.distance_m
        etas = [s.eta for s in legs]
        assert etas == sorted(etas)
    for stop in stops:
        shipment = stop.shipment
        assert shipment.window_start <= stop.eta <= shipment.planned_delivery_at, stop
        assert shipment.eta == stop.eta  # the customer-facing ETA follows the plan
    assert plan.total_distance_m == sum(r.distance_m for r in routes)
    assert plan.baseline_distance_m is not None
    assert plan.total_distance_m <= plan.baseline_distance_m
    assert plan.solve_seconds <= plan.time_limit_seconds + 1


def test_bad_input_is_refused_with_the_field_and_stores_nothing(ship, van, world, staff_api, place):
    day = tomorrow()
    here = ship(2, (31.30, 121.50), (at(day, 9), at(day, 12)))
    beijing = ship(2, (39.95, 116.40), warehouse="bj")
    planned = ship(2, (31.25, 121.40), pack=False)
    nowhere = ship(2, None, city="")
    overdue = ship(
        2, (31.26, 121.41), (at(day - timedelta(days=1), 9), at(day - timedelta(days=1), 18))
    )
    api = staff_api("dispatcher")

    def post(**body):
        body = {"depot": "SH01", "date": day.isoformat(), **body}
        return api.post("/api/v1/dispatch-plans/", body, format="json")

    no_van = post(shipments=[here.number])
    assert no_van.status_code == 400
    assert "vehicles" in no_van.json()["error"]["fields"]
    van("沪A·D1")
    van("京B·E1", depot="bj")
    cases = [
        ({"depot": "XX99"}, 400, "depot"),
        ({"date": "tomorrow"}, 400, "date"),
        ({"date": (day - timedelta(days=3)).isoformat()}, 400, "date"),
        ({"date": "9999-12-31"}, 400, "date"),
        ({"date": (day + timedelta(days=60)).isoformat()}, 400, "date"),  # 61 days ahead
        ({"time_limit_seconds": 0}, 400, "time_limit_seconds"),
        ({"time_limit_seconds": 61}, 400, "time_limit_seconds"),
        ({"shift_start": "18:00", "shift_end": "09:00"}, 400, "shift_end"),
        ({"shipments": ["SH-NOPE"]}, 400, "shipments"),
        ({"shipments": []}, 400, "shipments"),
        ({"shipments": [here.number, beijing.number]}, 400, "shipments"),
        ({"shipments": [planned.number]}, 409, "shipments"),
        ({"shipments": [nowhere.number]}, 400, "shipments"),
        ({"shipments": [overdue.number]}, 400, "shipments"),
        ({"vehicles": ["京B·E1"]}, 400, "vehicles"),
        ({"vehicles": ["NO-SUCH"]}, 400, "vehicles"),
    ]
    for body, code, field in cases:
        response = post(**body)
        assert response.status_code == code, (body, response.content)
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert not DispatchPlan.objects.exists()

    # By default the plan takes the shipment due that day, not the others.
    created = post()
    assert created.status_code == 201, created.content
    assert created.json()["shipments"] == [here.number]
    assert created.json()["vehicles"] == ["沪A·D1"]
    assert created.json()["status"] == "draft" and created.json()["unassigned"] == []
    # A shipment is on one open plan at a time.
    again = post(shipments=[here.number])
    assert again.status_code == 409
    assert created.json()["number"] in again.json()["error"]["fields"]["shipments"][0]
    assert post().status_code == 400  # nothing left to plan
    plan_cancel(plan=DispatchPlan.objects.get())  # frees `here` again
    Vehicle.objects.filter(plate="沪A·D1").update(status=Vehicle.Status.MAINTENANCE)
    with pytest.raises(DispatchConflict) as err:
        plan_create(
            depot=world["sh"],
            date=day,
            shipments=[here],
            vehicles=[Vehicle.objects.get(plate="沪A·D1")],
        )
    assert err.value.field == "vehicles"
    with pytest.raises(LogisticsInvalid) as err:
        plan_create(depot=world["sh"], date=day, shipments=[here], time_limit_seconds=120)
    assert err.value.field == "time_limit_seconds"
    assert DispatchPlan.objects.count() == 1


@pytest.fixture
def small_day(ship, van):
    """Five shipments around the depot tomorrow and two vans."""
    day = tomorrow()
    points = [(31.30, 121.50), (31.32, 121.55), (31.18, 121.40), (31.15, 121.45), (31.25, 121.60)]
    shipments = [ship(3, point, (at(day, 9), at(day, 17))) for point in points]
    vans = [van("沪A·D1", kg=100, m3="1"), van("沪A·D2", kg=100, m3="1")]
    return day, shipments, vans


def test_release_dispatches_every_routed_shipment_and_consumes_stock(
    small_day, staff_api, own_fleet, world
):
    day, _shipments, _vans = small_day
    api = staff_api("dispatcher")
    number = api.post(
        "/api/v1/dispatch-plans/",
        {"depot": "SH01", "date": day.isoformat(), "time_limit_seconds": 1},
        format="json",
    ).json()["number"]
    early = api.post(f"/api/v1/dispatch-plans/{number}/release/")
    assert early.status_code == 409 and "status" in early.json()["error"]["fields"]
    solved = api.post(f"/api/v1/dispatch-plans/{number}/solve/")
    assert solved.status_code == 200, solved.content
    body = solved.json()
    assert body["status"] == "solved" and body["unassigned"] == []
    assert sum(len(r["stops"]) for r in body["routes"]) == 5
    for route in body["routes"]:
        assert route["capacity_kg"] == 100
        assert Decimal(route["load_kg"]) <= 100  # 12 kg per shipment
        assert [s["sequence"] for s in route["stops"]] == list(range(1, len(route["stops"]) + 1))
    box = StockLevel.objects.get(warehouse=world["sh"], product__sku="BOX-1")
    assert (box.on_hand, box.reserved) == (2000, 15)

    released = api.post(f"/api/v1/dispatch-plans/{number}/release/")
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "released"
    box.refresh_from_db()
    assert (box.on_hand, box.reserved) == (1985, 0)
    assert StockMove.objects.filter(kind=StockMove.Kind.SHIPMENT).count() == 5
    plan = DispatchPlan.objects.get(number=number)
    for stop in stops_of(plan):
        shipment = stop.shipment
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.DISPATCHED
        assert shipment.vehicle == stop.route.vehicle
        assert shipment.carrier == own_fleet
        # The carbon distance is what it rides on the van, as road distance.
        on_board = sum(
            s.distance_from_previous_m
            for s in stops_of(plan)
            if s.route_id == stop.route_id and s.sequence <= stop.sequence
        )
        expected = (Decimal(on_board) / 1000 * Decimal("1.25")).quantize(Decimal("0.01"))
        assert shipment.distance_km == expected
        assert shipment.co2e_kg == (expected * Decimal("0.012") * Decimal("105") / 1000).quantize(
            Decimal("0.001")
        )
    used = {r.vehicle_id for r in plan.routes.all()}
    assert {v.pk for v in Vehicle.objects.filter(status=Vehicle.Status.ON_ROUTE)} == used
    again = api.post(f"/api/v1/dispatch-plans/{number}/release/")
    assert again.status_code == 409
    assert api.post(f"/api/v1/dispatch-plans/{number}/cancel/").status_code == 409


def test_release_is_all_or_nothing(small_day, world):
    day, shipments, _vans = small_day
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    shipment_cancel(shipment=shipments[2], reason="客户取消")
    with pytest.raises(DomainError) as err:
        plan_release(plan=plan)
    assert err.value.field == "shipments" and shipments[2].number in err.value.message
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.SOLVED
    assert Shipment.objects.filter(status=Shipment.Status.DISPATCHED).count() == 0
    assert Shipment.objects.filter(distance_km__isnull=False).count() == 0
    assert not StockMove.objects.filter(kind=StockMove.Kind.SHIPMENT).exists()
    assert set(Vehicle.objects.values_list("status", flat=True)) == {"available"}

    # Solving again takes the cancelled shipment off the plan, and says so.
    plan = plan_solve(plan=plan)
    assert shipments[2].number in plan.note
    assert not plan.shipments.filter(pk=shipments[2].pk).exists()
    plan_release(plan=plan)
    assert Shipment.objects.filter(status=Shipment.Status.DISPATCHED).count() == 4


def test_resolving_replaces_the_routes(small_day, world):
    day, _shipments, vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    plan_solve(plan=plan)
    first = set(DispatchRoute.objects.values_list("pk", flat=True))
    assert DispatchStop.objects.count() == 5
    vans[0].status = Vehicle.Status.MAINTENANCE
    vans[0].save()
    plan = plan_solve(plan=plan)
    routes = list(plan.routes.all())
    assert not first & {r.pk for r in routes}  # the old ones are gone
    assert [r.vehicle for r in routes] == [vans[1]]
    assert DispatchStop.objects.count() == 5 and DispatchRoute.objects.count() == 1
    assert vans[0].plate in plan.note
    assert not plan.vehicles.filter(pk=vans[0].pk).exists()


def test_shipments_that_fit_no_vehicle_are_reported_not_dropped(small_day, ship, world, staff_api):
    day, _shipments, _vans = small_day
    heavy = ship(30, (31.28, 121.52), (at(day, 9), at(day, 17)))  # 120 kg > 100 kg vans
    late = ship(1, (31.29, 121.48), (at(day, 6), at(day, 7)))  # before the shift
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    assert heavy.number in plan.note and late.number in plan.note
    body = staff_api("analyst").get(f"/api/v1/dispatch-plans/{plan.number}/").json()
    assert sorted(body["unassigned"]) == sorted([heavy.number, late.number])
    assert sum(len(r["stops"]) for r in body["routes"]) == 5
    heavy.refresh_from_db()
    assert heavy.eta == heavy.planned_delivery_at  # no stop, the promise stays
    page = staff_api("dispatcher").get(f"/logistics/dispatch-plans/{plan.number}/")
    html = page.content.decode()
    assert 'id="unassigned"' in html and heavy.number in html
    plan = plan_release(plan=plan)
    heavy.refresh_from_db()
    assert heavy.status == Shipment.Status.PACKED  # stays for another plan


def test_cold_chain_shipments_ride_only_in_a_refrigerated_van(ship, van, world):
    day = tomorrow()
    cold = ship(1, (31.30, 121.50), temperature_range=(Decimal("2"), Decimal("8")))
    dry = [ship(1, (31.31 + n / 100, 121.45)) for n in range(3)]
    van("沪A·D1", kg=500)
    fridge = van("沪A·L1", kg=500, refrigerated=True)
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    stop = DispatchStop.objects.get(shipment=cold)
    assert stop.route.vehicle == fridge
    assert DispatchStop.objects.filter(route__plan=plan).count() == 4
    assert len(dry) == 3


def test_cancel_frees_the_shipments_for_another_plan(small_day, world):
    day, shipments, _vans = small_day
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    shipments[0].refresh_from_db()
    assert shipments[0].eta != shipments[0].planned_delivery_at
    plan_cancel(plan=plan)
    shipments[0].refresh_from_db()
    assert shipments[0].eta == shipments[0].planned_delivery_at
    with pytest.raises(DispatchConflict):
        plan_solve(plan=plan)
    other = plan_create(depot=world["sh"], date=day)
    assert other.shipments.count() == 5


def test_plan_page_draws_one_route_per_vehicle(
    small_day, world, role_client, django_assert_max_num_queries
):
    day, shipments, _vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    client = role_client("dispatcher")
    draft = client.get(f"/logistics/dispatch-plans/{plan.number}/").content.decode()
    assert 'id="not-solved"' in draft and 'id="route-map"' in draft
    assert draft.count('class="waiting"') == 5 and "route-line" not in draft
    assert 'id="action-solve"' in draft and 'id="action-release"' not in draft

    assert client.post(f"/logistics/dispatch-plans/{plan.number}/solve/").status_code == 302
    with django_assert_max_num_queries(12):
        solved = client.get(f"/logistics/dispatch-plans/{plan.number}/")
    assert solved.status_code == 200
    html = solved.content.decode()
    routes = list(plan.routes.all())
    assert html.count('<polyline class="route-line"') == len(routes) >= 1
    assert html.count('class="stop"') == 5 and 'class="depot"' in html
    assert 'class="waiting"' not in html
    # Every point inside the box, and no request leaves this server.
    for x, y in re.findall(r"translate\(([\d.]+) ([\d.]+)\)", html):
        assert 0 <= float(x) <= 800 and 0 <= float(y) <= 520
    assert "http://" not in html.split('id="route-map"')[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    for route in routes:
        assert f'data-vehicle="{route.vehicle.plate}"' in html
    assert 'id="total-km"' in html and 'id="baseline-km"' in html
    assert "%" in html  # load as a share of capacity
    for shipment in shipments:
        assert shipment.number in html
    assert 'id="action-release"' in html

    listing = client.get("/logistics/dispatch-plans/?status=solved").content.decode()
    assert plan.number in listing
    # Distances in km, as on the plan's page.
    plan.refresh_from_db()
    km = (Decimal(plan.total_distance_m) / 1000).quantize(Decimal("0.1"))
    listing = client.get("/logistics/dispatch-plans/?status=solved").content.decode()
    assert f"<td>{km}</td>" in listing, km
    assert f"<td>{plan.total_distance_m}</td>" not in listing


def test_new_plan_form(small_day, world, role_client, van):
    day, _shipments, vans = small_day
    beijing = van("京B·E1", depot="bj")
    client = role_client("dispatcher")
    page = client.get("/logistics/dispatch-plans/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="breadcrumb"' in html and "/logistics/dispatch-plans/" in html
    assert "bi-upc-scan" not in html  # nothing is scanned here
    # No depot chosen yet: the vans are grouped by their depot.
    vehicles = html.split('id="plan-vehicles"')[1].split("</select>")[0]
    assert vehicles.count("<optgroup") == 2
    assert vehicles.index("BJ01") < vehicles.index(beijing.plate) < vehicles.index("SH01")
    assert vehicles.index("SH01") < vehicles.index(vans[0].plate)
    # A depot chosen: only its vans.
    sh_only = client.get(f"/logistics/dispatch-plans/new/?depot={world['sh'].pk}").content.decode()
    vehicles = sh_only.split('id="plan-vehicles"')[1].split("</select>")[0]
    assert vans[0].plate in vehicles and vans[1].plate in vehicles
    assert beijing.plate not in vehicles and "<optgroup" not in vehicles
    bad = client.post(
        "/logistics/dispatch-plans/new/",
        {
            "depot": world["bj"].pk,
            "date": day.isoformat(),
            "time_limit_seconds": 5,
            "shift_start": "08:00",
            "shift_end": "20:00",
        },
    )
    assert bad.status_code == 200 and not DispatchPlan.objects.exists()
    assert "BJ01" in bad.content.decode()  # no vehicle there: said on the form
    done = client.post(
        "/logistics/dispatch-plans/new/",
        {
            "depot": world["sh"].pk,
            "date": day.isoformat(),
            "vehicles": [vans[1].pk],
            "time_limit_seconds": 2,
            "shift_start": "08:00",
            "shift_end": "20:00",
        },
    )
    plan = DispatchPlan.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/{plan.number}/")
    assert list(plan.vehicles.all()) == [vans[1]] and plan.time_limit_seconds == 2
    # Another depot's van is no choice for this depot.
    plan_cancel(plan=plan)
    wrong = client.post(
        "/logistics/dispatch-plans/new/",
        {
            "depot": world["sh"].pk,
            "date": day.isoformat(),
            "vehicles": [beijing.pk],
            "time_limit_seconds": 2,
            "shift_start": "08:00",
            "shift_end": "20:00",
        },
    )
    assert wrong.status_code == 200 and DispatchPlan.objects.count() == 1


def test_who_may_see_and_change_plans(small_day, world, role_client, staff_api, client):
    day, _shipments, _vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    warehouse = role_client("warehouse")
    assert warehouse.get("/logistics/dispatch-plans/").status_code == 200  # may look
    assert warehouse.get("/logistics/dispatch-plans/new/").status_code == 403
    assert warehouse.post(f"/logistics/dispatch-plans/{plan.number}/solve/").status_code == 403
    page = warehouse.get(f"/logistics/dispatch-plans/{plan.number}/").content.decode()
    assert 'id="plan-actions"' not in page
    assert role_client("account_manager").get("/logistics/dispatch-plans/").status_code == 403

    anonymous = client.get("/logistics/dispatch-plans/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert client.post(f"/logistics/dispatch-plans/{plan.number}/solve/").status_code == 302

    api = staff_api("warehouse")
    assert api.get("/api/v1/dispatch-plans/").status_code == 200
    body = {"depot": "SH01", "date": day.isoformat()}
    assert api.post("/api/v1/dispatch-plans/", body, format="json").status_code == 403
    assert api.post(f"/api/v1/dispatch-plans/{plan.number}/solve/").status_code == 403
    assert api.post(f"/api/v1/dispatch-plans/{plan.number}/release/").status_code == 403
    assert (
        staff_api("order_clerk").post(f"/api/v1/dispatch-plans/{plan.number}/cancel/").status_code
        == 403
    )
    assert APIClient().get("/api/v1/dispatch-plans/").status_code == 401
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.DRAFT


def test_list_api_filters_and_schema(
    small_day, ship, world, integration, django_assert_max_num_queries
):
    day, shipments, _vans = small_day
    first = plan_create(depot=world["sh"], date=day, shipments=shipments[:2])
    anytime = ship(1, (31.3, 121.5))  # no delivery window: any day will do
    plan_create(depot=world["sh"], date=day + timedelta(days=1), shipments=[anytime])
    plan_cancel(plan=first)
    api = integration("logistics:read")
    with django_assert_max_num_queries(12):
        listed = api.get("/api/v1/dispatch-plans/").json()
    assert listed["count"] == 2
    assert api.get(f"/api/v1/dispatch-plans/?date={day}").json()["results"][0]["number"] == (
        first.number
    )
    assert api.get("/api/v1/dispatch-plans/?status=draft").json()["count"] == 1
    assert api.get("/api/v1/dispatch-plans/?depot=BJ01").json()["count"] == 0
    by_depot = api.get("/api/v1/dispatch-plans/?depot=SH01").json()["results"]
    assert [(p["date"], p["shipment_count"], p["status"]) for p in by_depot] == [
        (str(day + timedelta(days=1)), 1, "draft"),
        (str(day), 2, "cancelled"),
    ]
    writer = api.post("/api/v1/dispatch-plans/", {"depot": "SH01", "date": str(day)})
    assert writer.status_code == 403  # read scope only

    paths = Client().get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/dispatch-plans/",
        "/api/v1/dispatch-plans/{number}/",
        "/api/v1/dispatch-plans/{number}/solve/",
        "/api/v1/dispatch-plans/{number}/release/",
        "/api/v1/dispatch-plans/{number}/cancel/",
    ):
        assert path in paths, path


def test_a_shipment_is_on_one_open_plan_whatever_the_day(ship, van, world, staff_api):
    day = tomorrow()
    van("沪A·D1")
    anytime = ship(1, (31.30, 121.50))  # no window: any day will do
    fixed = ship(1, (31.31, 121.52), (at(day, 9), at(day, 17)))
    later = plan_create(depot=world["sh"], date=day + timedelta(days=1), shipments=[anytime])
    with translation.override("en"), pytest.raises(DispatchConflict) as err:
        plan_create(depot=world["sh"], date=day, shipments=[anytime, fixed])
    assert err.value.field == "shipments"
    assert f"{anytime.number} ({later.number})" in err.value.message
    assert "another open plan" in err.value.message
    # The default selection of the other day leaves it out.
    today_plan = plan_create(depot=world["sh"], date=day)
    assert list(today_plan.shipments.all()) == [fixed]
    # Once that plan is cancelled, the shipment is free again.
    plan_cancel(plan=later)
    other = staff_api("dispatcher").post(
        "/api/v1/dispatch-plans/",
        {"depot": "SH01", "date": (day + timedelta(days=2)).isoformat()},
        format="json",
    )
    assert other.status_code == 201 and other.json()["shipments"] == [anytime.number]


def test_shipments_of_stopped_orders_are_refused_skipped_and_taken_off(small_day, world, van):
    day, shipments, _vans = small_day
    held = shipments[1]
    order_hold(order=held.order, reason="客户要求暂缓")

    with pytest.raises(DispatchConflict) as err:
        plan_create(depot=world["sh"], date=day, shipments=[shipments[0], held])
    assert err.value.field == "shipments"
    assert held.number in err.value.message and "挂起" in err.value.message  # on hold
    assert shipments[0].number not in err.value.message

    # The default selection skips it.
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    assert held not in plan.shipments.all() and plan.shipments.count() == 4
    plan_cancel(plan=plan)

    # Chosen while its order could ship, held before the solve: the solve takes it off.
    order_release(order=held.order)
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    order_hold(order=held.order, reason="客户要求暂缓")
    with translation.override("en"):
        plan = plan_solve(plan=plan)
    assert held.number in plan.note and "on hold" in plan.note
    assert not plan.shipments.filter(pk=held.pk).exists()
    assert DispatchStop.objects.filter(route__plan=plan).count() == 4
    plan_release(plan=plan)
    assert Shipment.objects.filter(status=Shipment.Status.DISPATCHED).count() == 4
    held.refresh_from_db()
    assert held.status == Shipment.Status.PACKED


def test_release_takes_off_shipments_whose_order_stopped_after_the_solve(small_day, world):
    day, _shipments, _vans = small_day
    plan = plan_solve(plan=plan_create(depot=world["sh"], date=day, time_limit_seconds=1))
    # The first stop of a route with more, so the next stop's leg changes.
    first = next(
        stop
        for stop in DispatchStop.objects.filter(route__plan=plan, sequence=1)
        if stop.route.stops.count() > 1
    )
    held = first.shipment
    order_hold(order=held.order, reason="客户要求暂缓")

    plan = plan_release(plan=plan)
    assert plan.status == DispatchPlan.Status.RELEASED
    assert held.number in plan.note
    assert not plan.shipments.filter(pk=held.pk).exists()
    held.refresh_from_db()
    assert held.status == Shipment.Status.PACKED and held.vehicle is None
    assert held.eta == held.planned_delivery_at  # back to its promise
    dispatched = Shipment.objects.filter(status=Shipment.Status.DISPATCHED)
    assert dispatched.count() == 4
    box = StockLevel.objects.get(warehouse=world["sh"], product__sku="BOX-1")
    assert (box.on_hand, box.reserved) == (2000 - 12, 3)  # the held order keeps its units
    # The routes without the stop: numbered again, legs and distances measured again.
    routes = list(plan.routes.all())
    for route in routes:
        legs = stops_of(plan)
        legs = [s for s in legs if s.route_id == route.pk]
        assert [s.sequence for s in legs] == list(range(1, len(legs) + 1))
        here, total = DEPOT, 0
        for stop in legs:
            point = (
                float(stop.shipment.destination_latitude),
                float(stop.shipment.destination_longitude),
            )
            assert stop.distance_from_previous_m == haversine_metres(here, point)
            total += stop.distance_from_previous_m
            here = point
        assert route.distance_m == total + haversine_metres(here, DEPOT)
        assert route.load_kg == sum(s.shipment.weight_kg for s in legs)
    assert plan.total_distance_m == sum(r.distance_m for r in routes)
    assert {s.shipment_id for s in stops_of(plan)} == set(dispatched.values_list("pk", flat=True))


def test_release_refuses_when_no_order_of_the_plan_can_ship(small_day, world):
    day, shipments, _vans = small_day
    plan = plan_solve(
        plan=plan_create(depot=world["sh"], date=day, shipments=shipments[:1], time_limit_seconds=1)
    )
    order_hold(order=shipments[0].order, reason="客户要求暂缓")
    with pytest.raises(DispatchConflict) as err:
        plan_release(plan=plan)
    assert err.value.field == "shipments" and shipments[0].number in err.value.message
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.SOLVED and plan.routes.count() == 1


def test_lock_timeout_turns_a_deadlock_into_the_retry_error():
    """PostgreSQL's deadlock_detected (40P01), as Django wraps it."""

    class DeadlockDetected(Exception):
        pgcode = "40P01"

    with pytest.raises(LockTimeout) as err, lock_timeout():
        raise OperationalError("deadlock detected") from DeadlockDetected()
    assert err.value.status_code == 409 and err.value.code == "lock_timeout"
    with pytest.raises(OperationalError), lock_timeout():  # anything else stays what it is
        raise OperationalError("server closed the connection unexpectedly")


def _solve_twice_at_once(plan):
    """Two solves of one plan started together, each on its own connection."""
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            plan_solve(plan=plan)
        except Exception as exc:  # collected: the test says which are allowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_solves_of_one_plan_run_one_after_the_other(small_day, world):
    day, shipments, _vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    errors = _solve_twice_at_once(plan)
    assert errors == []  # the second waited for the first, then solved again
    assert DispatchStop.objects.count() == 5
    assert sorted(DispatchStop.objects.values_list("shipment_id", flat=True)) == sorted(
        s.pk for s in shipments
    )


def _cancel_while_solving(plan, monkeypatch):
    """A solve of `plan` pauses once it computes; a cancel of the same plan
    starts then, and the solve goes on once the cancel is done or waits for
    a lock. Returns the errors of both."""
    from logistics import routing

    plan_routes = routing.plan_routes
    solving, cancel_tried = threading.Event(), threading.Event()
    errors = []

    def paused(**kwargs):
        solving.set()
        cancel_tried.wait(10)
        return plan_routes(**kwargs)

    monkeypatch.setattr(routing, "plan_routes", paused)

    def run(job, start=None):
        try:
            if start is not None:
                start.wait(10)
            job()
        except Exception as exc:  # collected: the tests say which are allowed
            errors.append(exc)
        finally:
            connection.close()

    solver = threading.Thread(target=run, args=(lambda: plan_solve(plan=plan),))
    canceller = threading.Thread(target=run, args=(lambda: plan_cancel(plan=plan), solving))
    solver.start()
    canceller.start()
    solving.wait(10)
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while canceller.is_alive() and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
    cancel_tried.set()
    solver.join(30)
    canceller.join(30)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancel_during_a_solve_waits_and_wins(small_day, world, monkeypatch):
    day, shipments, _vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    errors = _cancel_while_solving(plan, monkeypatch)
    assert errors == []  # the cancel waited for the solve, then cancelled it
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.CANCELLED
    for shipment in Shipment.objects.filter(pk__in=[s.pk for s in shipments]):
        assert shipment.eta == shipment.planned_delivery_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_plan_lock_a_cancelled_plan_comes_back_solved(
    small_day, world, monkeypatch
):
    """Without the plan's row lock the cancel goes through while the solve
    computes, and the solve then stores its routes on the cancelled plan and
    marks it solved. (Two solves at once no longer collide on the routes even
    without it: the shipments' row locks taken before the routes are stored
    serialise that part.)"""
    from logistics.services import dispatch

    day, _shipments, _vans = small_day
    plan = plan_create(depot=world["sh"], date=day, time_limit_seconds=1)
    monkeypatch.setattr(
        dispatch,
        "_plan_for_update",
        lambda plan: DispatchPlan.objects.select_related("depot").get(pk=plan.pk),
    )
    errors = _cancel_while_solving(plan, monkeypatch)
    assert errors == []
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.SOLVED  # raced: the cancel is lost
    assert plan.routes.exists()
