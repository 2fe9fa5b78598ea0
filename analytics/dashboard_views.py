"""Staff pages: the KPI dashboards (one per role group) and the drill-down
from a number or a chart element to the list behind it."""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from analytics.dashboards import (
    DASHBOARD_BY_GROUP,
    Dashboard,
    DashboardFilterForm,
    Period,
    chart_keys,
    dashboard_data,
    dashboards_for,
    drill_target,
    series_values,
)
from analytics.selectors.kpis import KPI_GROUPS, KPIS, KpiFilter
from analytics.selectors.scope import period_error
from erp.core.widgets import style_form


@login_required
@require_GET
def dashboard_index(request):
    """The user's own dashboard (the first their roles allow)."""
    allowed = dashboards_for(request.user)
    if not allowed:
        raise PermissionDenied
    url = reverse("analytics:dashboard", args=[allowed[0].group])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


def _allowed_dashboard(request, group: str) -> Dashboard:
    dashboard = DASHBOARD_BY_GROUP.get(group)
    if dashboard is None or group not in KPI_GROUPS:
        raise Http404
    if dashboard not in dashboards_for(request.user):
        raise PermissionDenied
    return dashboard


@login_required
@require_GET
def dashboard_view(request, group: str):
    dashboard = _allowed_dashboard(request, group)
    allowed = dashboards_for(request.user)
    # Without a query, the default period as if it had been asked for.
    form = DashboardFilterForm(request.GET or {"period": Period.LAST_30})
    style_form(form, small=True)
    context = {
        "dashboard": dashboard,
        "dashboards": allowed,
        "form": form,
        "filtered": bool(request.GET),
    }
    if form.is_valid():
        f = form.kpi_filter()
        query = urlencode(form.query())
        context.update(dashboard_data(dashboard, f, user=request.user, query=query))
        context.update(kpi_filter=f, query_string=query)
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_GET
def dashboard_series(request, group: str):
    """One KPI of a dashboard day by day, for its chart (JSON)."""
    dashboard = _allowed_dashboard(request, group)
    key = request.GET.get("kpi", "")
    if key not in KPI_GROUPS[dashboard.group]:
        raise Http404
    form = DashboardFilterForm(request.GET)
    if not form.is_valid():
        raise BadRequest(gettext("The period is not valid."))
    return JsonResponse({"key": key, "values": series_values(form.kpi_filter(), key)})


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def dashboard_drill(request):
    """From a card or a chart element (a day, a channel, a reason) to the
    list behind it: the KPI's own drill link for the narrowed filter."""
    key = request.GET.get("kpi", "")
    shown = set().union(*(chart_keys(d) for d in dashboards_for(request.user)))
    if key not in shown or not request.user.has_perm(KPIS[key].drill_permission):
        raise PermissionDenied
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    if date_from is None or date_to is None:
        raise BadRequest(gettext("The period is not valid."))
    error = period_error(date_from, date_to, max_days=settings.ANALYTICS_DASHBOARD_MAX_DAYS)
    if error:
        raise BadRequest(error)
    f = KpiFilter(
        date_from=date_from,
        date_to=date_to,
        channel_id=_int(request.GET.get("channel")),
        warehouse_id=_int(request.GET.get("warehouse")),
    )
    url = drill_target(
        f, key, user=request.user, by=request.GET.get("by", ""), label=request.GET.get("label", "")
    )
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        raise Http404
    return redirect(url)
