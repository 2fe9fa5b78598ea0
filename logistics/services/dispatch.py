"""Dispatch plans: which of a depot's vehicles carries which packed shipments
on a day, and in which order it calls. Solved by the route planner
(logistics.routing, PyVRP) within the plan's time limit; released plans
dispatch every routed shipment with its vehicle.

Row locks, in the codebase's order with the two rows only planning adds:

    DispatchPlan -> Shipment -> Order -> OrderLine -> Reservation
    -> StockLevel -> Vehicle            (each kind by primary key)

- The plan comes first: solve, release and cancel hold it while they write
  the plan's shipments; nothing that holds a shipment waits for a plan.
- plan_release takes every lock of the list up front, in that order, before
  it dispatches anything; shipment_dispatch then only takes locks it already
  holds (re-entrant). Dispatching shipment by shipment instead would hold one
  order's stock levels while waiting for the next shipment's, out of pk order,
  and deadlock against order_confirm or another dispatch of the same products.
  Shipments, orders, lines, reservations and stock levels are taken FOR
  UPDATE, the strength shipment_dispatch asks for later, so no lock is ever
  upgraded mid-transaction.
- Vehicles come last, FOR NO KEY UPDATE (their status is not a key).
  shipment_dispatch writes a vehicle only after its shipment, order and stock
  (its status update, FOR NO KEY UPDATE), and anyone pointing a shipment or a
  route at a vehicle takes FOR KEY SHARE, which NO KEY UPDATE does not block.
  So a dispatch of another shipment that holds that share lock and waits for
  a stock level we hold cannot close a cycle. For the same reason the release
  does not call vehicle_update (FOR UPDATE): shipment_dispatch already puts
  each route's vehicle on route.
- plan_solve and plan_cancel write ETAs (and stops pointing at shipments) only
  after locking the plan's shipments in pk order; plan_create locks its
  candidate shipments in pk order before it reads which are free.
"""

import secrets
import time as clock
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from erp.core.db import lock_timeout
from erp.core.errors import DomainError, LockTimeout
from erp.core.services import acting_person
from inventory.lock_objects import stock_levels_for_update
from logistics import routing
from logistics.models import (
    Carrier,
    DispatchPlan,
    DispatchRoute,
    DispatchStop,
    Shipment,
    ShipmentLine,
    Vehicle,
)
from logistics.services.errors import LogisticsInvalid
from logistics.services.shipments import (
    CIRCUITY,
    ORDER_SHIPPABLE,
    shipment_dispatch,
)
from orders.models import Order, OrderLine, Reservation

Status = DispatchPlan.Status
OPEN_PLAN = (Status.DRAFT, Status.SOLVED)
# Time spent at each address: park, hand over, get the signature.
SERVICE_SECONDS = 5 * 60
# Average road speed of a delivery van in and around a city.
SPEED_KMH = 40.0
TIME_LIMIT_RANGE = (1, 60)
# How far ahead a plan can be made: windows and fleets are not known further out.
MAX_DAYS_AHEAD = 60
# Loads go to the planner in grams and millilitres: the shipment's own
# precision (weight to 1 g, volume to 0.1 l), so no rounding can overbook a van.
GRAMS_PER_KG = 1000
MILLILITRES_PER_M3 = 1_000_000


class DispatchConflict(DomainError):
    """The plan's state (or a vehicle's, or a shipment's) does not allow it (409)."""

    status_code = 409
    code = "conflict"


def _day_bounds(day: Date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _numbers(items, limit: int = 10) -> str:
    names = [str(item) for item in items]
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" (+{more})" if more > 0 else "")


def _due_that_day_q(day: Date) -> Q:
    """Shipments whose promised delivery (or, without one, its window's start)
    falls on the day, or that promise no time at all."""
    start, end = _day_bounds(day)
    return Q(planned_delivery_at__gte=start, planned_delivery_at__lt=end) | Q(
        planned_delivery_at__isnull=True
    ) & (Q(window_start__isnull=True) | Q(window_start__gte=start, window_start__lt=end))


