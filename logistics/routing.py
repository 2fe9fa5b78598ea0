"""Route planning: which vehicle serves which stops, in which order.

A small interface in front of PyVRP (hybrid genetic search / iterated local
search): vehicles with weight and volume capacities and a shift, stops with a
load and a delivery time window, one depot. Costs are integers: metres (or the
units of the distance function) and seconds. The distance function is
pluggable - great-circle metres between coordinates for real plans, rounded
Euclidean for the CVRPLIB benchmark - so both go through the same interface.

`nearest_neighbour` is the simple baseline every plan must beat or match.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Point = tuple[float, float]
DAY = 24 * 3600


@dataclass(frozen=True)
class Stop:
    key: str
    point: Point
    load: tuple[int, ...] = (0,)  # e.g. (kg, litres); as many dimensions as vehicles have
    window: tuple[int, int] = (0, DAY)  # seconds from the start of the day
    service: int = 0  # seconds spent at the stop


@dataclass(frozen=True)
class Vehicle:
    key: str
    capacity: tuple[int, ...]
    shift: tuple[int, int] = (0, DAY)


@dataclass
class Visit:
    stop: Stop
    arrival: int  # seconds from the start of the day (service starts)
    departure: int


@dataclass
class Route:
    vehicle: Vehicle
    visits: list[Visit]
    distance: int
    load: tuple[int, ...]
    start: int
    end: int


@dataclass
class Plan:
    routes: list[Route]
    unassigned: list[Stop] = field(default_factory=list)
    seconds: float = 0.0
    feasible: bool = True

    @property
    def distance(self) -> int:
        return sum(route.distance for route in self.routes)


def haversine_metres(a: Point, b: Point) -> int:
    """Great-circle distance between (latitude, longitude) points, in whole metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return round(2 * 6_371_000 * math.asin(math.sqrt(h)))


def euclidean_rounded(a: Point, b: Point) -> int:
    """CVRPLIB's distance: floor(sqrt(dx^2 + dy^2) + 0.5)."""
    return math.floor(math.hypot(a[0] - b[0], a[1] - b[1]) + 0.5)


def travel_seconds(metres: int, speed_kmh: float) -> int:
    return 0 if speed_kmh <= 0 else round(metres * 3.6 / speed_kmh)


class _Network:
    """Integer distances and durations between the depot (index 0) and stops."""

    def __init__(self, depot: Point, stops, distance: Callable[[Point, Point], int], speed_kmh):
        points = [depot, *(s.point for s in stops)]
        self.distance = [[distance(a, b) for b in points] for a in points]
        self.duration = [[travel_seconds(d, speed_kmh) for d in row] for row in self.distance]


def plan_routes(
    *,
    depot: Point,
    stops: list[Stop],
    vehicles: list[Vehicle],
    distance: Callable[[Point, Point], int] = haversine_metres,
    speed_kmh: float = 40.0,
    seconds: float = 2.0,
    seed: int = 1,
    may_leave_stops: bool = True,
) -> Plan:
    """The shortest plan found within `seconds` that respects every capacity,
    window and shift. With `may_leave_stops`, a stop that cannot be served is
    returned as unassigned; without it every stop must be visited (benchmarks)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    if not stops:
        return Plan(routes=[], seconds=0.0)
    dims = len(vehicles[0].capacity)
    network = _Network(depot, stops, distance, speed_kmh)
    model = Model()
    locations = [model.add_location(x=depot[0], y=depot[1])]
    locations += [model.add_location(x=s.point[0], y=s.point[1]) for s in stops]
    home = model.add_depot(locations[0])
    for vehicle in vehicles:
        model.add_vehicle_type(
            num_available=1,
            capacity=list(vehicle.capacity),
            start_depot=home,
            end_depot=home,
            tw_early=vehicle.shift[0],
            tw_late=vehicle.shift[1],
            name=vehicle.key,
        )
    # Every stop may be left out at a high price, so an impossible stop (too
    # heavy, unreachable in its window) shows up as unassigned, not as a crash.
    penalty = 10 * (max(max(row) for row in network.distance) + 1) * (len(stops) + 1)
    for stop, location in zip(stops, locations[1:], strict=True):
        model.add_client(
            location,
            delivery=list(stop.load) + [0] * (dims - len(stop.load)),
            service_duration=stop.service,
            tw_early=stop.window[0],
            tw_late=stop.window[1],
            prize=penalty if may_leave_stops else 0,
            required=not may_leave_stops,
            name=stop.key,
        )
    for i, frm in enumerate(locations):
        for j, to in enumerate(locations):
            model.add_edge(
                frm, to, distance=network.distance[i][j], duration=network.duration[i][j]
            )
    result = model.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    best = result.best
    routes, served = [], set()
    for route in best.routes():
        vehicle = vehicles[route.vehicle_type()]
        visits = []
        for activity in route.schedule():
            if activity.is_client():
                stop = stops[activity.idx]
                served.add(activity.idx)
                visits.append(Visit(stop, activity.start_time, activity.end_time))
        routes.append(
            Route(
                vehicle=vehicle,
                visits=visits,
                distance=route.distance(),
                load=tuple(route.delivery()),
                start=route.start_time(),
                end=route.end_time(),
            )
        )
    unassigned = [stop for index, stop in enumerate(stops) if index not in served]
    return Plan(
        routes=routes,
        unassigned=unassigned,
        seconds=time.monotonic() - started,
        feasible=best.is_feasible(),
    )


def nearest_neighbour(
    *,
    depot: Point,
    stops: list[Stop],
    vehicles: list[Vehicle],
    distance: Callable[[Point, Point], int] = haversine_metres,
    speed_kmh: float = 40.0,
) -> Plan:
    """The baseline: each vehicle in turn drives to the nearest stop it can still
    serve (capacity left, window reachable) until none is left."""
    network = _Network(depot, stops, distance, speed_kmh)
    left = set(range(len(stops)))
    routes = []
    for vehicle in vehicles:
        here, clock, load = 0, vehicle.shift[0], [0] * len(vehicle.capacity)
        visits, travelled = [], 0
        while True:
            best = None
            for index in left:
                stop = stops[index]
                node = index + 1
                arrive = max(clock + network.duration[here][node], stop.window[0])
                fits = all(
                    load[d] + (stop.load[d] if d < len(stop.load) else 0) <= vehicle.capacity[d]
                    for d in range(len(load))
                )
                back = arrive + stop.service + network.duration[node][0]
                reachable = fits and arrive <= stop.window[1] and back <= vehicle.shift[1]
                closer = (
                    best is None or network.distance[here][node] < network.distance[here][best + 1]
                )
                if reachable and closer:
                    best = index
            if best is None:
                break
            stop, node = stops[best], best + 1
            arrive = max(clock + network.duration[here][node], stop.window[0])
            visits.append(Visit(stop, arrive, arrive + stop.service))
            travelled += network.distance[here][node]
            clock, here = arrive + stop.service, node
            load = [load[d] + (stop.load[d] if d < len(stop.load) else 0) for d in range(len(load))]
            left.remove(best)
        if visits:
            travelled += network.distance[here][0]
            routes.append(
                Route(
                    vehicle,
                    visits,
                    travelled,
                    tuple(load),
                    vehicle.shift[0],
                    clock + network.duration[here][0],
                )
            )
    return Plan(routes=routes, unassigned=[stops[i] for i in sorted(left)])
