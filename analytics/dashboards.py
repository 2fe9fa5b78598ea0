"""The KPI dashboards (issue 7 item 4): one per KPI group, who may open
which, the period/channel/warehouse filter, and what a page shows - cards
against their targets, daily series and breakdowns - all read through the
KPI selectors (analytics.selectors.kpis), so a dashboard and the API never
count differently."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from analytics.forms import PlaceFilterForm
from analytics.models import KpiTarget
from analytics.selectors.kpis import (
    KPI_GROUPS,
    KPIS,
    KpiFilter,
    KpiValue,
    kpi_breakdown,
    kpi_drill_url,
    kpi_series,
    kpi_values,
)
from analytics.selectors.scope import period_error
from erp.core.roles import Role, user_roles
from inventory.models import Warehouse
from orders.models import SalesChannel

# --- Who sees which dashboard ---------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A breakdown of one KPI: its value per channel, warehouse, category or
    return reason over the period."""

    key: str
    by: str
    kind: str = "bar"  # "bar" | "pie"


@dataclass(frozen=True)
class Dashboard:
    group: str  # a key of KPI_GROUPS
    label: Promise
    icon: str
    charts: tuple[Chart, ...]


# The charts of each dashboard (its cards are its KPI group's KPIs).
DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "management",
        pgettext_lazy("dashboard", "management"),
        "bi-speedometer2",
        (
            Chart("revenue", "channel", "pie"),
            Chart("orders_placed", "channel"),
            Chart("inventory_turnover_days", "category"),
            Chart("return_rate", "reason", "pie"),
        ),
    ),
    Dashboard(
        "ops",
        pgettext_lazy("dashboard", "operations"),
        "bi-receipt",
        (
            Chart("orders_placed", "channel"),
            Chart("on_time_delivery_rate", "channel"),
            Chart("order_cycle_time", "warehouse"),
            Chart("freight_cost_per_order", "warehouse"),
        ),
    ),
    Dashboard(
        "warehouse",
        pgettext_lazy("dashboard", "warehouse"),
        "bi-box-seam",
        (
            Chart("inventory_turnover_days", "warehouse"),
            Chart("inventory_turnover_days", "category"),
            Chart("stockout_rate", "warehouse"),
            Chart("fill_rate", "warehouse"),
        ),
    ),
    Dashboard(
        "aftersales",
        pgettext_lazy("dashboard", "after-sales"),
        "bi-headset",
        (
            Chart("return_rate", "reason", "pie"),
            Chart("return_rate", "channel"),
            Chart("first_response_time", "channel"),
            Chart("sla_compliance", "channel"),
        ),
    ),
)
DASHBOARD_BY_GROUP = {d.group: d for d in DASHBOARDS}


# Which dashboards each role opens, its own first: ops for those who take and
# move orders, warehouse for those who hold the stock, after-sales for those
# who serve customers after the sale; account managers also management
# (after-sales first: returns, CSAT and response times are their customers'
# experience); admins and analysts every one, management first.
ROLE_DASHBOARDS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("management", "ops", "warehouse", "aftersales"),
    Role.ORDER_CLERK: ("ops",),
    Role.DISPATCHER: ("ops",),
    Role.WAREHOUSE: ("warehouse",),
    Role.WAREHOUSE_MANAGER: ("warehouse",),
    Role.AFTERSALES_AGENT: ("aftersales",),
    Role.ACCOUNT_MANAGER: ("aftersales", "management"),
    Role.ANALYST: ("management", "ops", "warehouse", "aftersales"),
}


def dashboards_for(user) -> list[Dashboard]:
    """The dashboards a user may open, in their roles' order (a clerk who is
    also an analyst sees ops first)."""
    if not user.is_authenticated:
        return []
    roles = user_roles(user)
    if user.is_superuser and Role.ADMIN not in roles:
        roles = [Role.ADMIN, *roles]
    groups: list[str] = []
    for role in roles:
        groups += [g for g in ROLE_DASHBOARDS.get(role, ()) if g not in groups]
    return [DASHBOARD_BY_GROUP[g] for g in groups if g in KPI_GROUPS]


# --- The filter -----------------------------------------------------------------


class Period:
    LAST_7 = "7d"
    LAST_30 = "30d"
    LAST_90 = "90d"
    THIS_MONTH = "month"
    CUSTOM = "custom"

    CHOICES = [
        (LAST_7, _("last 7 days")),
        (LAST_30, _("last 30 days")),
        (LAST_90, _("last 90 days")),
        (THIS_MONTH, _("this month")),
        (CUSTOM, _("custom")),
    ]
    DAYS = {LAST_7: 7, LAST_30: 30, LAST_90: 90}


def period_dates(period: str, today: date) -> tuple[date, date]:
    if period == Period.THIS_MONTH:
        return today.replace(day=1), today
    return today - timedelta(days=Period.DAYS.get(period, 30) - 1), today


