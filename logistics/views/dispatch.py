"""Dispatch plan pages: the list, a new plan, and the plan itself with each
vehicle's load, its stops with ETAs and windows, the distance against the
nearest-neighbour baseline and a drawing of the routes."""

import math
from datetime import time, timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, FloatField, Value
from django.db.models.functions import Round
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from inventory.models import Warehouse
from logistics.filters import DispatchPlanFilter
from logistics.models import DispatchPlan, Vehicle
from logistics.selectors import dispatch_plan_detail, dispatch_plan_list, dispatch_plan_unassigned
from logistics.services import plan_cancel, plan_create, plan_release, plan_solve
from logistics.services.dispatch import TIME_LIMIT_RANGE

Status = DispatchPlan.Status

# One colour per vehicle, distinct on white and for most colour-blind readers first.
ROUTE_COLOURS = [
    "#0d6efd",
    "#dc3545",
    "#198754",
    "#fd7e14",
    "#6f42c1",
    "#20c997",
    "#d63384",
    "#0dcaf0",
    "#6c757d",
    "#ffc107",
]
STATUS_BADGES = {
    Status.DRAFT: "text-bg-secondary",
    Status.SOLVED: "text-bg-primary",
    Status.RELEASED: "text-bg-success",
    Status.CANCELLED: "text-bg-light border",
}


def _km_expression(metres: str):
    """Metres as kilometres to 0.1, in the query (so exports get them too)."""
    return Round(F(metres) / Value(1000.0), 1, output_field=FloatField())


class DispatchPlanListView(StaffListView):
    permission_required = "logistics.view_dispatchplan"
    filterset_class = DispatchPlanFilter
    queryset = dispatch_plan_list().annotate(
        total_km=_km_expression("total_distance_m"),
        baseline_km=_km_expression("baseline_distance_m"),
    )
    title = gettext_lazy("Dispatch plans")
    columns = [
        ("number", gettext_lazy("plan number"), "number"),
        ("date", gettext_lazy("date"), "date"),
        ("depot", gettext_lazy("depot")),
        ("status", gettext_lazy("status")),
        ("shipment_count", gettext_lazy("shipments")),
        ("route_count", gettext_lazy("routes")),
        # In km, as on the plan's page; sorted by the metres behind them.
        ("total_km", gettext_lazy("total distance (km)"), "total_distance_m"),
        ("baseline_km", gettext_lazy("nearest-neighbour distance (km)")),
    ]
    create_url_name = "logistics:dispatch-plan-create"
    create_permission = "logistics.add_dispatchplan"
    empty_message = gettext_lazy("No dispatch plans match these filters.")

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        filterset.form.fields["date"].widget.input_type = "date"
        return filterset

    def row_url(self, obj):
        return reverse("logistics:dispatch-plan-detail", args=[obj.number])


class VehicleChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, vehicle):
        return _("%(plate)s at %(depot)s (%(kg)s kg, %(m3)s m³)") % {
            "plate": vehicle.plate,
            "depot": vehicle.depot.code,
            "kg": vehicle.capacity_kg,
            "m3": vehicle.capacity_m3,
        }


