from django.utils.translation import gettext_lazy as _

from analytics.filters import KpiTargetFilter
from analytics.selectors import target_list
from erp.core.views import StaffListView


class KpiTargetListView(StaffListView):
    permission_required = "analytics.view_kpitarget"
    filterset_class = KpiTargetFilter
    queryset = target_list()
    title = _("Targets")
    columns = [
        ("kpi", _("KPI")),
        ("comparison", _("comparison")),
        ("target", _("target")),
        ("tolerance_percent", _("tolerance (%)")),
        ("unit", _("unit")),
        ("active", _("active")),
    ]
    empty_message = _("No targets match these filters.")
