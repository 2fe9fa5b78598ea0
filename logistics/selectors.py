from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth

from logistics.models import (
    Carrier,
    DispatchPlan,
    DispatchRoute,
    DispatchStop,
    PickLine,
    PickWave,
    SensorReading,
    Shipment,
    ShipmentEvent,
    ShipmentException,
    ShipmentLine,
    TrackingDevice,
    Vehicle,
)


def carrier_list() -> QuerySet[Carrier]:
    return Carrier.objects.all()


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.select_related("depot", "carrier", "driver")


def shipment_list() -> QuerySet[Shipment]:
    """Shipments with what a list shows; `open_exception` says whether a
    problem is still open."""
    return Shipment.objects.select_related("order", "warehouse", "carrier", "vehicle").annotate(
        open_exception=Exists(
            ShipmentException.objects.filter(
                shipment=OuterRef("pk"), status=ShipmentException.Status.OPEN
            )
        )
    )


def shipment_detail() -> QuerySet[Shipment]:
    return shipment_list().prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product")),
        "events__actor",
        "exceptions",
    )


def shipment_status_counts(queryset=None) -> dict[str, int]:
    """{status: number of shipments} for the board's columns."""
    queryset = Shipment.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Shipment.Status.values}


def carbon_by_carrier_month(queryset=None):
    """Rows of (month, carrier code, carrier name, shipments, tonne-km, kg CO2e)
    for shipments that have left, by the month they left."""
    queryset = Shipment.objects.all() if queryset is None else queryset
    return (
        queryset.filter(picked_up_at__isnull=False, co2e_kg__isnull=False)
        .annotate(month=TruncMonth("picked_up_at"))
        .order_by()
        .values("month", "carrier__code", "carrier__name")
        .annotate(
            shipments=Count("pk"),
            weight_kg=Sum("weight_kg"),
            distance_km=Sum("distance_km"),
            co2e_kg=Sum("co2e_kg"),
        )
        .order_by("-month", "carrier__code")
    )


def dispatch_plan_list() -> QuerySet[DispatchPlan]:
    # Aggregates drop Meta.ordering: order again, so pages are stable.
    return (
        DispatchPlan.objects.select_related("depot")
        .annotate(
            shipment_count=Count("shipments", distinct=True),
            route_count=Count("routes", distinct=True),
        )
        .order_by("-date", "-id")
    )


def dispatch_plan_detail() -> QuerySet[DispatchPlan]:
    """Plans with their routes, stops (in calling order), shipments and vehicles."""
    stops = DispatchStop.objects.select_related("shipment").order_by("sequence")
    routes = (
        DispatchRoute.objects.select_related("vehicle__driver", "vehicle__carrier")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("vehicle__plate")
    )
    return DispatchPlan.objects.select_related("depot", "created_by").prefetch_related(
        Prefetch("routes", queryset=routes),
        Prefetch("shipments", queryset=Shipment.objects.order_by("number")),
        Prefetch("vehicles", queryset=Vehicle.objects.select_related("driver").order_by("plate")),
    )


def dispatch_plan_unassigned(plan: DispatchPlan) -> list[Shipment]:
    """Shipments of a solved plan that no route takes (capacity or window);
    none before the plan is solved. Works on a plan from dispatch_plan_detail
    without further queries."""
    if plan.solved_at is None:
        return []
    routed = {stop.shipment_id for route in plan.routes.all() for stop in route.stops.all()}
    return [shipment for shipment in plan.shipments.all() if shipment.pk not in routed]


def pick_wave_list() -> QuerySet[PickWave]:
    return (
        PickWave.objects.select_related("warehouse", "picker")
        .annotate(
            shipment_count=Count("shipments", distinct=True),
            line_count=Count("lines", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def pick_lines() -> QuerySet[PickLine]:
    """Pick-list rows in walk order with their shipment and product."""
    return PickLine.objects.select_related(
        "shipment_line__shipment", "shipment_line__order_line__product"
    ).order_by("sequence")


def pick_wave_detail() -> QuerySet[PickWave]:
    """Waves with their pick list in walk order and their shipments."""
    return pick_wave_list().prefetch_related(
        Prefetch("lines", queryset=pick_lines()),
        Prefetch("shipments", queryset=Shipment.objects.order_by("number")),
    )


def shipment_for_packing() -> QuerySet[Shipment]:
    """Shipments with their lines and products, as the pack bench shows them."""
    lines = ShipmentLine.objects.select_related("order_line__product", "pick_line").order_by(
        "order_line__line_no"
    )
    return Shipment.objects.select_related(
        "order", "warehouse", "carrier", "pick_wave"
    ).prefetch_related(Prefetch("lines", queryset=lines))


# --- Tracking ----------------------------------------------------------------


def shipment_timeline(shipment: Shipment) -> QuerySet[ShipmentEvent]:
    """The shipment's events in the order they happened (a late event takes
    its place by `occurred_at`)."""
    return (
        ShipmentEvent.objects.filter(shipment=shipment)
        .select_related("actor")
        .order_by("occurred_at", "pk")
    )


def shipment_readings(shipment: Shipment) -> QuerySet[SensorReading]:
    """The sensor readings of the shipment's devices, oldest first."""
    return (
        SensorReading.objects.filter(shipment=shipment)
        .select_related("device")
        .order_by("recorded_at", "pk")
    )


def exception_list() -> QuerySet[ShipmentException]:
    return ShipmentException.objects.select_related("shipment", "resolved_by")


def device_list() -> QuerySet[TrackingDevice]:
    return TrackingDevice.objects.select_related("shipment", "vehicle")