def _on_open_plans(shipment_ids, exclude_plan=None) -> dict[int, str]:
    """{shipment id: plan number} for shipments already on a draft or solved
    plan, of any day: a shipment leaves once, on one plan."""
    rows = DispatchPlan.shipments.through.objects.filter(
        shipment_id__in=shipment_ids,
        dispatchplan__status__in=OPEN_PLAN,
    )
    if exclude_plan is not None:
        rows = rows.exclude(dispatchplan=exclude_plan)
    return dict(rows.values_list("shipment_id", "dispatchplan__number"))


def _order_stopped(shipment: Shipment) -> bool:
    """Its order can no longer ship (cancelled, on hold): dispatch would refuse it."""
    return shipment.order.status not in ORDER_SHIPPABLE


def _with_order_status(shipments) -> str:
    return _numbers(f"{s.number} ({Order.Status(s.order.status).label})" for s in shipments)


def _check_shipments(shipments, depot, day: Date) -> None:
    start, end = _day_bounds(day)
    checks = [
        (
            lambda s: s.warehouse_id != depot.pk,
            LogisticsInvalid,
            _("These shipments leave from another warehouse: %(numbers)s."),
        ),
        (
            lambda s: s.status != Shipment.Status.PACKED,
            DispatchConflict,
            _("Only packed shipments can be planned: %(numbers)s."),
        ),
        (
            lambda s: s.destination_latitude is None or s.destination_longitude is None,
            LogisticsInvalid,
            _("These shipments have no destination coordinates: %(numbers)s."),
        ),
        (
            lambda s: (
                (s.planned_delivery_at is not None and s.planned_delivery_at < start)
                or (s.window_start is not None and s.window_start >= end)
            ),
            LogisticsInvalid,
            _("The delivery window of these shipments is not on that day: %(numbers)s."),
        ),
    ]
    for refused, error, message in checks:
        bad = [s.number for s in shipments if refused(s)]
        if bad:
            raise error(message % {"numbers": _numbers(bad)}, field="shipments")
    stopped = [s for s in shipments if _order_stopped(s)]
    if stopped:
        raise DispatchConflict(
            _("The orders of these shipments cannot ship now: %(numbers)s.")
            % {"numbers": _with_order_status(stopped)},
            field="shipments",
        )


def _check_vehicles(vehicles, depot) -> None:
    elsewhere = [v.plate for v in vehicles if v.depot_id != depot.pk]
    if elsewhere:
        raise LogisticsInvalid(
            _("These vehicles are based at another depot: %(plates)s.")
            % {"plates": _numbers(elsewhere)},
            field="vehicles",
        )
    busy = [v.plate for v in vehicles if v.status != Vehicle.Status.AVAILABLE]
    if busy:
        raise DispatchConflict(
            _("These vehicles are not available: %(plates)s.") % {"plates": _numbers(busy)},
            field="vehicles",
        )