class DispatchPlanForm(forms.Form):
    depot = forms.ModelChoiceField(
        label=gettext_lazy("depot"), queryset=Warehouse.objects.filter(active=True)
    )
    date = forms.DateField(
        label=gettext_lazy("date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    vehicles = VehicleChoices(
        label=gettext_lazy("vehicles"),
        queryset=Vehicle.objects.none(),
        required=False,
        help_text=gettext_lazy("None chosen: every available vehicle of the depot."),
    )
    time_limit_seconds = forms.IntegerField(
        label=gettext_lazy("time limit (s)"),
        min_value=TIME_LIMIT_RANGE[0],
        max_value=TIME_LIMIT_RANGE[1],
        initial=5,
    )
    shift_start = forms.TimeField(
        label=gettext_lazy("shift starts"),
        initial=time(8, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    shift_end = forms.TimeField(
        label=gettext_lazy("shift ends"),
        initial=time(20, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, depot=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate() + timedelta(days=1)
        vans = (
            Vehicle.objects.filter(status=Vehicle.Status.AVAILABLE)
            .select_related("depot")
            .order_by("depot__code", "plate")
        )
        field = self.fields["vehicles"]
        if depot is not None:
            # Only the chosen depot's vans: the plan can take no other.
            field.queryset = vans.filter(depot=depot)
        else:
            field.queryset = vans
            groups: dict[str, list] = {}
            for vehicle in vans:
                groups.setdefault(str(vehicle.depot), []).append(
                    (vehicle.pk, field.label_from_instance(vehicle))
                )
            field.choices = list(groups.items())
        field.widget.attrs["size"] = 6


class DispatchPlanCreateView(ServiceFormView):
    """A draft plan with the packed shipments due that day."""

    permission_required = "logistics.add_dispatchplan"
    form_class = DispatchPlanForm
    template_name = "logistics/dispatch/plan_form.html"
    title = gettext_lazy("New dispatch plan")
    cancel_url_name = "logistics:dispatch-plan-list"
    hint = gettext_lazy(
        "The plan takes every packed shipment of the depot that is due that day and has "
        "destination coordinates; solve it on the next page."
    )

    def _depot(self):
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        try:
            return Warehouse.objects.filter(active=True).get(pk=int(source.get("depot", "")))
        except (ValueError, Warehouse.DoesNotExist):
            return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["depot"] = self._depot()
        return kwargs

    def get_initial(self):
        return {"depot": self._depot()}

    def perform(self, form):
        data = form.cleaned_data
        return plan_create(
            depot=data["depot"],
            date=data["date"],
            vehicles=list(data["vehicles"]) or None,
            time_limit_seconds=data["time_limit_seconds"],
            shift_start=data["shift_start"],
            shift_end=data["shift_end"],
            actor=self.request.user,
        )

    def get_success_message(self, plan) -> str:
        return _("Dispatch plan %(number)s created with %(count)s shipment(s).") % {
            "number": plan.number,
            "count": plan.shipments.count(),
        }

    def get_success_url_for(self, plan) -> str:
        return reverse("logistics:dispatch-plan-detail", args=[plan.number])


def _percent(part, whole) -> int:
    return round(Decimal(part) * 100 / Decimal(whole)) if whole else 0


def _km(metres) -> Decimal | None:
    return None if metres is None else (Decimal(metres) / 1000).quantize(Decimal("0.1"))


class _Projection:
    """Equirectangular: x = longitude x cos(mean latitude), y = -latitude,
    scaled to fit the box with the same scale on both axes, centred."""

    def __init__(self, points, width: int, height: int, pad: int):
        latitudes = [lat for lat, _lon in points]
        self.k = math.cos(math.radians(sum(latitudes) / len(latitudes)))
        xs = [lon * self.k for _lat, lon in points]
        ys = [-lat for lat, _lon in points]
        span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
        room_x, room_y = width - 2 * pad, height - 2 * pad
        self.scale = min(
            room_x / span_x if span_x > 1e-9 else math.inf,
            room_y / span_y if span_y > 1e-9 else math.inf,
        )
        if self.scale == math.inf:  # all in one place
            self.scale = 1.0
        self.min_x, self.min_y = min(xs), min(ys)
        self.left = pad + (room_x - span_x * self.scale) / 2
        self.top = pad + (room_y - span_y * self.scale) / 2

    def __call__(self, lat: float, lon: float) -> tuple[str, str]:
        # Strings, so the template never localises the decimal point.
        return (
            f"{self.left + (lon * self.k - self.min_x) * self.scale:.1f}",
            f"{self.top + (-lat - self.min_y) * self.scale:.1f}",
        )


def route_drawing(plan, routes, *, width: int = 800, height: int = 520) -> dict:
    """What the template needs to draw the plan as SVG: the depot, one
    polyline per vehicle (depot, stops, depot) with numbered stops, and the
    shipments not on a route (left out, or not solved yet). Computed from
    coordinates only; no map tiles."""
    depot = (float(plan.depot.latitude), float(plan.depot.longitude))
    shipments = list(plan.shipments.all())
    points = [depot] + [
        (float(s.destination_latitude), float(s.destination_longitude))
        for s in shipments
        if s.destination_latitude is not None and s.destination_longitude is not None
    ]
    project = _Projection(points, width, height, pad=28)
    home = project(*depot)
    lines = []
    for route in routes:
        coords = [home]
        stops = []
        for row in route["stops"]:
            stop = row["stop"]
            shipment = stop.shipment
            xy = project(
                float(shipment.destination_latitude), float(shipment.destination_longitude)
            )
            coords.append(xy)
            stops.append({"x": xy[0], "y": xy[1], "stop": stop})
        coords.append(home)
        lines.append(
            {
                "colour": route["colour"],
                "plate": route["route"].vehicle.plate,
                "points": " ".join(f"{x},{y}" for x, y in coords),
                "stops": stops,
            }
        )
    routed = {dot["stop"].shipment_id for line in lines for dot in line["stops"]}
    waiting = []
    for shipment in shipments:
        if shipment.pk in routed or shipment.destination_latitude is None:
            continue
        x, y = project(float(shipment.destination_latitude), float(shipment.destination_longitude))
        waiting.append({"x": x, "y": y, "shipment": shipment})
    return {
        "width": width,
        "height": height,
        "depot": {"x": home[0], "y": home[1]},
        "routes": lines,
        "waiting": waiting,
    }


def _routes(plan) -> list[dict]:
    rows = []
    for index, route in enumerate(plan.routes.all()):
        vehicle = route.vehicle
        stops = []
        for stop in route.stops.all():
            shipment = stop.shipment
            late = (
                shipment.planned_delivery_at is not None and stop.eta > shipment.planned_delivery_at
            )
            early = shipment.window_start is not None and stop.eta < shipment.window_start
            stops.append(
                {
                    "stop": stop,
                    "leg_km": _km(stop.distance_from_previous_m),
                    "in_window": not (late or early),
                }
            )
        rows.append(
            {
                "route": route,
                "colour": ROUTE_COLOURS[index % len(ROUTE_COLOURS)],
                "distance_km": _km(route.distance_m),
                "kg_percent": _percent(route.load_kg, vehicle.capacity_kg),
                "m3_percent": _percent(route.load_m3, vehicle.capacity_m3),
                "stops": stops,
            }
        )
    return rows


ACTIONS = {
    "solve": {
        "service": plan_solve,
        "permissions": ["logistics.change_dispatchplan"],
        "statuses": (Status.DRAFT, Status.SOLVED),
        "label": gettext_lazy("Solve"),
        "icon": "bi-signpost-split",
        "style": "btn-primary",
        "done": gettext_lazy("Plan %(number)s solved: %(routes)s route(s), %(km)s km."),
    },
    "release": {
        "service": plan_release,
        "permissions": ["logistics.change_dispatchplan", "logistics.dispatch_shipment"],
        "statuses": (Status.SOLVED,),
        "label": pgettext_lazy("dispatch plan", "Release"),
        "icon": "bi-truck",
        "style": "btn-success",
        "done": gettext_lazy("Plan %(number)s released: the vehicles are on their way."),
    },
    "cancel": {
        "service": plan_cancel,
        "permissions": ["logistics.change_dispatchplan"],
        "statuses": (Status.DRAFT, Status.SOLVED),
        "label": gettext_lazy("Cancel plan"),
        "icon": "bi-x-circle",
        "style": "btn-outline-danger",
        "done": gettext_lazy("Plan %(number)s cancelled."),
    },
}


def available_actions(plan, user) -> list[dict]:
    return [
        {"name": name, **spec}
        for name, spec in ACTIONS.items()
        if plan.status in spec["statuses"] and user.has_perms(spec["permissions"])
    ]


@login_required
@permission_required("logistics.view_dispatchplan", raise_exception=True)
def dispatch_plan_detail_view(request, number: str):
    plan = get_object_or_404(dispatch_plan_detail(), number=number)
    routes = _routes(plan)
    unassigned = dispatch_plan_unassigned(plan)
    saved = None
    if plan.total_distance_m is not None and plan.baseline_distance_m:
        saved = round(
            (plan.baseline_distance_m - plan.total_distance_m) * 100 / plan.baseline_distance_m, 1
        )
    return render(
        request,
        "logistics/dispatch/plan_detail.html",
        {
            "plan": plan,
            "routes": routes,
            "unassigned": unassigned,
            "drawing": route_drawing(plan, routes) if plan.shipments.all() else None,
            "total_km": _km(plan.total_distance_m),
            "baseline_km": _km(plan.baseline_distance_m),
            "saved_percent": saved,
            "status_badge": STATUS_BADGES.get(plan.status, "text-bg-secondary"),
            "actions": available_actions(plan, request.user),
        },
    )


@login_required
@require_POST
def dispatch_plan_action(request, number: str, action: str):
    """Solve, release or cancel a plan, then back to its page."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not request.user.has_perms(spec["permissions"]):
        raise PermissionDenied
    plan = get_object_or_404(DispatchPlan, number=number)
    try:
        plan = spec["service"](plan=plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            spec["done"]
            % {
                "number": plan.number,
                "routes": plan.routes.count(),
                "km": _km(plan.total_distance_m),
            },
        )
    return redirect("logistics:dispatch-plan-detail", number=number)
