"""KPI dashboards: each role lands on its own and may open only those its
roles allow; the cards show what the KPI selectors compute, with targets and
traffic lights in words; the period, channel and warehouse filters apply; a
card or a chart element leads to the list behind it; no data, no charts; the
home page shows the top cards. The clock stands at Friday 2026-11-27 10:00
Shanghai."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.dashboards import number
from analytics.selectors.kpis import KPI_GROUPS, KpiFilter, kpi_values
from analytics.services import target_set
from orders.services import order_confirm
from tests.aftersales.conftest import delivered, frozen_clock  # noqa: F401  (shared fixtures)
from tests.factories import SalesChannelFactory
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LAST_30 = KpiFilter(date_from=TODAY - timedelta(days=29), date_to=TODAY)


def page(client, group, **params):
    return client.get(reverse("analytics:dashboard", args=[group]), params, **EN)


@pytest.fixture
def data(frozen_clock, delivered, place, world):  # noqa: F811
    """Placed today: `delivered` (WEB, 500.00, delivered on time), `open`
    (WEB, 100.00, confirmed) and `app` (APP, 100.00, pending). Targets:
    on-time delivery at least 95 %, fill rate at least 98 %."""
    open_order = place(("tea", 1), phone="13800000011")
    order_confirm(order=open_order)
    app = SalesChannelFactory(code="APP", name="小程序", default_warehouse=world["sh"])
    place(("cup", 1), channel=app, phone="13800000012")
    target_set(kpi="on_time_delivery_rate", comparison="at_least", target=Decimal("95"), unit="%")
    target_set(kpi="fill_rate", comparison="at_least", target=Decimal("98"), unit="%")
    return {"delivered": delivered, "open": open_order, "app": app}


def cards(response) -> dict[str, dict]:
    return {card["key"]: card for card in response.context["cards"]}


# --- Who sees which --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("order_clerk", ["ops"]),
        ("dispatcher", ["ops"]),
        ("warehouse", ["warehouse"]),
        ("warehouse_manager", ["warehouse"]),
        ("aftersales_agent", ["aftersales"]),
        ("account_manager", ["aftersales", "management"]),
        ("analyst", ["management", "ops", "warehouse", "aftersales"]),
        ("admin", ["management", "ops", "warehouse", "aftersales"]),
    ],
)
def test_each_role_lands_on_its_own_dashboard(role_client, frozen_clock, role, tabs):  # noqa: F811
    client = role_client(role)
    response = client.get(reverse("analytics:dashboard-home"), {"period": "7d"})
    assert response.status_code == 302
    assert response["Location"] == f"/analytics/dashboards/{tabs[0]}/?period=7d"
    response = page(client, tabs[0])
    assert response.status_code == 200
    assert [d.group for d in response.context["dashboards"]] == tabs
    assert list(cards(response)) == KPI_GROUPS[tabs[0]]
    body = response.content.decode()
    assert ('id="dashboard-tabs"' in body) == (len(tabs) > 1)


@pytest.mark.parametrize(
    ("role", "denied"),
    [
        ("order_clerk", ["warehouse", "aftersales", "management"]),
        ("dispatcher", ["warehouse", "aftersales", "management"]),
        ("warehouse", ["ops", "aftersales", "management"]),
        ("warehouse_manager", ["ops", "aftersales", "management"]),
        ("aftersales_agent", ["ops", "warehouse", "management"]),
        ("account_manager", ["ops", "warehouse"]),
    ],
)
def test_other_roles_dashboards_are_refused(role_client, frozen_clock, role, denied):  # noqa: F811
    client = role_client(role)
    for group in denied:
        assert page(client, group).status_code == 403, group
    assert page(client, "nonsense").status_code == 404


def test_no_role_no_dashboard_and_signed_out_to_sign_in(make_user, client):
    client.force_login(make_user())
    assert client.get(reverse("analytics:dashboard-home")).status_code == 403
    assert page(client, "ops").status_code == 403
    client.logout()
    response = page(client, "ops")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- What the cards say -------------------------------------------------------------


def test_cards_show_the_selectors_values_targets_and_lights(role_client, data):
    response = page(role_client("order_clerk"), "ops")
    shown = cards(response)
    for value in kpi_values(LAST_30, KPI_GROUPS["ops"]):
        assert shown[value.key]["value"] == number(value.value, value.unit), value.key
        assert shown[value.key]["status"] == value.status, value.key
    # By hand: three orders placed, one delivered (on time), three lines
    # allocated at confirmation none short.
    assert shown["orders_placed"]["value"] == "3"
    assert shown["on_time_delivery_rate"]["value"] == "100.0"
    assert shown["fill_rate"]["value"] == "100.0"
    assert shown["backorder_rate"]["value"] == "0.0"
    body = response.content.decode()
    on_time = body.split('data-kpi="on_time_delivery_rate"')[1].split('<div class="col">')[0]
    assert re.search(r'class="kpi-number[^"]*">100\.0</span>', on_time)
    assert "target ≥ 95.0 %" in on_time
    assert "on target" in on_time  # the light in words, not colour alone
    assert "text-bg-success" in on_time
    # No target: says so.
    assert "no target" in body.split('data-kpi="orders_placed"')[1].split('<div class="col">')[0]


def test_cards_link_to_the_lists_behind_them(role_client, data):
    response = page(role_client("order_clerk"), "ops")
    link = cards(response)["orders_placed"]["url"]
    assert link == kpi_values(LAST_30, ["orders_placed"])[0].drill_url
    assert f'href="{link.replace("&", "&amp;")}"' in response.content.decode()
    listing = role_client("order_clerk").get(link)
    assert listing.status_code == 200
    assert listing.context["paginator"].count == 3


def test_links_to_lists_the_user_may_not_open_are_left_out(role_client, data):
    # Analysts may not read tickets: the after-sales cards of tickets carry no link.
    response = page(role_client("analyst"), "aftersales")
    shown = cards(response)
    assert shown["first_response_time"]["url"] is None
    assert shown["return_rate"]["url"]


def test_filters_channel_warehouse_and_period(role_client, data):
    client = role_client("order_clerk")
    by_channel = cards(page(client, "ops", period="30d", channel="APP"))
    assert by_channel["orders_placed"]["value"] == "1"
    response = page(client, "ops", period="custom", date_from="2026-11-01", date_to="2026-11-27")
    f = response.context["kpi_filter"]
    assert (f.date_from, f.date_to) == (date(2026, 11, 1), TODAY)
    assert cards(response)["orders_placed"]["value"] == "3"
    assert "period=custom" in response.context["query_string"]
    # Warehouse BJ01 serves none of them.
    assert cards(page(client, "ops", warehouse="BJ01"))["orders_placed"]["value"] == "0"
    this_month = page(client, "ops", period="month").context["kpi_filter"]
    assert (this_month.date_from, this_month.date_to) == (date(2026, 11, 1), TODAY)
    last_7 = page(client, "ops", period="7d").context["kpi_filter"]
    assert (last_7.date_from, last_7.date_to) == (date(2026, 11, 21), TODAY)


def test_a_custom_period_needs_both_dates_in_order(role_client, frozen_clock):  # noqa: F811
    client = role_client("order_clerk")
    response = page(client, "ops", period="custom", date_from="2026-11-20")
    assert "Choose both dates of a custom period." in response.content.decode()
    assert "cards" not in response.context
    # On the date that is missing, not on the form as a whole.
    assert response.context["form"].errors == {"date_to": ["Choose both dates of a custom period."]}
    response = page(client, "ops", period="custom", date_from="2026-11-20", date_to="2026-11-01")
    assert "The end of the period is before its start." in response.content.decode()


def test_charts_carry_the_series_and_breakdowns(role_client, data):
    response = page(role_client("order_clerk"), "ops", period="7d")
    body = response.content.decode()
    payload = json.loads(
        body.split('<script id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    assert payload["trend"]["days"][-1] == "2026-11-27"
    assert len(payload["trend"]["days"]) == 7
    # The first KPI's days come with the page, the others when chosen.
    first, *others = payload["trend"]["series"]
    assert first["key"] == "orders_placed"
    assert first["values"][-1] == 3.0
    assert all(series["values"] is None for series in others)
    on_time = next(s for s in others if s["key"] == "on_time_delivery_rate")
    loaded = role_client("order_clerk").get(on_time["url"]).json()
    assert loaded == {"key": "on_time_delivery_rate", "values": [None] * 6 + [100.0]}
    by_channel = next(b for b in payload["breakdowns"] if b["key"] == "orders_placed")
    assert dict(zip(by_channel["labels"], by_channel["values"], strict=True)) == {
        "WEB": 2.0,
        "APP": 1.0,
    }
    assert 'src="/static/vendor/echarts/echarts.min.js"' in body
    assert 'src="/static/js/analytics-dashboard.js"' in body
    assert "<script>" not in body  # the CSP allows no inline script


def test_a_chart_element_drills_to_its_filtered_list(role_client, data):
    client = role_client("order_clerk")
    payload = page(client, "ops", period="7d").context["charts"]
    by_channel = next(b for b in payload["breakdowns"] if b["key"] == "orders_placed")
    app_drill = by_channel["drill"][by_channel["labels"].index("APP")]
    response = client.get(app_drill)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/orders/orders/"
    query = parse_qs(target.query)
    assert query["channel"] == ["APP"]
    assert query["placed_from"] == ["2026-11-21"] and query["placed_to"] == ["2026-11-27"]
    assert client.get(response["Location"]).context["paginator"].count == 1
    # A day of the daily chart: that day's list.
    day = client.get(
        reverse("analytics:dashboard-drill"),
        {"kpi": "orders_placed", "from": "2026-11-27", "to": "2026-11-27"},
    )
    assert parse_qs(urlsplit(day["Location"]).query)["placed_from"] == ["2026-11-27"]


def test_series_only_of_the_dashboards_own_kpis_for_those_who_may_see_it(role_client, data):
    url = reverse("analytics:dashboard-series", args=["ops"])
    clerk = role_client("order_clerk")
    assert clerk.get(url, {"kpi": "fill_rate", "period": "7d"}).status_code == 200
    assert clerk.get(url, {"kpi": "csat", "period": "7d"}).status_code == 404
    assert clerk.get(url, {"kpi": "fill_rate", "period": "custom"}).status_code == 400
    warehouse_url = reverse("analytics:dashboard-series", args=["warehouse"])
    assert clerk.get(warehouse_url, {"kpi": "fill_rate"}).status_code == 403


def test_drill_refuses_kpis_not_on_the_users_dashboards_and_bad_periods(role_client, data):
    client = role_client("order_clerk")
    drill = reverse("analytics:dashboard-drill")
    period = {"from": "2026-11-01", "to": "2026-11-27"}
    assert client.get(drill, {"kpi": "csat", **period}).status_code == 403
    assert client.get(drill, {"kpi": "nonsense", **period}).status_code == 403
    bad = {"kpi": "orders_placed", "from": "2026-11-27", "to": "2026-11-01"}
    assert client.get(drill, bad).status_code == 400


def test_drill_refuses_a_period_longer_than_a_dashboard_shows(role_client, data, settings):
    """It used to take any period and compute the KPI over it just to build
    the link: years of stock facts, day by day, for one redirect."""
    settings.ANALYTICS_DASHBOARD_MAX_DAYS = 31
    client = role_client("warehouse_manager")
    drill = reverse("analytics:dashboard-drill")
    ages = {"kpi": "inventory_turnover_days", "from": "0001-01-01", "to": "2026-11-27"}
    assert client.get(drill, ages).status_code == 400
    month = {**ages, "from": "2026-10-28"}
    assert client.get(drill, month).status_code == 302


def test_drill_builds_the_link_without_computing_the_kpi(role_client, data, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the drill computed facts")

    monkeypatch.setattr("analytics.selectors.kpis.order_facts", refuse)
    monkeypatch.setattr("analytics.selectors.kpis.stock_facts", refuse)
    monkeypatch.setattr("analytics.selectors.kpis._grouped", refuse)
    response = role_client("order_clerk").get(
        reverse("analytics:dashboard-drill"),
        {"kpi": "orders_placed", "from": "2026-11-01", "to": "2026-11-27"},
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/orders/orders/"


def test_no_data_in_the_period_shows_the_empty_state(role_client, data):
    response = page(
        role_client("order_clerk"),
        "ops",
        period="custom",
        date_from="2026-01-01",
        date_to="2026-01-31",
    )
    body = response.content.decode()
    assert 'id="empty-state"' in body
    assert "No data in this period." in body
    assert "dashboard-data" not in body
    assert cards(response)["orders_placed"]["value"] == "0"


def test_dashboard_queries_do_not_grow_with_the_period_or_the_data(role_client, data):
    """A pass over the facts for the cards, one for the first daily series
    and one per breakdown: the same for a week as for three months."""
    client = role_client("analyst")
    counts = []
    for params in ({"period": "7d"}, {"period": "custom", "date_from": "2026-09-01"}):
        params.setdefault("date_to", "2026-11-27")
        with CaptureQueriesContext(connection) as queries:
            assert page(client, "management", **params).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 70


# --- Home ----------------------------------------------------------------------------


def test_home_shows_the_top_cards_of_the_users_dashboard(role_client, data):
    body = role_client("order_clerk").get("/", **EN).content.decode()
    assert 'id="home-dashboard"' in body
    assert 'href="/analytics/dashboards/ops/"' in body
    home_cards = re.findall(r'data-kpi="([a-z_]+)"', body)
    assert home_cards == KPI_GROUPS["ops"][:4]
    assert "Welcome" in body and "order clerk" in body  # what home showed before


def test_home_without_a_role_has_no_dashboard(make_user, client):
    client.force_login(make_user())
    body = client.get("/", **EN).content.decode()
    assert 'id="home-dashboard"' not in body


def test_numbers_read_as_people_read_them():
    assert number(Decimal("790016.13"), "CNY") == "790,016.13"
    assert number(Decimal("97.85"), "%") == "97.9"
    assert number(Decimal("4"), "score") == "4.00"
    assert number(Decimal("1234"), "") == "1,234"
    assert number(Decimal("0.36"), "") == "0.36"
    assert number(None, "%") == "—"