@transaction.atomic
def plan_create(
    *,
    depot,
    date: Date,
    shipments=None,
    vehicles=None,
    time_limit_seconds: int = 5,
    shift_start: time | None = None,
    shift_end: time | None = None,
    actor=None,
) -> DispatchPlan:
    """A draft plan for `depot` on `date` (today up to MAX_DAYS_AHEAD days
    ahead). Without `shipments`: every packed shipment of the depot with
    destination coordinates whose order can ship, that is due that day (or
    names no delivery time) and is on no other open plan. Without `vehicles`:
    every available vehicle of the depot."""
    low, high = TIME_LIMIT_RANGE
    if not isinstance(time_limit_seconds, int) or not low <= time_limit_seconds <= high:
        raise LogisticsInvalid(
            _("The time limit must be between %(low)s and %(high)s seconds.")
            % {"low": low, "high": high},
            field="time_limit_seconds",
        )
    shift_start = shift_start or time(8, 0)
    shift_end = shift_end or time(20, 0)
    if shift_start >= shift_end:
        raise LogisticsInvalid(_("The shift must end after it starts."), field="shift_end")
    today = timezone.localdate()
    if date < today:
        raise LogisticsInvalid(_("A plan cannot be made for a past day."), field="date")
    if (date - today).days > MAX_DAYS_AHEAD:
        raise LogisticsInvalid(
            _("A plan can be made at most %(days)s days ahead.") % {"days": MAX_DAYS_AHEAD},
            field="date",
        )

    with lock_timeout():
        if shipments is None:
            candidates = (
                Shipment.objects.filter(
                    warehouse=depot,
                    status=Shipment.Status.PACKED,
                    destination_latitude__isnull=False,
                    destination_longitude__isnull=False,
                    order__status__in=ORDER_SHIPPABLE,
                )
                .filter(_due_that_day_q(date))
                .order_by("pk")
            )
            # Row locks, so a plan created at the same moment cannot take them too.
            chosen = list(candidates.select_for_update(of=("self",)))
            taken = _on_open_plans([s.pk for s in chosen])
            chosen = [s for s in chosen if s.pk not in taken]
            if not chosen:
                raise LogisticsInvalid(
                    _("No packed shipment of %(depot)s with coordinates is due on %(date)s.")
                    % {"depot": depot.code, "date": date.isoformat()},
                    field="shipments",
                )
        else:
            ids = sorted({s.pk for s in shipments})
            if not ids:
                raise LogisticsInvalid(_("Choose at least one shipment."), field="shipments")
            chosen = list(
                Shipment.objects.filter(pk__in=ids)
                .select_related("order")
                .order_by("pk")
                .select_for_update(of=("self",))
            )
            _check_shipments(chosen, depot, date)
            taken = _on_open_plans(ids)
            if taken:
                raise DispatchConflict(
                    _("These shipments are on another open plan: %(numbers)s.")
                    % {
                        "numbers": _numbers(
                            f"{s.number} ({taken[s.pk]})" for s in chosen if s.pk in taken
                        )
                    },
                    field="shipments",
                )

        if vehicles is None:
            fleet = list(
                Vehicle.objects.filter(depot=depot, status=Vehicle.Status.AVAILABLE).order_by(
                    "plate"
                )
            )
        else:
            fleet = list(Vehicle.objects.filter(pk__in={v.pk for v in vehicles}).order_by("plate"))
            _check_vehicles(fleet, depot)
        if not fleet:
            raise LogisticsInvalid(
                _("%(depot)s has no available vehicle to plan with.") % {"depot": depot.code},
                field="vehicles",
            )

        plan = DispatchPlan.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            depot=depot,
            date=date,
            shift_start=shift_start,
            shift_end=shift_end,
            time_limit_seconds=time_limit_seconds,
            created_by=acting_person(actor),
        )
        plan.number = f"DP-{date:%Y%m%d}-{plan.pk:05d}"
        plan.save(update_fields=["number"])
        plan.shipments.set(chosen)
        plan.vehicles.set(fleet)
    return plan


def _plan_for_update(plan: DispatchPlan) -> DispatchPlan:
    """The plan's row, locked to the end of the transaction: solves, releases
    and cancels of one plan run one after the other."""
    try:
        with lock_timeout():
            return (
                DispatchPlan.objects.select_for_update(of=("self",))
                .select_related("depot")
                .get(pk=plan.pk)
            )
    except LockTimeout as exc:
        raise DispatchConflict(
            _("The plan is being solved or released right now; retry in a moment."),
            code="lock_timeout",
            field="status",
        ) from exc


@dataclass
class _Problem:
    depot: routing.Point
    stops: list[routing.Stop]
    vehicles: list[routing.Vehicle]
    shipments: dict[str, Shipment]
    fleet: dict[str, Vehicle]
    day_start: datetime


def _window(shipment: Shipment, day_start: datetime) -> tuple[int, int]:
    """The shipment's delivery window in seconds from midnight, cut to the day."""

    def offset(moment, default):
        if moment is None:
            return default
        return min(max(int((moment - day_start).total_seconds()), 0), routing.DAY)

    early = offset(shipment.window_start, 0)
    late = offset(shipment.planned_delivery_at, routing.DAY)
    return early, max(early, late)


