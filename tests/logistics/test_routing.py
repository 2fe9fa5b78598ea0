"""The route planner: capacities, time windows and shifts are respected, the
plan is no longer than the nearest-neighbour baseline, and it stops in time."""

import random
from pathlib import Path

import pytest
from django.conf import settings

from logistics.cvrplib import read_instance
from logistics.routing import (
    Stop,
    Vehicle,
    euclidean_rounded,
    haversine_metres,
    nearest_neighbour,
    plan_routes,
    travel_seconds,
)

H = 3600
DEPOT = (31.35, 121.25)  # Shanghai central warehouse
CVRPLIB = Path(settings.BASE_DIR).parent / "shared" / "data" / "cvrplib"


def sixty_deliveries():
    rng = random.Random(42)
    stops = []
    for n in range(60):
        point = (DEPOT[0] + rng.uniform(-0.25, 0.25), DEPOT[1] + rng.uniform(-0.3, 0.3))
        morning = rng.random() < 0.4
        window = (8 * H, 13 * H) if morning else (12 * H, 19 * H)
        stops.append(
            Stop(
                f"SH-{n:03d}",
                point,
                load=(rng.randint(10, 60), rng.randint(20, 200)),
                window=window,
                service=5 * 60,
            )
        )
    vehicles = [Vehicle(f"沪A-{n}", capacity=(900, 5000), shift=(7 * H, 20 * H)) for n in range(4)]
    return stops, vehicles


def check_plan(plan, stops, vehicles, speed_kmh):
    served = [visit.stop.key for route in plan.routes for visit in route.visits]
    assert sorted(served) == sorted(s.key for s in stops)  # every stop, once
    for route in plan.routes:
        load = [sum(v.stop.load[d] for v in route.visits) for d in range(2)]
        assert all(load[d] <= route.vehicle.capacity[d] for d in range(2)), (route.vehicle, load)
        clock, here, distance = route.vehicle.shift[0], DEPOT, 0
        for visit in route.visits:
            leg = haversine_metres(here, visit.stop.point)
            distance += leg
            assert visit.arrival >= clock + travel_seconds(leg, speed_kmh) - 1
            assert visit.stop.window[0] <= visit.arrival <= visit.stop.window[1], visit
            clock, here = visit.departure, visit.stop.point
        distance += haversine_metres(here, DEPOT)
        assert distance == route.distance
        assert route.end <= route.vehicle.shift[1]


def test_sixty_shipments_four_vehicles():
    stops, vehicles = sixty_deliveries()
    plan = plan_routes(depot=DEPOT, stops=stops, vehicles=vehicles, speed_kmh=35, seconds=2)
    assert plan.feasible and not plan.unassigned
    check_plan(plan, stops, vehicles, 35)
    baseline = nearest_neighbour(depot=DEPOT, stops=stops, vehicles=vehicles, speed_kmh=35)
    assert not baseline.unassigned
    check_plan(baseline, stops, vehicles, 35)
    assert plan.distance <= baseline.distance
    assert plan.seconds < 2 + 1.5  # returns within its limit (plus model building)


def test_a_stop_no_vehicle_can_carry_is_left_unassigned():
    stops = [
        Stop("ok", (31.30, 121.30), load=(10, 10)),
        Stop("too-heavy", (31.31, 121.31), load=(5000, 10)),
    ]
    plan = plan_routes(
        depot=DEPOT, stops=stops, vehicles=[Vehicle("v", capacity=(100, 100))], seconds=0.3
    )
    assert [s.key for s in plan.unassigned] == ["too-heavy"]
    assert [v.stop.key for v in plan.routes[0].visits] == ["ok"]


@pytest.mark.skipif(not CVRPLIB.exists(), reason=f"no CVRPLIB instances at {CVRPLIB}")
def test_cvrplib_instance_within_one_percent_of_optimal():
    instance = read_instance(CVRPLIB / "A-n32-k5.vrp")
    assert (instance.optimal, len(instance.stops), len(instance.vehicles)) == (784, 31, 5)
    plan = plan_routes(
        depot=instance.depot,
        stops=instance.stops,
        vehicles=instance.vehicles,
        distance=euclidean_rounded,
        speed_kmh=0,
        seconds=1.5,
        may_leave_stops=False,
    )
    assert not plan.unassigned
    assert plan.distance <= instance.optimal * 1.01
    for route in plan.routes:
        assert sum(v.stop.load[0] for v in route.visits) <= 100
