from django.utils.translation import gettext_lazy as _

from erp.core.views import StaffListView
from logistics.filters import CarrierFilter, VehicleFilter
from logistics.selectors import carrier_list, vehicle_list


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
        ("active", _("active")),
    ]
    empty_message = _("No carriers match these filters.")


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
