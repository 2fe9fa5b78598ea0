"""What people and integrators see of the demand forecasts: the chart data on
the product page, the reorder suggestion list with its filters, export and
"apply", and /api/v1/forecasts/ and /api/v1/reorder-suggestions/ - with the
refusals for roles that may not see or change them."""

import json
import math
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from analytics.models import ForecastRun, ReorderSuggestion
from analytics.services.forecasting import forecast_refresh
from inventory.models import Product
from tests.aftersales.conftest import frozen_clock, shanghai  # noqa: F401
from tests.analytics.test_forecasting import demand, weekly_days  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FORECASTS = "/api/v1/forecasts/"
SUGGESTIONS = "/api/v1/reorder-suggestions/"


@pytest.fixture
def forecasts(demand, frozen_clock):  # noqa: F811
    forecast_refresh()
    return demand


def chart_data(response) -> dict:
    found = re.search(
        r'<script id="forecast-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


# --- Product page ------------------------------------------------------------------------


def test_the_product_page_shows_history_forecast_and_interval(forecasts, role_client):
    client = role_client("warehouse_manager")
    url = reverse("inventory:product-detail", args=["TEA-1"])
    response = client.get(url, **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "js/product-forecast.js" in body and "vendor/echarts/echarts.min.js" in body
    assert "<script>" not in body  # nothing inline: the CSP allows our files only
    data = chart_data(response)
    assert [w["key"] for w in data["warehouses"]] == ["all", "SH01"]
    assert [g["key"] for g in data["granularities"]] == ["month", "week", "day"]
    day = data["series"]["all"]["day"]
    assert len(day["history"]) == 182
    assert day["history"][-1][0] == "2026-11-26"  # yesterday: the last complete day
    expected = weekly_days(400).tolist()[-1]
    assert day["history"][-1][1] == expected
    assert len(day["forecast"]) == 56 and day["forecast"][0][0] == "2026-11-27"
    assert all(low <= q <= high for _day, q, low, high in day["forecast"])
    assert "ETS(A," in day["caption"] and "backtest MASE" in day["caption"]
    assert set(data["series"]["all"]) == {"month", "week", "day"}
    # The reorder suggestion next to the product's current values, with "apply".
    assert 'id="reorder-suggestions"' in body
    assert reverse("analytics:reorder-apply", args=[forecasts_suggestion("TEA-1").pk]) in body


def forecasts_suggestion(sku, warehouse=None) -> ReorderSuggestion:
    return ReorderSuggestion.objects.get(product__sku=sku, warehouse__code=warehouse)


def test_roles_without_the_forecasts_do_not_get_the_panel(forecasts, role_client):
    url = reverse("inventory:product-detail", args=["TEA-1"])
    response = role_client("warehouse").get(url)  # may see products, not forecasts
    assert response.status_code == 200
    assert (
        b"forecast-data" not in response.content and b"reorder-suggestions" not in response.content
    )
    analyst = role_client("analyst").get(url)  # sees them, may not change products
    assert b"forecast-data" in analyst.content
    assert (
        reverse("analytics:reorder-apply", args=[forecasts_suggestion("TEA-1").pk]).encode()
        not in analyst.content
    )


def test_a_product_without_history_says_so(world, role_client):  # noqa: F811
    response = role_client("admin").get(reverse("inventory:product-detail", args=["CUP-1"]), **EN)
    assert b"No forecast yet" in response.content
    assert b"forecast-data" not in response.content


# --- Reorder suggestion list and apply ----------------------------------------------------


def test_the_reorder_list_filters_and_exports(forecasts, role_client):
    client = role_client("warehouse_manager")
    url = reverse("analytics:reorder-list")
    response = client.get(url)
    assert response.status_code == 200
    rows = response.context["object_list"]
    assert {(s.product.sku, s.warehouse_label) for s in rows} == {
        ("CUP-1", "SH01"),
        ("TEA-1", "SH01"),
        ("CUP-1", str(ReorderSuggestion(product=forecasts["cup"]).warehouse_label)),
        ("TEA-1", str(ReorderSuggestion(product=forecasts["tea"]).warehouse_label)),
    }
    # The products' reorder points are 0: every suggestion above 0 is "below".
    Product.objects.filter(sku="CUP-1").update(reorder_point=1000)
    below = client.get(url, {"below": "true"}).context["object_list"]
    assert {s.product.sku for s in below} == {"TEA-1"}
    only_all = client.get(url, {"warehouse": "all"}).context["object_list"]
    assert {s.warehouse_id for s in only_all} == {None}
    assert len(client.get(url, {"warehouse": "SH01"}).context["object_list"]) == 2

    export = client.get(url, {"warehouse": "all", "export": "csv"}, **EN)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("SKU,name,category,warehouse,lead time (days),daily demand")
    tea = forecasts_suggestion("TEA-1")
    assert any(
        line.startswith("TEA-1,") and f",{tea.reorder_point},0," in line for line in lines[1:]
    )


def test_only_forecast_roles_see_the_reorder_list(forecasts, role_client):
    url = reverse("analytics:reorder-list")
    for role in ("analyst", "admin", "warehouse_manager"):
        assert role_client(role).get(url).status_code == 200
    for role in ("order_clerk", "warehouse", "dispatcher", "account_manager"):
        assert role_client(role).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_apply_sets_the_product_and_keeps_it_in_its_history(forecasts, make_user):
    suggestion = forecasts_suggestion("TEA-1")
    manager = make_user("warehouse_manager")
    client = Client()
    client.force_login(manager)
    url = reverse("analytics:reorder-apply", args=[suggestion.pk])
    assert client.get(url).status_code == 405  # POST only
    page = reverse("inventory:product-detail", args=["TEA-1"])
    response = client.post(url, {"next": page}, follow=True, **EN)
    assert response.redirect_chain[-1][0] == page
    product = Product.objects.get(sku="TEA-1")
    assert product.reorder_point == suggestion.reorder_point > 0
    assert product.reorder_quantity == suggestion.reorder_quantity
    assert product.safety_stock == math.ceil(suggestion.safety_stock)
    latest = product.history.order_by("-history_id").first()
    assert latest.history_user == manager
    assert "Reorder suggestion applied" in latest.history_change_reason
    (message,) = response.context["messages"]
    assert f"reorder point {suggestion.reorder_point}" in str(message)
    # Applying again changes nothing and writes no history.
    count = product.history.count()
    client.post(url, {"next": "https://elsewhere.example/"})
    assert product.history.count() == count


def test_apply_is_refused_to_those_who_may_not_change_products(forecasts, role_client):
    suggestion = forecasts_suggestion("TEA-1")
    url = reverse("analytics:reorder-apply", args=[suggestion.pk])
    for role in ("analyst", "warehouse", "order_clerk"):
        assert role_client(role).post(url).status_code == 403
    assert Product.objects.get(sku="TEA-1").reorder_point == 0


# --- API -----------------------------------------------------------------------------------


def test_the_forecast_api_gives_history_forecast_interval_method_and_backtest(
    forecasts, integration, django_assert_max_num_queries
):
    client = integration("analytics:read")
    response = client.get(FORECASTS, {"product": "TEA-1", "warehouse": "all", "granularity": "day"})
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    run = ForecastRun.objects.get(product__sku="TEA-1", warehouse=None, granularity="day")
    assert row["product"] == "TEA-1" and row["warehouse"] is None
    assert (row["method"], row["model"], row["seasonal"]) == ("ets", run.model_label, "A")
    assert float(row["mase"]) < float(row["naive_mase"]) and row["beats_naive"] is True
    assert len(row["history"]) == 182 and row["history"][-1]["period"] == "2026-11-26"
    assert len(row["forecast"]) == 56
    first = row["forecast"][0]
    assert first["period"] == "2026-11-27"
    assert float(first["lower"]) <= float(first["quantity"]) <= float(first["upper"])

    everything = client.get(FORECASTS, {"product": "TEA-1"}).json()
    assert {(r["warehouse"], r["granularity"]) for r in everything["results"]} == {
        (w, g) for w in (None, "SH01") for g in ("month", "week", "day")
    }
    assert client.get(FORECASTS, {"granularity": "year"}).status_code == 400
    assert client.get(f"{FORECASTS}{run.pk}/").json()["history"][-1]["period"] == "2026-11-26"
    with django_assert_max_num_queries(12):
        assert client.get(FORECASTS).status_code == 200


def test_the_reorder_suggestion_api_compares_with_the_product(forecasts, staff_api):
    client = staff_api("warehouse_manager")
    Product.objects.filter(sku="CUP-1").update(reorder_point=1000)
    body = client.get(SUGGESTIONS, {"warehouse": "all"}).json()
    rows = {row["product"]: row for row in body["results"]}
    tea = forecasts_suggestion("TEA-1")
    assert rows["TEA-1"]["reorder_point"] == tea.reorder_point
    assert rows["TEA-1"]["current_reorder_point"] == 0
    assert rows["TEA-1"]["below_suggestion"] is True and rows["CUP-1"]["below_suggestion"] is False
    assert rows["TEA-1"]["forecast"]["granularity"] == "day"
    below = client.get(SUGGESTIONS, {"below": "true"}).json()["results"]
    assert {(r["product"], r["warehouse"]) for r in below} == {("TEA-1", None), ("TEA-1", "SH01")}


def test_the_forecast_api_is_refused_without_the_role_or_scope(forecasts, staff_api, integration):
    for url in (FORECASTS, SUGGESTIONS):
        assert staff_api("analyst").get(url).status_code == 200
        assert staff_api("admin").get(url).status_code == 200
        for role in ("order_clerk", "warehouse", "account_manager"):
            assert staff_api(role).get(url).status_code == 403
        assert integration("inventory:read").get(url).status_code == 403
        assert integration("analytics:read").post(url, {}, format="json").status_code in (403, 405)


def test_the_schema_documents_the_forecast_endpoints(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (FORECASTS, f"{FORECASTS}{{id}}/", SUGGESTIONS, f"{SUGGESTIONS}{{id}}/"):
        assert {"oauth2": ["analytics:read"]} in paths[path]["get"]["security"]
    params = {p["name"] for p in paths[FORECASTS]["get"]["parameters"]}
    assert {"product", "warehouse", "granularity"} <= params
    params = {p["name"] for p in paths[SUGGESTIONS]["get"]["parameters"]}
    assert {"warehouse", "category", "below"} <= params


def test_history_dates_are_complete_periods(forecasts):
    week = ForecastRun.objects.get(product__sku="TEA-1", warehouse=None, granularity="week")
    assert week.history_end == date(2026, 11, 16)  # the last Monday of a complete week
    assert week.points.first().period_start == date(2026, 11, 23)  # this week
