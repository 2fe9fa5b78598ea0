"""Top-level staff pages: home and the audit log."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from analytics.dashboards import home_dashboard
from erp.core.filters import AuditEventFilter
from erp.core.roles import Role, user_roles
from erp.core.selectors import audit_event_list
from erp.core.views import StaffListView


@login_required
def home(request):
    role_labels = dict(Role.choices)
    roles = [role_labels[r] for r in user_roles(request.user)]
    # The top cards of the user's own dashboard, with a link to all of it.
    return render(request, "home.html", {"roles": roles, **home_dashboard(request.user)})


class AuditLogView(StaffListView):
    permission_required = "core.view_auditevent"
    filterset_class = AuditEventFilter
    queryset = audit_event_list()
    title = _("Audit log")
    paginate_by = 50
    columns = [
        ("created_at", _("time")),
        ("kind", _("kind")),
        ("username", _("username")),
        ("client_id", _("integration client")),
        ("ip_address", _("IP address")),
        ("method", _("method")),
        ("path", _("path")),
        ("detail", _("detail")),
    ]
    empty_message = _("No audit events match these filters.")