class DashboardFilterForm(PlaceFilterForm):
    """Period (a preset or from/to), sales channel and warehouse, as a GET form."""

    period = forms.ChoiceField(label=_("period"), choices=Period.CHOICES, required=False)
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["period", "date_from", "date_to", "channel", "warehouse"]

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean(self):
        data = super().clean()
        period = data.get("period") or (
            Period.CUSTOM if data.get("date_from") or data.get("date_to") else Period.LAST_30
        )
        data["period"] = period
        if period != Period.CUSTOM:
            data["date_from"], data["date_to"] = period_dates(period, self.today)
            return data
        if self.errors:
            return data
        missing = [name for name in ("date_from", "date_to") if data.get(name) is None]
        for name in missing:
            self.add_error(name, _("Choose both dates of a custom period."))
        if not missing:
            error = period_error(
                data["date_from"],
                data["date_to"],
                max_days=settings.ANALYTICS_DASHBOARD_MAX_DAYS,
            )
            if error:
                self.add_error("date_to", error)
        return data

    def kpi_filter(self) -> KpiFilter:
        data = self.cleaned_data
        return KpiFilter(date_from=data["date_from"], date_to=data["date_to"], **self.place_ids())

    def query(self) -> dict:
        """The filter as query parameters (for tabs and drill links)."""
        data = self.cleaned_data
        query = {"period": data["period"]}
        if data["period"] == Period.CUSTOM:
            query.update(
                date_from=data["date_from"].isoformat(), date_to=data["date_to"].isoformat()
            )
        if data.get("channel"):
            query["channel"] = data["channel"].code
        if data.get("warehouse"):
            query["warehouse"] = data["warehouse"].code
        return query


def filter_query(f: KpiFilter) -> dict:
    """A KpiFilter as the drill endpoint's query parameters."""
    query = {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}
    if f.channel_id:
        query["channel"] = f.channel_id
    if f.warehouse_id:
        query["warehouse"] = f.warehouse_id
    return query


# --- What a page shows ---------------------------------------------------------

# Traffic lights: colour, icon and words, so the state never rests on colour alone.
LIGHTS = {
    "green": ("success", "bi-check-circle-fill", _("on target")),
    "amber": ("warning", "bi-exclamation-triangle-fill", _("near target")),
    "red": ("danger", "bi-x-octagon-fill", _("off target")),
    "none": ("secondary", "bi-dash-circle", _("no target")),
}
UNITS = {
    "%": "%",
    "h": pgettext_lazy("unit", "h"),
    "d": pgettext_lazy("unit", "days"),
    "CNY": pgettext_lazy("unit", "CNY"),
    "kg": "kg",
    "": "",
    "score": "",
}
COMPARISON_SIGNS = {
    KpiTarget.Comparison.AT_LEAST: "≥",
    KpiTarget.Comparison.AT_MOST: "≤",
    KpiTarget.Comparison.WITHIN: "≈",
}
BREAKDOWN_TITLES = {
    "channel": _("%(kpi)s by sales channel"),
    "warehouse": _("%(kpi)s by warehouse"),
    "category": _("%(kpi)s by category"),
}
# How many of the dashboard's cards the home page shows.
HOME_CARDS = 4


def number(value: Decimal | None, unit: str) -> str:
    """A KPI value as people read it: grouped thousands, decimals by unit
    (money and scores 2, rates and times 1, counts none)."""
    if value is None:
        return "—"
    if unit in ("CNY", "score"):
        places = 2
    elif unit == "":
        places = 0 if value == value.to_integral_value() else 2
    else:
        places = 1
    # Thousands grouped with commas in either language, as the charts do
    # (the zh-hans locale format groups nothing).
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}"


def unit_label(unit: str) -> str:
    return str(UNITS.get(unit, unit))


def _signs(keys) -> dict[str, str]:
    return {
        t.kpi: COMPARISON_SIGNS.get(t.comparison, "")
        for t in KpiTarget.objects.filter(active=True, kpi__in=list(keys))
    }


def card(value: KpiValue, *, signs: dict) -> dict:
    """A KPI as a card: value and unit, target, traffic light in colour and
    words, and the list behind it (when the user may open that list)."""
    status = value.status if value.status in LIGHTS else "none"
    colour, icon, words = LIGHTS[status]
    if value.value is None:
        words = _("no data")
    return {
        "key": value.key,
        "label": value.label,
        "value": number(value.value, value.unit),
        "raw": value.value,
        "unit": unit_label(value.unit),
        "target": None if value.target is None else number(value.target, value.unit),
        "sign": signs.get(value.key, ""),
        "status": status,
        "colour": colour,
        "icon": icon,
        "words": words,
        "url": value.drill_url,
        "parts": (
            None
            if value.value is None or value.numerator is None or value.denominator is None
            else f"{number(value.numerator, '')} / {number(value.denominator, '')}"
        ),
    }


def kpi_cards(f: KpiFilter, keys: list[str], *, user) -> list[dict]:
    signs = _signs(keys)
    return [card(v, signs=signs) for v in kpi_values(f, keys, user=user)]


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def drill_url(f: KpiFilter, key: str, **extra) -> str:
    query = urlencode({"kpi": key, **filter_query(f), **extra})
    return f"{reverse('analytics:dashboard-drill')}?{query}"


