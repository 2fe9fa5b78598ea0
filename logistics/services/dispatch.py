"""Dispatch plans: which of a depot's vehicles carries which packed shipments
on a day, and in which order it calls. Solved by the route planner
(logistics.routing, PyVRP) within the plan's time limit; released plans
dispatch every routed shipment with its vehicle."""

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
from logistics import routing
from logistics.models import (
    Carrier,
    DispatchPlan,
    DispatchRoute,
    DispatchStop,
    Shipment,
    Vehicle,
)
from logistics.services.errors import LogisticsInvalid
from logistics.services.fleet import vehicle_update
from logistics.services.shipments import CIRCUITY, _person, shipment_dispatch

Status = DispatchPlan.Status
OPEN_PLAN = (Status.DRAFT, Status.SOLVED)
# Time spent at each address: park, hand over, get the signature.
SERVICE_SECONDS = 5 * 60
# Average road speed of a delivery van in and around a city.
SPEED_KMH = 40.0
TIME_LIMIT_RANGE = (1, 60)
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


def _on_open_plans(day: Date, shipment_ids, exclude_plan=None) -> dict[int, str]:
    """{shipment id: plan number} for shipments already on a draft or solved plan of the day."""
    rows = DispatchPlan.shipments.through.objects.filter(
        shipment_id__in=shipment_ids,
        dispatchplan__date=day,
        dispatchplan__status__in=OPEN_PLAN,
    )
    if exclude_plan is not None:
        rows = rows.exclude(dispatchplan=exclude_plan)
    return dict(rows.values_list("shipment_id", "dispatchplan__number"))


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
    """A draft plan for `depot` on `date`. Without `shipments`: every packed
    shipment of the depot with destination coordinates that is due that day
    (or names no delivery time) and is on no other open plan of the day.
    Without `vehicles`: every available vehicle of the depot."""
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
    if date < timezone.localdate():
        raise LogisticsInvalid(_("A plan cannot be made for a past day."), field="date")

    with lock_timeout():
        if shipments is None:
            candidates = (
                Shipment.objects.filter(
                    warehouse=depot,
                    status=Shipment.Status.PACKED,
                    destination_latitude__isnull=False,
                    destination_longitude__isnull=False,
                )
                .filter(_due_that_day_q(date))
                .order_by("pk")
            )
            # Row locks, so a plan created at the same moment cannot take them too.
            chosen = list(candidates.select_for_update(of=("self",)))
            taken = _on_open_plans(date, [s.pk for s in chosen])
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
                Shipment.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",))
            )
            _check_shipments(chosen, depot, date)
            taken = _on_open_plans(date, ids)
            if taken:
                raise DispatchConflict(
                    _("These shipments are on another open plan of the day: %(numbers)s.")
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
            created_by=_person(actor),
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
    cold = any(s.temperature_min is not None or s.temperature_max is not None for s in shipments)
    stops = []
    for shipment in shipments:
        load = [
            int(shipment.weight_kg * GRAMS_PER_KG),
            int(shipment.volume_m3 * MILLILITRES_PER_M3),
        ]
        if cold:
            # A third dimension only refrigerated vehicles have room in.
            watched = shipment.temperature_min is not None or shipment.temperature_max is not None
            load.append(1 if watched else 0)
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


def _drop_stale(plan: DispatchPlan) -> tuple[list[Shipment], list[Vehicle], list[str]]:
    """The plan's shipments still packed and vehicles still available; the
    others leave the plan, and the note says so."""
    notes = []
    shipments = list(plan.shipments.order_by("pk"))
    gone = [s for s in shipments if s.status != Shipment.Status.PACKED]
    if gone:
        plan.shipments.remove(*gone)
        notes.append(
            _("No longer packed, taken off the plan: %(numbers)s.")
            % {"numbers": _numbers(s.number for s in gone)}
        )
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
        routed = _store_routes(plan, problem, solution)
        unassigned = [s for s in shipments if s.pk not in routed]
        # Shipments no longer routed get back the ETA of their promise.
        for shipment in unassigned:
            if shipment.eta != shipment.planned_delivery_at:
                shipment.eta = shipment.planned_delivery_at
                shipment.save(update_fields=["eta", "updated_at"])
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


def _store_routes(plan: DispatchPlan, problem: _Problem, solution: routing.Plan) -> dict[int, int]:
    """Replace the plan's routes by the solution's; {shipment id: stop eta} set."""
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
            if shipment.eta != eta:
                shipment.eta = eta
                shipment.save(update_fields=["eta", "updated_at"])
        DispatchStop.objects.bulk_create(stops)
    return routed


def _own_fleet_carrier() -> Carrier | None:
    return Carrier.objects.filter(own_fleet=True, active=True).order_by("pk").first()


@transaction.atomic
def plan_release(*, plan: DispatchPlan, actor=None) -> DispatchPlan:
    """Send the vehicles out: every routed shipment is dispatched with its
    vehicle (and the vehicle's carrier, else our own-fleet carrier), each
    vehicle goes on route, the plan is released. All or nothing.

    A shipment's carbon distance is the road distance it rides on the van:
    from the depot along the route to its stop. Summed over the load, weight
    x that distance is exactly the tonne-km the van carries, and the
    emission factors per tonne-km already allow for empty running."""
    with lock_timeout():
        plan = _plan_for_update(plan)
        if plan.status != Status.SOLVED:
            raise DispatchConflict(
                _("Only a solved plan can be released; this one is %(status)s.")
                % {"status": Status(plan.status).label},
                field="status",
            )
        routes = list(plan.routes.select_related("vehicle__carrier").order_by("vehicle__plate"))
        if not routes:
            raise DispatchConflict(_("The plan has no route to release."), field="status")
        vehicles = list(
            Vehicle.objects.filter(pk__in=[r.vehicle_id for r in routes])
            .order_by("pk")
            .select_for_update(of=("self",))
        )
        busy = [v.plate for v in vehicles if v.status != Vehicle.Status.AVAILABLE]
        if busy:
            raise DispatchConflict(
                _("These vehicles are not available: %(plates)s.") % {"plates": _numbers(busy)},
                field="vehicles",
            )
        own = _own_fleet_carrier()
        legs = []  # (shipment, vehicle, carrier, km on board)
        for route in routes:
            carrier = route.vehicle.carrier or own
            if carrier is None:
                raise LogisticsInvalid(
                    _(
                        "Vehicle %(plate)s has no carrier and there is no own-fleet carrier; "
                        "set one up first."
                    )
                    % {"plate": route.vehicle.plate},
                    field="carrier",
                )
            on_board = 0
            circuity = CIRCUITY.get(carrier.mode, Decimal("1"))
            for stop in route.stops.select_related("shipment").order_by("sequence"):
                on_board += stop.distance_from_previous_m
                km = (Decimal(on_board) / 1000 * circuity).quantize(Decimal("0.01"))
                legs.append((stop.shipment, route.vehicle, carrier, km))
        # Shipment row locks in primary-key order, as every other writer takes them.
        for shipment, vehicle, carrier, km in sorted(legs, key=lambda leg: leg[0].pk):
            Shipment.objects.filter(pk=shipment.pk).update(distance_km=km)
            try:
                shipment_dispatch(shipment=shipment, vehicle=vehicle, carrier=carrier, actor=actor)
            except DomainError as exc:
                raise type(exc)(
                    f"{shipment.number}: {exc.message}", code=exc.code, field="shipments"
                ) from exc
        for vehicle in vehicles:
            vehicle_update(vehicle=vehicle, status=Vehicle.Status.ON_ROUTE)
        plan.status = Status.RELEASED
        plan.save(update_fields=["status", "updated_at"])
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
        for shipment in Shipment.objects.filter(stops__route__plan=plan).distinct():
            if shipment.eta != shipment.planned_delivery_at:
                shipment.eta = shipment.planned_delivery_at
                shipment.save(update_fields=["eta", "updated_at"])
        plan.status = Status.CANCELLED
        plan.save(update_fields=["status", "updated_at"])
    return plan