def _problem(plan: DispatchPlan, shipments, fleet) -> _Problem:
    day_start, _end = _day_bounds(plan.date)
    cold = any(shipment.cold_chain for shipment in shipments)
    stops = []
    for shipment in shipments:
        load = [
            int(shipment.weight_kg * GRAMS_PER_KG),
            int(shipment.volume_m3 * MILLILITRES_PER_M3),
        ]
        if cold:
            # A third dimension only refrigerated vehicles have room in.
            load.append(1 if shipment.cold_chain else 0)
        stops.append(
            routing.Stop(
                key=str(shipment.pk),
                point=(float(shipment.destination_latitude), float(shipment.destination_longitude)),
                load=tuple(load),
                window=_window(shipment, day_start),
                service=SERVICE_SECONDS,
            )
        )
    shift = (_seconds(plan.shift_start), _seconds(plan.shift_end))
    vehicles = []
    for vehicle in fleet:
        capacity = [
            int(vehicle.capacity_kg * GRAMS_PER_KG),
            int(vehicle.capacity_m3 * MILLILITRES_PER_M3),
        ]
        if cold:
            capacity.append(len(stops) if vehicle.refrigerated else 0)
        vehicles.append(routing.Vehicle(key=str(vehicle.pk), capacity=tuple(capacity), shift=shift))
    return _Problem(
        depot=(float(plan.depot.latitude), float(plan.depot.longitude)),
        stops=stops,
        vehicles=vehicles,
        shipments={str(s.pk): s for s in shipments},
        fleet={str(v.pk): v for v in fleet},
        day_start=day_start,
    )


def _order_stopped_note(shipments) -> str:
    return _("Their order cannot ship now, taken off the plan: %(numbers)s.") % {
        "numbers": _with_order_status(shipments)
    }


def _drop_stale(plan: DispatchPlan) -> tuple[list[Shipment], list[Vehicle], list[str]]:
    """The plan's shipments still packed (with an order that can ship) and
    vehicles still available; the others leave the plan, and the note says so."""
    notes = []
    shipments = list(plan.shipments.select_related("order").order_by("pk"))
    gone = [s for s in shipments if s.status != Shipment.Status.PACKED]
    if gone:
        plan.shipments.remove(*gone)
        notes.append(
            _("No longer packed, taken off the plan: %(numbers)s.")
            % {"numbers": _numbers(s.number for s in gone)}
        )
    stopped = [s for s in shipments if s not in gone and _order_stopped(s)]
    if stopped:
        plan.shipments.remove(*stopped)
        notes.append(_order_stopped_note(stopped))
    gone += stopped
    fleet = list(plan.vehicles.order_by("plate"))
    away = [v for v in fleet if v.status != Vehicle.Status.AVAILABLE]
    if away:
        plan.vehicles.remove(*away)
        notes.append(
            _("No longer available, taken off the plan: %(plates)s.")
            % {"plates": _numbers(v.plate for v in away)}
        )
    return (
        [s for s in shipments if s not in gone],
        [v for v in fleet if v not in away],
        notes,
    )


