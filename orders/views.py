from django.utils.translation import gettext_lazy as _

from erp.core.views import StaffListView
from orders.filters import SalesChannelFilter
from orders.selectors import channel_list


class SalesChannelListView(StaffListView):
    permission_required = "orders.view_saleschannel"
    filterset_class = SalesChannelFilter
    queryset = channel_list()
    title = _("Sales channels")
    columns = [
        ("code", _("code")),
        ("name", _("name")),
        ("kind", _("kind")),
        ("default_warehouse", _("default warehouse")),
        ("auto_confirm", _("confirm automatically")),
        ("allow_backorder", _("allow backorders")),
        ("active", _("active")),
    ]
    empty_message = _("No sales channels match these filters.")
