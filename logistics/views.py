from django.utils.translation import gettext_lazy as _

from erp.core.views import StaffListView
from logistics.filters import CarrierFilter
from logistics.selectors import carrier_list


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
        ("active", _("active")),
    ]
    empty_message = _("No carriers match these filters.")