@transaction.atomic
def plan_solve(*, plan: DispatchPlan, actor=None) -> DispatchPlan:
    """Compute the routes: every capacity (kg, m³, refrigerated room), delivery
    window and the shift respected, distance minimised within the plan's time
    limit. Replaces earlier routes; shipments no route could take are listed
    in the note (and by selectors.dispatch_plan_unassigned). Each routed
    shipment's ETA becomes its stop's time."""
    started = clock.monotonic()
    # Held to the end: a second solve (or a release) waits for this one.
    plan = _plan_for_update(plan)
    if plan.status not in OPEN_PLAN:
        raise DispatchConflict(
            _("A plan that is %(status)s cannot be solved.")
            % {"status": Status(plan.status).label},
            field="status",
        )
    shipments, fleet, notes = _drop_stale(plan)
    if not shipments:
        raise DispatchConflict(_("The plan has no packed shipment left."), field="shipments")
    if not fleet:
        raise DispatchConflict(_("The plan has no available vehicle left."), field="vehicles")

    problem = _problem(plan, shipments, fleet)
    baseline = routing.nearest_neighbour(
        depot=problem.depot, stops=problem.stops, vehicles=problem.vehicles, speed_kmh=SPEED_KMH
    )
    # The solver gets what is left of the limit after the preparation
    # (including loading PyVRP the first time), less a moment for storing
    # the result.
    import pyvrp  # noqa: F401

    budget = max(0.2, plan.time_limit_seconds - (clock.monotonic() - started) - 0.3)
    solution = routing.plan_routes(
        depot=problem.depot,
        stops=problem.stops,
        vehicles=problem.vehicles,
        speed_kmh=SPEED_KMH,
        seconds=budget,
    )
    if not solution.feasible:
        raise DispatchConflict(
            _("No plan respecting every capacity and window was found in time; allow more time."),
            field="time_limit_seconds",
        )

    with lock_timeout():
        # Before the stops point at them and their ETAs change: the shipments'
        # rows in pk order, as every other writer takes them.
        _lock_shipments([s.pk for s in shipments], no_key=True)
        routed = _store_routes(plan, problem, solution)
        unassigned = [s for s in shipments if s.pk not in routed]
        # Routed shipments get their stop's time, the others back the ETA of
        # their promise.
        _set_etas({s.pk: routed.get(s.pk, s.planned_delivery_at) for s in shipments}, shipments)
    if unassigned:
        notes.append(
            ngettext(
                "%(count)s shipment could not be placed (capacity or delivery window): "
                "%(numbers)s.",
                "%(count)s shipments could not be placed (capacity or delivery window): "
                "%(numbers)s.",
                len(unassigned),
            )
            % {"count": len(unassigned), "numbers": _numbers(s.number for s in unassigned)}
        )
    if baseline.unassigned:
        notes.append(
            _("The nearest-neighbour baseline left %(count)s shipment(s) out.")
            % {"count": len(baseline.unassigned)}
        )
    plan.total_distance_m = solution.distance
    plan.baseline_distance_m = baseline.distance
    plan.solve_seconds = Decimal(str(round(clock.monotonic() - started, 3)))
    plan.solved_at = timezone.now()
    plan.status = Status.SOLVED
    plan.note = " ".join(notes)[:500]
    plan.save(
        update_fields=[
            "total_distance_m",
            "baseline_distance_m",
            "solve_seconds",
            "solved_at",
            "status",
            "note",
            "updated_at",
        ]
    )
    return plan


def _lock_shipments(ids, *, no_key: bool = False) -> dict[int, Shipment]:
    return {
        s.pk: s
        for s in Shipment.objects.filter(pk__in=list(ids))
        .order_by("pk")
        .select_for_update(of=("self",), no_key=no_key)
    }


def _set_etas(etas: dict[int, datetime | None], shipments) -> None:
    """Write the shipments' ETAs that changed, in pk order."""
    for shipment in sorted(shipments, key=lambda s: s.pk):
        eta = etas[shipment.pk]
        if shipment.eta != eta:
            shipment.eta = eta
            shipment.save(update_fields=["eta", "updated_at"])


def _store_routes(
    plan: DispatchPlan, problem: _Problem, solution: routing.Plan
) -> dict[int, datetime]:
    """Replace the plan's routes by the solution's; {shipment id: stop eta}."""
    plan.routes.all().delete()
    routed = {}
    for route in solution.routes:
        if not route.visits:
            continue
        vehicle = problem.fleet[route.vehicle.key]
        carried = [problem.shipments[visit.stop.key] for visit in route.visits]
        row = DispatchRoute.objects.create(
            plan=plan,
            vehicle=vehicle,
            distance_m=route.distance,
            load_kg=sum((s.weight_kg for s in carried), Decimal("0")),
            load_m3=sum((s.volume_m3 for s in carried), Decimal("0")),
            starts_at=problem.day_start + timedelta(seconds=route.start),
            ends_at=problem.day_start + timedelta(seconds=route.end),
        )
        stops, here = [], problem.depot
        for sequence, (visit, shipment) in enumerate(zip(route.visits, carried, strict=True), 1):
            eta = problem.day_start + timedelta(seconds=visit.arrival)
            stops.append(
                DispatchStop(
                    route=row,
                    shipment=shipment,
                    sequence=sequence,
                    eta=eta,
                    distance_from_previous_m=routing.haversine_metres(here, visit.stop.point),
                )
            )
            here = visit.stop.point
            routed[shipment.pk] = eta
        DispatchStop.objects.bulk_create(stops)
    return routed


