from django.urls import path
from django.utils.translation import gettext_lazy as _

from aftersales.filters import ServiceTeamFilter
from aftersales.selectors import team_list
from erp.core.views import StaffListView


class ServiceTeamListView(StaffListView):
    permission_required = "aftersales.view_serviceteam"
    filterset_class = ServiceTeamFilter
    queryset = team_list()
    title = _("Teams")
    columns = [
        ("code", _("code")),
        ("name", _("name")),
        ("member_count", _("members")),
        ("active", _("active")),
    ]
    empty_message = _("No teams match these filters.")


urlpatterns = [
    path("teams/", ServiceTeamListView.as_view(), name="team-list"),
]
