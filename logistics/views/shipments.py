"""Shipment pages: the board by status, the list, one shipment with its
timeline and sensor chart, creating a shipment from an order, and the
carbon report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.views import StaffListView, board_columns
from erp.core.widgets import style_form
from logistics.charts import sensor_chart_svg
from logistics.filters import ShipmentFilter
from logistics.forms import (
    CancelForm,
    DeliverForm,
    DispatchForm,
    ProblemForm,
    ShipmentCreateForm,
    TransitionForm,
)
from logistics.models import SHIPMENT_ON_THE_ROAD, SensorReading, Shipment, ShipmentException
from logistics.selectors import (
    carbon_by_carrier_month,
    shipment_detail,
    shipment_list,
    shipment_status_counts,
)
from logistics.services import (
    allowed_targets,
    exception_resolve,
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_move,
    shipment_problem_report,
    unassigned_units,
)
from orders.models import Order

Status = Shipment.Status

STATUS_BADGES = {
    Status.PLANNED: "text-bg-secondary",
    Status.PICKING: "text-bg-info",
    Status.PACKED: "text-bg-primary",
    Status.DISPATCHED: "text-bg-primary",
    Status.IN_TRANSIT: "text-bg-primary",
    Status.OUT_FOR_DELIVERY: "text-bg-info",
    Status.DELIVERED: "text-bg-success",
    Status.EXCEPTION: "text-bg-danger",
    Status.RETURNED_TO_SENDER: "text-bg-warning",
    Status.CANCELLED: "text-bg-light border",
}
# The board's columns: the flow, then the problems. Finished shipments are counted.
BOARD_COLUMNS = [
    Status.PLANNED,
    Status.PICKING,
    Status.PACKED,
    Status.DISPATCHED,
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
    Status.EXCEPTION,
]
BOARD_CARDS = 12


def _filtered(request):
    """The shipment filter of the board and the carbon report, and the
    shipments it lets through (all of them while it is empty or invalid)."""
    filterset = ShipmentFilter(request.GET or None, queryset=shipment_list())
    style_form(filterset.form, small=True)
    valid = filterset.is_bound and filterset.is_valid()
    return filterset, filterset.qs if valid else shipment_list()


@login_required
@permission_required("logistics.view_shipment", raise_exception=True)
def shipment_board(request):
    """Open shipments in one column per status, filtered like the list."""
    filterset, queryset = _filtered(request)
    counts = shipment_status_counts(queryset)
    columns = board_columns(
        queryset,
        statuses=BOARD_COLUMNS,
        choices=Status,
        badges=STATUS_BADGES,
        counts=counts,
        order_by=(F("planned_delivery_at").asc(nulls_last=True), "pk"),
        limit=BOARD_CARDS,
    )
    finished = [
        (Status(s).label, counts[s], s)
        for s in (Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED)
    ]
    return render(
        request,
        "logistics/shipments/board.html",
        {"columns": columns, "finished": finished, "filter": filterset},
    )


class ShipmentListView(StaffListView):
    permission_required = "logistics.view_shipment"
    filterset_class = ShipmentFilter
    queryset = shipment_list()
    title = gettext_lazy("Shipments")
    columns = [
        ("number", gettext_lazy("shipment number"), "number"),
        ("order.number", gettext_lazy("order")),
        ("warehouse.code", gettext_lazy("origin warehouse")),
        ("status", gettext_lazy("status")),
        ("carrier", gettext_lazy("carrier")),
        ("tracking_number", gettext_lazy("tracking number")),
        ("destination_city", gettext_lazy("destination city")),
        ("planned_delivery_at", gettext_lazy("planned delivery"), "planned_delivery_at"),
        ("eta", gettext_lazy("ETA")),
        ("weight_kg", gettext_lazy("weight (kg)")),
        ("co2e_kg", gettext_lazy("carbon emissions (kg CO2e)"), "co2e_kg"),
        ("open_exception", gettext_lazy("open exception")),
    ]
    empty_message = gettext_lazy("No shipments match these filters.")
    drill_filters = ("dispatched_from", "dispatched_to", "sales_channel")

    def row_url(self, obj):
        return reverse("logistics:shipment-detail", args=[obj.number])


def _forms_for(request, shipment):
    """The action forms this user may use on this shipment now."""
    user, targets = request.user, allowed_targets(shipment)
    forms = {}
    if user.has_perm("logistics.dispatch_shipment"):
        if Status.DISPATCHED in targets and shipment.status == Status.PACKED:
            forms["dispatch"] = style_form(DispatchForm(shipment=shipment), small=True)
        if Status.DELIVERED in targets:
            forms["deliver"] = style_form(DeliverForm(), small=True)
    if user.has_perm("logistics.change_shipment"):
        # Picking, packing, dispatch, delivery and problems have their own forms.
        manual = targets - {
            Status.PLANNED,
            Status.PICKING,
            Status.PACKED,
            Status.DISPATCHED,
            Status.DELIVERED,
            Status.CANCELLED,
            Status.EXCEPTION,
        }
        if manual:
            forms["transition"] = style_form(TransitionForm(targets=manual), small=True)
        if Status.CANCELLED in targets:
            forms["cancel"] = style_form(CancelForm(), small=True)
        if shipment.status in (*SHIPMENT_ON_THE_ROAD, Status.DELIVERED):
            forms["problem"] = style_form(ProblemForm(), small=True)
    return forms


@login_required
@permission_required("logistics.view_shipment", raise_exception=True)
def shipment_detail_view(request, number: str):
    shipment = get_object_or_404(shipment_detail(), number=number)
    readings = list(
        SensorReading.objects.filter(shipment=shipment)
        .order_by("recorded_at")
        .values_list("recorded_at", "temperature", "humidity")
    )
    chart = sensor_chart_svg(readings, low=shipment.temperature_min, high=shipment.temperature_max)
    temps = [r[1] for r in readings if r[1] is not None]
    return render(
        request,
        "logistics/shipments/detail.html",
        {
            "shipment": shipment,
            "lines": list(shipment.lines.all()),
            "events": shipment.events.all(),
            "exceptions": shipment.exceptions.all(),
            "proof": getattr(shipment, "proof_of_delivery", None),
            "badge": STATUS_BADGES[shipment.status],
            # label and slip once the box is packed
            "documents_hidden": [Status.PLANNED, Status.PICKING, Status.CANCELLED],
            "forms": _forms_for(request, shipment),
            "chart": chart,
            "reading_count": len(readings),
            "temperature_low": min(temps) if temps else None,
            "temperature_high": max(temps) if temps else None,
            "address": shipment.order.shipping_address or {},
            "open_exceptions": [
                e for e in shipment.exceptions.all() if e.status == ShipmentException.Status.OPEN
            ],
        },
    )


ACTION_PERMISSIONS = {
    "dispatch": "logistics.dispatch_shipment",
    "deliver": "logistics.dispatch_shipment",
    "transition": "logistics.change_shipment",
    "cancel": "logistics.change_shipment",
    "problem": "logistics.change_shipment",
}


@login_required
@require_POST
def shipment_action(request, number: str, action: str):
    """Dispatch, deliver, change the status of or cancel a shipment."""
    if action not in ACTION_PERMISSIONS:
        raise Http404
    if not request.user.has_perm(ACTION_PERMISSIONS[action]):
        raise PermissionDenied
    shipment = get_object_or_404(Shipment.objects.select_related("warehouse"), number=number)
    form = {
        "dispatch": lambda: DispatchForm(request.POST, shipment=shipment),
        "deliver": lambda: DeliverForm(request.POST, request.FILES),
        "transition": lambda: TransitionForm(request.POST, targets=allowed_targets(shipment)),
        "cancel": lambda: CancelForm(request.POST),
        "problem": lambda: ProblemForm(request.POST),
    }[action]()
    if not form.is_valid():
        first = next(iter(form.errors.items()))
        messages.error(request, f"{form.fields[first[0]].label}: {first[1][0]}")
        return redirect("logistics:shipment-detail", number=number)
    data = form.cleaned_data
    try:
        if action == "dispatch":
            shipment_dispatch(shipment=shipment, actor=request.user, **data)
        elif action == "deliver":
            shipment_deliver(shipment=shipment, actor=request.user, **data)
        elif action == "transition":
            shipment_move(
                shipment=shipment,
                to_status=data["status"],
                reason=data["reason"],
                actor=request.user,
            )
        elif action == "problem":
            shipment_problem_report(shipment=shipment, actor=request.user, **data)
        else:
            shipment_cancel(shipment=shipment, reason=data["reason"], actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        shipment.refresh_from_db()
        messages.success(
            request,
            _("Shipment %(number)s is now %(status)s.")
            % {"number": shipment.number, "status": Status(shipment.status).label},
        )
    return redirect("logistics:shipment-detail", number=number)


@login_required
@permission_required("logistics.add_shipment", raise_exception=True)
def shipment_create_view(request, order_number: str):
    """Plan a shipment of an order's reserved stock."""
    order = get_object_or_404(Order.objects.select_related("channel"), number=order_number)
    free = unassigned_units(order)
    form = ShipmentCreateForm(request.POST or None, order=order, free=free)
    style_form(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = {
            "carrier": data["carrier"],
            "window_start": data["window_start"],
            "planned_delivery_at": data["planned_delivery_at"],
            "note": data["note"],
        }
        if data["temperature_min"] is not None or data["temperature_max"] is not None:
            options["temperature_range"] = (data["temperature_min"], data["temperature_max"])
        try:
            shipment = shipment_create(
                order=order,
                warehouse=data["warehouse"],
                lines=form.chosen_lines(),
                actor=request.user,
                **options,
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field and exc.field.startswith("lines["):
                field = None
            form.add_error(field, exc.message)
        else:
            messages.success(
                request, _("Shipment %(number)s planned.") % {"number": shipment.number}
            )
            return redirect("logistics:shipment-detail", number=shipment.number)
    return render(
        request,
        "logistics/shipments/create.html",
        {"order": order, "form": form, "nothing_free": not free},
    )


@login_required
@permission_required("logistics.view_shipment", raise_exception=True)
def carbon_report(request):
    """kg CO2e per carrier and month, with the totals."""
    filterset, queryset = _filtered(request)
    rows = list(carbon_by_carrier_month(queryset))
    totals = queryset.filter(co2e_kg__isnull=False).aggregate(
        co2e_kg=Sum("co2e_kg"), weight_kg=Sum("weight_kg"), distance_km=Sum("distance_km")
    )
    return render(
        request,
        "logistics/shipments/carbon.html",
        {"rows": rows, "totals": totals, "filter": filterset},
    )


@login_required
@permission_required("logistics.change_shipmentexception", raise_exception=True)
@require_POST
def exception_resolve_view(request, pk: int):
    """Close an exception with what was done about it."""
    exception = get_object_or_404(ShipmentException.objects.select_related("shipment"), pk=pk)
    try:
        exception_resolve(
            exception=exception, resolution=request.POST.get("resolution", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Exception resolved."))
    return redirect("logistics:shipment-detail", number=exception.shipment.number)