def _own_fleet_carrier() -> Carrier | None:
    return Carrier.objects.filter(own_fleet=True, active=True).order_by("pk").first()


def _take_off_routes(plan: DispatchPlan, stops: list[DispatchStop], dropped) -> list[DispatchStop]:
    """Take the stops of the `dropped` shipments off the plan's routes (in
    vehicle, sequence order): the vehicles skip them. Later stops move up, the
    legs and each route's distance and load are measured again, and a route
    left empty goes (its vehicle stays home). The ETAs stay: without the
    detour the vehicle is there no later. Returns the stops kept."""
    depot = (float(plan.depot.latitude), float(plan.depot.longitude))
    DispatchStop.objects.filter(pk__in=[s.pk for s in stops if s.shipment_id in dropped]).delete()
    by_route: dict[int, list[DispatchStop]] = {}
    for stop in stops:
        by_route.setdefault(stop.route_id, []).append(stop)
    kept, distances = [], {}
    for route_id, route_stops in by_route.items():
        route = route_stops[0].route
        left = [s for s in route_stops if s.shipment_id not in dropped]
        if not left:
            route.delete()
            continue
        kept += left
        distances[route_id] = route.distance_m
        if len(left) == len(route_stops):
            continue
        here, distance = depot, 0
        # In calling order, each stop moves to a number that is free by then.
        for sequence, stop in enumerate(left, 1):
            point = (
                float(stop.shipment.destination_latitude),
                float(stop.shipment.destination_longitude),
            )
            stop.sequence = sequence
            stop.distance_from_previous_m = routing.haversine_metres(here, point)
            stop.save(update_fields=["sequence", "distance_from_previous_m"])
            distance += stop.distance_from_previous_m
            here = point
        route.distance_m = distance + routing.haversine_metres(here, depot)
        route.load_kg = sum((s.shipment.weight_kg for s in left), Decimal("0"))
        route.load_m3 = sum((s.shipment.volume_m3 for s in left), Decimal("0"))
        route.save(update_fields=["distance_m", "load_kg", "load_m3"])
        distances[route_id] = route.distance_m
    plan.total_distance_m = sum(distances.values())
    return kept


def _lock_stock_of(shipments: list[Shipment]) -> None:
    """Lock, in the codebase's order, every row dispatching `shipments` will
    write after their own (already locked): their orders' lines, the active
    reservations they consume and those reservations' stock levels."""
    order_ids = sorted({s.order_id for s in shipments})
    list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    consumed = ShipmentLine.objects.filter(shipment__in=[s.pk for s in shipments]).values(
        "order_line_id"
    )
    level_ids = (
        Reservation.objects.filter(
            order_line_id__in=consumed,
            status=Reservation.Status.ACTIVE,
            stock_level__warehouse_id__in={s.warehouse_id for s in shipments},
        )
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("stock_level_id", flat=True)
    )
    list(stock_levels_for_update(set(level_ids)))


