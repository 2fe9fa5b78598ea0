"""/api/v1/kpis/: the KPIs of the fixed week (tests/analytics/kpi_data.py)
with their targets, lights and lists; series and breakdowns; who may call;
and the 400s that name the offending input."""

from decimal import Decimal

import pytest

from analytics.models import KpiTarget
from analytics.selectors.kpis import KPI_KEYS
from analytics.services import target_set
from analytics.services.rollup import rollup_daily
from tests.analytics.kpi_data import (  # noqa: F401  (shared fixtures)
    frozen_clock,
    kpi_data,
    packed,
    place,
    service_desk,
    stock,
    world,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/"
WEEK = {"from": "2026-11-02", "to": "2026-11-08"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def results(response) -> dict:
    assert response.status_code == 200, response.content
    return {row["key"]: row for row in response.json()["results"]}


def test_the_kpis_of_a_period(kpi_data, staff_api):  # noqa: F811
    target_set(
        kpi=KpiTarget.Kpi.ON_TIME_DELIVERY_RATE,
        comparison=KpiTarget.Comparison.AT_LEAST,
        target=Decimal("95"),
        unit="%",
    )
    rollup_daily()
    response = staff_api("analyst").get(URL, WEEK, **EN)
    body = response.json()
    assert body["filter"] == {
        "from": "2026-11-02",
        "to": "2026-11-08",
        "channel": None,
        "warehouse": None,
    }
    assert body["built_through"] == "2026-11-08"
    assert [row["key"] for row in body["results"]] == KPI_KEYS
    assert body["groups"]["ops"][0] == "orders_placed"
    rows = results(response)
    on_time = rows["on_time_delivery_rate"]
    assert on_time == {
        "key": "on_time_delivery_rate",
        "label": "on-time delivery rate",
        "definition": on_time["definition"],
        "value": "66.67",  # 2 of the 3 delivered orders on time
        "unit": "%",
        "target": "95.00",
        "status": "red",
        "numerator": "2.00",
        "denominator": "3.00",
        "drill_url": "http://testserver/orders/orders/?delivered_from=2026-11-02"
        "&delivered_to=2026-11-08&delivery=late",
    }
    assert "promised date" in on_time["definition"]
    assert rows["revenue"]["value"] == "1300.00" and rows["revenue"]["unit"] == "CNY"
    assert rows["inventory_turnover_days"]["value"] == "16.70"
    assert rows["csat"]["status"] == "none"
    # Analysts do not read tickets: no link to the ticket list.
    assert rows["first_response_time"]["drill_url"] is None


def test_filters_and_keys(kpi_data, staff_api):  # noqa: F811
    client = staff_api("admin")
    rows = results(
        client.get(URL, {**WEEK, "channel": "WEB", "keys": "orders_placed,revenue,fill_rate"})
    )
    assert list(rows) == ["orders_placed", "revenue", "fill_rate"]
    assert rows["revenue"]["value"] == "800.00"
    assert rows["fill_rate"]["value"] == "100.00"
    assert "channel=WEB" in rows["revenue"]["drill_url"]
    rows = results(client.get(URL, {**WEEK, "warehouse": "BJ01", "keys": "inventory_value"}))
    assert rows["inventory_value"]["value"] == "180.00"
    # Without dates: the last 30 days up to today (G, 11-08).
    body = client.get(URL, {"keys": "orders_placed"}).json()
    assert body["filter"]["from"] == "2026-10-10" and body["filter"]["to"] == "2026-11-08"
    assert body["results"][0]["value"] == "4.00"


def test_series_and_breakdown(kpi_data, staff_api):  # noqa: F811
    client = staff_api("analyst")
    response = client.get(f"{URL}orders_placed/series/", WEEK)
    assert response.status_code == 200, response.content
    points = response.json()["points"]
    assert points[:3] == [
        {"date": "2026-11-02", "value": "2.00"},
        {"date": "2026-11-03", "value": "2.00"},
        {"date": "2026-11-04", "value": "0.00"},
    ]
    assert len(points) == 7
    response = client.get(f"{URL}revenue/breakdown/", {**WEEK, "by": "channel"})
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == [
        {"label": "WEB", "value": "800.00"},
        {"label": "B2B", "value": "500.00"},
    ]
    rows = client.get(f"{URL}return_rate/breakdown/", {**WEEK, "by": "reason"}).json()["rows"]
    assert rows == [{"label": "不想要了", "value": "1.00"}, {"label": "包装破损", "value": "1.00"}]


def fields(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def test_bad_input_is_named(kpi_data, staff_api, settings):  # noqa: F811
    client = staff_api("analyst")
    assert "from" in fields(client.get(URL, {"from": "2026-13-01"}, **EN))
    assert fields(client.get(URL, {"from": "2026-11-08", "to": "2026-11-01"}, **EN)) == {
        "to": ["The end of the period is before its start."]
    }
    settings.ANALYTICS_KPI_MAX_DAYS = 1096
    assert fields(client.get(URL, {"from": "2023-01-01", "to": "2026-11-08"}, **EN)) == {
        "to": ["A period may span at most 1096 days."]
    }
    assert fields(client.get(URL, {"channel": "NOPE"}, **EN)) == {
        "channel": ["No sales channel has the code NOPE."]
    }
    assert fields(client.get(URL, {"warehouse": "XX01"}, **EN)) == {
        "warehouse": ["No warehouse has the code XX01."]
    }
    assert fields(client.get(URL, {"keys": "fill_rate,nope"}, **EN)) == {
        "keys": ["Unknown KPI: nope."]
    }
    assert fields(client.get(f"{URL}nope/series/", **EN)) == {"key": ["Unknown KPI: nope."]}
    assert list(fields(client.get(f"{URL}fill_rate/breakdown/", {"by": "reason"}, **EN))) == ["by"]
    assert list(fields(client.get(f"{URL}fill_rate/breakdown/", **EN))) == ["by"]


def test_who_may_see_the_kpis(kpi_data, staff_api, integration, client):  # noqa: F811
    for role in ("admin", "analyst", "warehouse_manager", "account_manager"):
        assert staff_api(role).get(URL, WEEK).status_code == 200, role
    for role in ("order_clerk", "warehouse", "dispatcher", "aftersales_agent"):
        response = staff_api(role).get(URL, WEEK)
        assert response.status_code == 403, role
        assert staff_api(role).get(f"{URL}fill_rate/series/").status_code == 403
    assert client.get(URL).status_code == 401
    assert integration("analytics:read").get(URL, WEEK).status_code == 200
    refused = integration("orders:read").get(URL, WEEK)
    assert refused.status_code == 403
    assert "analytics:read" in refused.json()["error"]["message"]
