from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Avg, Count, Sum
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from logistics.filters import CarrierFilter, VehicleFilter
from logistics.forms import CarrierForm
from logistics.models import Carrier
from logistics.selectors import carrier_list, shipment_list, vehicle_list
from logistics.services import carrier_create, carrier_update


class CarrierListView(StaffListView):
    permission_required = "logistics.view_carrier"
    filterset_class = CarrierFilter
    queryset = carrier_list()
    title = _("Carriers")
    columns = [
        ("code", _("code")),
        ("name", _("name")),
        ("mode", _("transport mode")),
        ("phone", _("phone")),
        ("own_fleet", _("own fleet")),
        ("effective_emission_factor", _("emission factor (g CO2e per tonne-km)")),
        ("base_fee", _("base fee per shipment")),
        ("fee_per_kg", _("fee per kg")),
        ("active", _("active")),
    ]
    empty_message = _("No carriers match these filters.")
    create_url_name = "logistics:carrier-create"
    create_permission = "logistics.add_carrier"

    def row_url(self, obj):
        return reverse("logistics:carrier-detail", args=[obj.code])


# Weights the carrier page prices, to show what the tariff means.
EXAMPLE_WEIGHTS_KG = (1, 5, 20)


@login_required
@permission_required("logistics.view_carrier", raise_exception=True)
def carrier_detail(request, code: str):
    """A carrier: its details and tariff, what typical parcels cost with it,
    and its latest shipments with their freight cost and CO2e."""
    carrier = get_object_or_404(carrier_list(), code=code)
    shipments = shipment_list().filter(carrier=carrier)
    totals = shipments.filter(picked_up_at__isnull=False).aggregate(
        shipments=Count("pk"),
        freight=Sum("freight_cost"),
        average=Avg("freight_cost"),
        co2e=Sum("co2e_kg"),
    )
    examples = [(kg, carrier.base_fee + kg * carrier.fee_per_kg) for kg in EXAMPLE_WEIGHTS_KG]
    return render(
        request,
        "logistics/carrier_detail.html",
        {
            "carrier": carrier,
            "examples": examples,
            "totals": totals,
            "latest": shipments.order_by("-created_at", "-id")[:20],
            "vehicles": carrier.vehicles.select_related("depot").order_by("plate"),
            "can_change": request.user.has_perm("logistics.change_carrier"),
        },
    )


class CarrierCreateView(ServiceFormView):
    permission_required = "logistics.add_carrier"
    form_class = CarrierForm
    title = _("New carrier")
    cancel_url_name = "logistics:carrier-list"

    def perform(self, form):
        return carrier_create(**form.cleaned_data)

    def get_success_message(self, carrier) -> str:
        return _("Carrier %(code)s created.") % {"code": carrier.code}

    def get_success_url_for(self, carrier) -> str:
        return reverse("logistics:carrier-detail", args=[carrier.code])


class CarrierEditView(ServiceFormView):
    permission_required = "logistics.change_carrier"
    form_class = CarrierForm
    cancel_url_name = "logistics:carrier-list"

    def dispatch(self, request, *args, **kwargs):
        self.carrier = get_object_or_404(Carrier, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "carrier": self.carrier}

    def get_initial(self):
        fields = CarrierForm.base_fields
        return {name: getattr(self.carrier, name) for name in fields}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Edit carrier %(code)s") % {"code": self.carrier.code}
        return ctx

    def perform(self, form):
        changes = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        return carrier_update(carrier=self.carrier, **changes)

    def get_success_message(self, carrier) -> str:
        return _("Carrier %(code)s saved.") % {"code": carrier.code}

    def get_success_url_for(self, carrier) -> str:
        return reverse("logistics:carrier-detail", args=[carrier.code])


class VehicleListView(StaffListView):
    permission_required = "logistics.view_vehicle"
    filterset_class = VehicleFilter
    queryset = vehicle_list()
    title = _("Vehicles")
    columns = [
        ("plate", _("plate"), "plate"),
        ("depot", _("depot")),
        ("carrier", _("carrier")),
        ("capacity_kg", _("capacity (kg)"), "capacity_kg"),
        ("capacity_m3", _("capacity (m³)")),
        ("driver", _("driver")),
        ("refrigerated", _("refrigerated")),
        ("status", _("status")),
    ]
    empty_message = _("No vehicles match these filters.")