@transaction.atomic
def plan_release(*, plan: DispatchPlan, actor=None) -> DispatchPlan:
    """Send the vehicles out: every routed shipment is dispatched with its
    vehicle (and the vehicle's carrier, else our own-fleet carrier), each
    vehicle goes on route, the plan is released. All or nothing, except that
    shipments whose order can no longer ship (cancelled, on hold) are taken
    off the plan first and the note says so.

    A shipment's carbon distance is the road distance it rides on the van:
    from the depot along the route to its stop. Summed over the load, weight
    x that distance is exactly the tonne-km the van carries, and the
    emission factors per tonne-km already allow for empty running.

    Every row lock is taken before the first dispatch, in the order of the
    module docstring."""
    with lock_timeout():
        plan = _plan_for_update(plan)
        if plan.status != Status.SOLVED:
            raise DispatchConflict(
                _("Only a solved plan can be released; this one is %(status)s.")
                % {"status": Status(plan.status).label},
                field="status",
            )
        # The stops change only under the plan's lock, which is held.
        stops = list(
            DispatchStop.objects.filter(route__plan=plan)
            .select_related("route__vehicle__carrier", "shipment")
            .order_by("route__vehicle__plate", "sequence")
        )
        if not stops:
            raise DispatchConflict(_("The plan has no route to release."), field="status")

        shipments = _lock_shipments({s.shipment_id for s in stops})
        orders = {
            order.pk: order
            for order in Order.objects.filter(pk__in={s.order_id for s in shipments.values()})
            .order_by("pk")
            .select_for_update(of=("self",))
        }
        for shipment in shipments.values():
            shipment.order = orders[shipment.order_id]
        # Read under the orders' locks: they cannot stop between here and dispatch.
        stopped = [s for s in shipments.values() if _order_stopped(s)]
        if len(stopped) == len(shipments):
            raise DispatchConflict(
                _("The orders of these shipments cannot ship now: %(numbers)s.")
                % {"numbers": _with_order_status(stopped)},
                field="shipments",
            )
        if stopped:
            stops = _take_off_routes(plan, stops, {s.pk for s in stopped})
            plan.shipments.remove(*stopped)
            _set_etas({s.pk: s.planned_delivery_at for s in stopped}, stopped)
            for shipment in stopped:
                del shipments[shipment.pk]
            plan.note = " ".join(filter(None, [plan.note, _order_stopped_note(stopped)]))[:500]
        _lock_stock_of(list(shipments.values()))
        vehicles = list(
            Vehicle.objects.filter(pk__in={s.route.vehicle_id for s in stops})
            .order_by("pk")
            .select_for_update(of=("self",), no_key=True)
        )
        busy = [v.plate for v in vehicles if v.status != Vehicle.Status.AVAILABLE]
        if busy:
            raise DispatchConflict(
                _("These vehicles are not available: %(plates)s.") % {"plates": _numbers(busy)},
                field="vehicles",
            )

        own = _own_fleet_carrier()
        legs = []  # (shipment, vehicle, carrier, km on board)
        on_board = {}  # route id: metres from the depot so far
        for stop in stops:
            vehicle = stop.route.vehicle
            carrier = vehicle.carrier or own
            if carrier is None:
                raise LogisticsInvalid(
                    _(
                        "Vehicle %(plate)s has no carrier and there is no own-fleet carrier; "
                        "set one up first."
                    )
                    % {"plate": vehicle.plate},
                    field="carrier",
                )
            on_board[stop.route_id] = on_board.get(stop.route_id, 0) + stop.distance_from_previous_m
            circuity = CIRCUITY.get(carrier.mode, Decimal("1"))
            km = (Decimal(on_board[stop.route_id]) / 1000 * circuity).quantize(Decimal("0.01"))
            legs.append((shipments[stop.shipment_id], vehicle, carrier, km))
        # Each dispatch re-takes only locks held already; it also puts the
        # vehicle on route (so no vehicle_update, whose FOR UPDATE would
        # upgrade our NO KEY lock on it).
        for shipment, vehicle, carrier, km in sorted(legs, key=lambda leg: leg[0].pk):
            Shipment.objects.filter(pk=shipment.pk).update(distance_km=km)
            try:
                shipment_dispatch(shipment=shipment, vehicle=vehicle, carrier=carrier, actor=actor)
            except DomainError as exc:
                raise type(exc)(
                    f"{shipment.number}: {exc.message}", code=exc.code, field="shipments"
                ) from exc
        plan.status = Status.RELEASED
        plan.save(update_fields=["status", "note", "total_distance_m", "updated_at"])
    return plan


@transaction.atomic
def plan_cancel(*, plan: DispatchPlan, actor=None) -> DispatchPlan:
    """Drop a plan that has not been released; its shipments are free for
    another plan and get back the ETA of their promise."""
    with lock_timeout():
        plan = _plan_for_update(plan)
        if plan.status not in OPEN_PLAN:
            raise DispatchConflict(
                _("A plan that is %(status)s cannot be cancelled.")
                % {"status": Status(plan.status).label},
                field="status",
            )
        routed = _lock_shipments(
            DispatchStop.objects.filter(route__plan=plan).values_list("shipment_id", flat=True),
            no_key=True,
        )
        _set_etas({pk: s.planned_delivery_at for pk, s in routed.items()}, routed.values())
        plan.status = Status.CANCELLED
        plan.save(update_fields=["status", "updated_at"])
    return plan