def series_values(f: KpiFilter, key: str) -> list[float | None]:
    """One KPI per day of the filter's period, for the chart."""
    return [_float(value) for _day, value in kpi_series(f, key)]


def trend(dashboard: Dashboard, f: KpiFilter, values: list[KpiValue], query: str) -> dict:
    """The daily chart: every KPI of the group on one day axis. Only the
    first KPI's days are computed with the page; the others are fetched when
    chosen (each series is a pass over the period's facts)."""
    days = [f.date_from + timedelta(days=n) for n in range((f.date_to - f.date_from).days + 1)]
    base = reverse("analytics:dashboard-series", args=[dashboard.group])
    series = [
        {
            "key": value.key,
            "label": value.label,
            "unit": unit_label(value.unit),
            "target": _float(value.target),
            "url": f"{base}?{urlencode({'kpi': value.key})}&{query}",
            "values": series_values(f, value.key) if index == 0 else None,
        }
        for index, value in enumerate(values)
    ]
    return {
        "days": [day.isoformat() for day in days],
        "series": series,
        "drill": drill_url(f, ""),
    }


def _ids_by_code(by: str) -> dict[str, int]:
    model = {"channel": SalesChannel, "warehouse": Warehouse}.get(by)
    if model is None:
        return {}
    return {code: pk for pk, code in model.objects.values_list("pk", "code")}


def chart_keys(dashboard: Dashboard) -> set[str]:
    """Every KPI a dashboard shows: its group's, and those of its charts."""
    return set(KPI_GROUPS[dashboard.group]) | {c.key for c in dashboard.charts}


def breakdowns(f: KpiFilter, charts: tuple[Chart, ...]) -> list[dict]:
    """Each chart of the dashboard: the KPI per channel, warehouse, category
    or return reason, largest first, each element drilling to its list."""
    result = []
    for index, chart in enumerate(charts):
        definition = KPIS.get(chart.key)
        if definition is None or chart.by not in definition.breakdowns:
            continue
        # What has no channel or warehouse (a ticket without an order) and
        # counts nothing is left out.
        rows = [
            (label, value)
            for label, value in kpi_breakdown(f, chart.key, chart.by)
            if label or value
        ]
        ids = _ids_by_code(chart.by)
        drills = []
        for label, _value in rows:
            if chart.by in ("channel", "warehouse"):
                pk = ids.get(label)
                drills.append(drill_url(f, chart.key, **{chart.by: pk}) if pk else None)
            else:
                drills.append(drill_url(f, chart.key, by=chart.by, label=label))
        if chart.by == "reason":
            # Counted, not a rate: how many returns gave each reason.
            title, unit = _("Returns by reason"), ""
        else:
            title = BREAKDOWN_TITLES[chart.by] % {"kpi": definition.label}
            unit = unit_label(definition.unit)
        result.append(
            {
                "id": f"chart-{index}",
                "title": str(title),
                "key": chart.key,
                "by": chart.by,
                "kind": chart.kind,
                "unit": unit,
                "labels": [label or gettext("none") for label, _value in rows],
                "values": [_float(v) for _label, v in rows],
                "drill": drills,
                "empty": all(v is None or v == 0 for _label, v in rows),
            }
        )
    return result


def dashboard_data(dashboard: Dashboard, f: KpiFilter, *, user, query: str) -> dict:
    """Everything one dashboard page shows for a filter (`query`: the
    filter's query string)."""
    keys = list(KPI_GROUPS[dashboard.group])
    values = kpi_values(f, keys, user=user)
    signs = _signs(keys)
    charts = {
        "trend": trend(dashboard, f, values, query),
        "breakdowns": breakdowns(f, dashboard.charts),
        "labels": {"target": gettext("target"), "noData": gettext("no data")},
    }
    return {
        "cards": [card(v, signs=signs) for v in values],
        "charts": charts,
        # A count of nothing (0 orders) is no data; a rate of 0 % over some is.
        "has_data": any(v.value is not None and (v.value or v.denominator) for v in values),
    }


def home_dashboard(user, *, today: date | None = None) -> dict:
    """The top cards of the user's own dashboard over the last 30 days, for
    the home page; nothing for a user without one."""
    allowed = dashboards_for(user)
    if not allowed:
        return {}
    dashboard = allowed[0]
    date_from, date_to = period_dates(Period.LAST_30, today or timezone.localdate())
    f = KpiFilter(date_from=date_from, date_to=date_to)
    return {
        "home_dashboard": dashboard,
        "home_cards": kpi_cards(f, KPI_GROUPS[dashboard.group][:HOME_CARDS], user=user),
        "home_filter": f,
    }


def drill_target(f: KpiFilter, key: str, *, user, by: str = "", label: str = "") -> str | None:
    """The list behind a number: the KPI's own drill link for the filter,
    narrowed to the category or reason clicked where that list filters by it."""
    url = kpi_drill_url(f, key, user=user)
    if url and by in ("category", "reason") and label:
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            return url
        filterset = getattr(getattr(match.func, "view_class", None), "filterset_class", None)
        if filterset is not None and by in filterset.base_filters:
            url += ("&" if "?" in url else "?") + urlencode({by: label})
    return url
