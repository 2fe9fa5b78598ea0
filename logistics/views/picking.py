"""Staff pages for the warehouse floor: pick waves (list, start one, the
printable pick list with per-row confirmation), the pack bench where each unit
is scanned into the box, and the shipment's label and packing slip as PDF."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from inventory.models import Warehouse
from logistics.documents import shipment_document
from logistics.filters import PickWaveFilter
from logistics.models import PickWave, Shipment
from logistics.selectors import pick_lines, pick_wave_detail, pick_wave_list, shipment_for_packing
from logistics.services import pack_scan, pick_confirm, wave_cancel, wave_close, wave_create

UNPACKED = (Shipment.Status.PLANNED, Shipment.Status.PICKING, Shipment.Status.CANCELLED)
VIEW = "logistics.view_shipment"
PACK = "logistics.pack_shipment"

WAVE_BADGES = {
    PickWave.Status.OPEN: "text-bg-primary",
    PickWave.Status.DONE: "text-bg-success",
    PickWave.Status.CANCELLED: "text-bg-secondary",
}


class PickWaveListView(StaffListView):
    permission_required = VIEW
    filterset_class = PickWaveFilter
    queryset = pick_wave_list()
    title = gettext_lazy("Pick waves")
    columns = [
        ("number", gettext_lazy("wave number"), "number"),
        ("warehouse", gettext_lazy("warehouse")),
        ("status", gettext_lazy("status")),
        ("shipment_count", gettext_lazy("shipments")),
        ("line_count", gettext_lazy("pick lines")),
        ("picker", gettext_lazy("picker")),
        ("created_at", gettext_lazy("created at"), "created_at"),
    ]
    create_url_name = "logistics:wave-create"
    create_permission = PACK
    empty_message = gettext_lazy("No pick waves match these filters.")

    def row_url(self, obj):
        return reverse("logistics:wave-detail", args=[obj.number])


class ShipmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _("%(number)s · order %(order)s · %(city)s · %(units)s unit(s) · %(warehouse)s") % {
            "number": obj.number,
            "order": obj.order.number,
            "city": obj.destination_city or "—",
            "units": obj.units or 0,
            "warehouse": obj.warehouse.code,
        }


class WaveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(active=True), label=gettext_lazy("warehouse")
    )
    shipments = ShipmentChoiceField(
        queryset=Shipment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("shipments"),
        help_text=gettext_lazy("None ticked: every planned shipment of the warehouse."),
    )

    def __init__(self, *args, warehouse=None, **kwargs):
        super().__init__(*args, **kwargs)
        planned = (
            Shipment.objects.filter(status=Shipment.Status.PLANNED)
            .select_related("order", "warehouse")
            .annotate(units=Sum("lines__quantity"))
            .order_by("created_at", "pk")
        )
        if warehouse is not None:
            planned = planned.filter(warehouse=warehouse)
        self.fields["shipments"].queryset = planned


class WaveCreateView(ServiceFormView):
    permission_required = PACK
    form_class = WaveForm
    template_name = "logistics/picking/wave_form.html"
    title = gettext_lazy("New pick wave")
    cancel_url_name = "logistics:wave-list"

    def _warehouse(self):
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        try:
            return Warehouse.objects.filter(active=True).get(pk=int(source.get("warehouse", "")))
        except (ValueError, Warehouse.DoesNotExist):
            return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["warehouse"] = self._warehouse()
        return kwargs

    def get_initial(self):
        return {"warehouse": self._warehouse()}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["shipments"].widget.attrs["class"] = "form-check-input"
        return form

    def perform(self, form):
        data = form.cleaned_data
        return wave_create(
            warehouse=data["warehouse"],
            shipments=list(data["shipments"]) or None,
            actor=self.request.user,
        )

    def get_success_message(self, wave) -> str:
        return _("Wave %(wave)s started with %(count)s shipment(s).") % {
            "wave": wave.number,
            "count": wave.shipments.count(),
        }

    def get_success_url_for(self, wave) -> str:
        return reverse("logistics:wave-detail", args=[wave.number])


def _wave_context(request, wave) -> dict:
    lines = list(wave.lines.all())
    shipments = list(
        wave.shipments.annotate(units=Sum("lines__quantity"), line_count=Count("lines"))
    )
    return {
        "wave": wave,
        "lines": lines,
        "shipments": shipments,
        "status_badge": WAVE_BADGES.get(wave.status, "text-bg-secondary"),
        "can_pack": request.user.has_perm(PACK) and wave.status == PickWave.Status.OPEN,
        "units": sum(line.quantity for line in lines),
        "units_picked": sum(line.quantity_picked for line in lines),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def wave_detail_view(request, number: str):
    """The pick list in walk order (printable), each row confirmable, and the
    wave's shipments with a link to pack each."""
    wave = get_object_or_404(pick_wave_detail(), number=number)
    return render(request, "logistics/picking/wave_detail.html", _wave_context(request, wave))


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def wave_pick(request, number: str, line_id: int):
    """Confirm the units picked on one row; htmx gets the row back."""
    wave = get_object_or_404(PickWave, number=number)
    line = get_object_or_404(pick_lines(), pk=line_id, wave=wave)
    error = None
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        error = _("Give the number of units picked.")
    else:
        try:
            line = pick_confirm(line=line, quantity=quantity, actor=request.user)
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        line = pick_lines().get(pk=line.pk)
        wave.refresh_from_db()
        return render(
            request,
            "logistics/picking/_pick_row.html",
            {
                "line": line,
                "wave": wave,
                "can_pack": wave.status == PickWave.Status.OPEN,
                "error": error,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(sku)s: %(picked)s of %(units)s picked.")
            % {
                "sku": line.shipment_line.order_line.sku,
                "picked": line.quantity_picked,
                "units": line.quantity,
            },
        )
    return redirect(f"{reverse('logistics:wave-detail', args=[number])}#line-{line.pk}")


WAVE_ACTIONS = {"close": wave_close, "cancel": wave_cancel}


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def wave_action(request, number: str, action: str):
    if action not in WAVE_ACTIONS:
        raise Http404
    wave = get_object_or_404(PickWave, number=number)
    service = WAVE_ACTIONS[action]
    kwargs = {"reason": request.POST.get("reason", "")} if action == "cancel" else {}
    try:
        wave = service(wave=wave, actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Wave %(wave)s is now %(status)s.")
            % {"wave": wave.number, "status": wave.get_status_display()},
        )
    return redirect("logistics:wave-detail", number=number)


def _bench(request, shipment, *, error=None, scanned=None, status=200):
    shipment = shipment_for_packing().get(pk=shipment.pk)
    lines = list(shipment.lines.all())
    return render(
        request,
        "logistics/picking/pack.html",
        {
            "shipment": shipment,
            "lines": lines,
            "units": sum(line.quantity for line in lines),
            "units_packed": sum(line.quantity_packed for line in lines),
            "error": error,
            "scanned": scanned,
            "packing": shipment.status == Shipment.Status.PICKING,
            "packed": shipment.status == Shipment.Status.PACKED,
            # Label and slip once the box is closed (and after it has left).
            "show_documents": shipment.status not in UNPACKED,
        },
        status=status,
    )


@login_required
@permission_required(PACK, raise_exception=True)
def pack_view(request, number: str):
    """The pack bench: scan each unit (a scanner types the code and Enter);
    every line shows packed of quantity; a wrong scan says why."""
    shipment = get_object_or_404(Shipment, number=number)
    if request.method != "POST":
        return _bench(request, shipment)
    code = request.POST.get("code", "")
    try:
        quantity = int(request.POST.get("quantity") or 1)
    except ValueError:
        return _bench(request, shipment, error=_("The quantity must be at least 1."))
    try:
        line = pack_scan(shipment=shipment, code=code, quantity=quantity, actor=request.user)
    except DomainError as exc:
        return _bench(request, shipment, error=exc.message)
    scanned = _("%(sku)s %(name)s: %(packed)s of %(units)s packed.") % {
        "sku": line.order_line.sku,
        "name": line.order_line.name,
        "packed": line.quantity_packed,
        "units": line.quantity,
    }
    if request.htmx:
        return _bench(request, shipment, scanned=scanned)
    messages.success(request, scanned)
    return redirect("logistics:shipment-pack", number=number)


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_label_view(request, number: str):
    shipment = get_object_or_404(
        Shipment.objects.select_related("order", "warehouse", "carrier"), number=number
    )
    return shipment_document(request, shipment, "label")


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_slip_view(request, number: str):
    shipment = get_object_or_404(
        Shipment.objects.select_related("order", "warehouse", "carrier"), number=number
    )
    return shipment_document(request, shipment, "slip")
