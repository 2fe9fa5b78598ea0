from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from analytics.filters import AlertFilter, KpiTargetFilter
from analytics.forms import AlertAcknowledgeForm, AlertAssignForm, AlertResolveForm
from analytics.models import Alert
from analytics.selectors import alert_events, alerts_visible_to, target_list
from analytics.services.lifecycle import alert_acknowledge, alert_assign, alert_resolve
from erp.core.errors import DomainError
from erp.core.roles import Role
from erp.core.templatetags.erp_tags import person_name
from erp.core.views import StaffListView
from erp.core.widgets import style_form


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


# --- Alerts --------------------------------------------------------------------

SEVERITY_BADGES = {
    Alert.Severity.INFO: "text-bg-info",
    Alert.Severity.WARNING: "text-bg-warning",
    Alert.Severity.CRITICAL: "text-bg-danger",
}
STATUS_BADGES = {
    Alert.Status.OPEN: "text-bg-danger",
    Alert.Status.ACKNOWLEDGED: "text-bg-primary",
    Alert.Status.RESOLVED: "text-bg-success",
}
RESOLVE = "analytics.resolve_alert"


class AlertListView(StaffListView):
    """The alerts the user may see; open and acknowledged ones unless other
    statuses are chosen."""

    permission_required = "analytics.view_alert"
    filterset_class = AlertFilter
    template_name = "analytics/alert_list.html"
    title = _("Alerts")
    columns = [
        ("number", _("alert number"), "number"),
        ("kind", _("kind")),
        ("severity", _("severity"), "severity"),
        ("subject_label", _("subject")),
        ("message", _("message")),
        ("owner", _("owner")),
        ("raised_at", _("raised at"), "raised_at"),
        ("deadline", _("deadline"), "deadline"),
        ("status", _("status")),
    ]
    empty_message = _("No alerts match these filters.")

    def get_queryset(self):
        return alerts_visible_to(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not self.request.GET.getlist("status"):
            data = self.request.GET.copy()
            data.setlist("status", list(Alert.OPEN_STATUSES))
            kwargs["data"] = data
        return kwargs

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for name in ("kind", "severity", "status"):
            filterset.form.fields[name].widget.attrs["size"] = 3
        return filterset

    def row_url(self, obj):
        return reverse("analytics:alert-detail", args=[obj.number])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        ctx.update(
            alerts=[
                {
                    "alert": alert,
                    "url": self.row_url(alert),
                    "severity_badge": SEVERITY_BADGES.get(alert.severity, "text-bg-secondary"),
                    "status_badge": STATUS_BADGES.get(alert.status, "text-bg-secondary"),
                    "overdue": alert.status in Alert.OPEN_STATUSES and alert.deadline < now,
                }
                for alert in ctx["object_list"]
            ],
            # Opens with the open statuses chosen: not "filtered" by the user.
            filtered=any(
                v for k, v in self.request.GET.items() if k not in ("page", "ordering", "export")
            ),
        )
        return ctx


def _visible_alert(request, key: str) -> Alert:
    """The alert by number (or id), if the user may see it; else 404, so
    another role's alert is not given away."""
    lookup = {"pk": int(key)} if key.isdigit() else {"number": key}
    return get_object_or_404(alerts_visible_to(request.user), **lookup)


def _alert_forms(request, alert: Alert, bound: dict | None = None) -> dict:
    if not request.user.has_perm(RESOLVE) or alert.status == Alert.Status.RESOLVED:
        return {}
    forms = {}
    if alert.status == Alert.Status.OPEN:
        forms["acknowledge"] = AlertAcknowledgeForm()
    forms["assign"] = AlertAssignForm(alert=alert, initial={"owner": alert.owner})
    forms["resolve"] = AlertResolveForm()
    forms.update(bound or {})
    for name, form in forms.items():
        style_form(form, small=True)
        form.auto_id = f"{name}-%s"
    return forms


def _alert_context(request, alert: Alert, bound: dict | None = None) -> dict:
    now = timezone.now()
    return {
        "alert": alert,
        "severity_badge": SEVERITY_BADGES.get(alert.severity, "text-bg-secondary"),
        "status_badge": STATUS_BADGES.get(alert.status, "text-bg-secondary"),
        "overdue": alert.status in Alert.OPEN_STATUSES and alert.deadline < now,
        "events": list(alert_events(alert)),
        "forms": _alert_forms(request, alert, bound),
        "escalated_to_label": (
            Role(alert.escalated_to_role).label
            if alert.escalated_to_role in Role.values
            else alert.escalated_to_role
        ),
        "owner_role_label": (
            Role(alert.owner_role).label if alert.owner_role in Role.values else alert.owner_role
        ),
    }


@login_required
@permission_required("analytics.view_alert", raise_exception=True)
@require_GET
def alert_detail_view(request, key: str):
    alert = _visible_alert(request, key)
    return render(request, "analytics/alert_detail.html", _alert_context(request, alert))


ALERT_FORMS = {
    "acknowledge": lambda request, alert: AlertAcknowledgeForm(request.POST),
    "assign": lambda request, alert: AlertAssignForm(request.POST, alert=alert),
    "resolve": lambda request, alert: AlertResolveForm(request.POST),
}


def _alert_run(action: str, alert: Alert, data: dict, actor) -> str:
    if action == "acknowledge":
        alert_acknowledge(alert=alert, actor=actor, note=data["note"])
        return gettext("Alert %(number)s acknowledged.") % {"number": alert.number}
    if action == "assign":
        alert_assign(alert=alert, owner=data["owner"], actor=actor)
        return gettext("Alert %(number)s given to %(owner)s.") % {
            "number": alert.number,
            "owner": person_name(data["owner"]),
        }
    alert_resolve(alert=alert, actor=actor, note=data["resolution_note"])
    return gettext("Alert %(number)s resolved.") % {"number": alert.number}


@login_required
@require_POST
def alert_action(request, key: str, action: str):
    """Acknowledge, assign or resolve an alert, then back to its page; a
    refused or invalid action shows the page again with the error on its form."""
    if action not in ALERT_FORMS:
        raise Http404
    if not request.user.has_perm("analytics.view_alert"):
        raise PermissionDenied
    alert = _visible_alert(request, key)
    if not request.user.has_perm(RESOLVE):
        raise PermissionDenied
    form = ALERT_FORMS[action](request, alert)
    if form.is_valid():
        try:
            message = _alert_run(action, alert, form.cleaned_data, request.user)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
            return redirect("analytics:alert-detail", key=alert.number)
    else:
        messages.error(request, gettext("The form has errors; see below."))
    alert = _visible_alert(request, key)
    context = _alert_context(request, alert, bound={action: form})
    context["failed_action"] = action
    return render(request, "analytics/alert_detail.html", context, status=400)
