"""A warehouse manager opens a product's page: the demand forecast chart
draws history, forecast and interval (no script blocked by the CSP), the
granularity switch redraws it, and applying the reorder suggestion sets the
product's reorder point."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import ReorderSuggestion
from analytics.services.forecasting import forecast_refresh
from inventory.models import Product
from orders.models import SalesChannel
from tests.analytics.test_forecasting import bulk_history, weekly_days
from tests.factories import ProductFactory, SalesChannelFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_forecast_chart_switch_and_apply(page, live_server, sign_in, shot):
    UserFactory(username="sunjie", first_name="杰", last_name="孙", roles=["warehouse_manager"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    channel = SalesChannelFactory(
        code="WEB", kind=SalesChannel.Kind.WEB_STORE, default_warehouse=sh
    )
    tea = ProductFactory(sku="TEA-1", name="西湖龙井", reorder_point=5, reorder_quantity=10)
    cup = ProductFactory(sku="CUP-1", name="青瓷茶杯")
    bulk_history(
        {"channel": channel, "tea": tea, "cup": cup},
        {"TEA-1": weekly_days(400).tolist()},
        end=timezone.localdate(),
    )
    forecast_refresh()
    suggestion = ReorderSuggestion.objects.get(product=tea, warehouse=None)

    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in("sunjie")
    page.goto(f"{live_server.url}/inventory/products/TEA-1/")
    chart = page.locator("#forecast-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart).to_have_attribute("data-state", "all:week")
    expect(page.locator("#forecast-caption")).to_contain_text("ETS(A,")
    page.click("#forecast-granularity [data-granularity=day]")
    expect(chart).to_have_attribute("data-state", "all:day")
    expect(page.locator("#forecast-caption")).to_contain_text("m=7")
    assert chart.locator("canvas").evaluate("el => el.width") > 600
    page.select_option("#forecast-warehouse", "SH01")
    expect(chart).to_have_attribute("data-state", "SH01:day")
    page.wait_for_timeout(300)
    shot("80-product-forecast-day")
    assert [p for p in problems if "favicon" not in p] == []

    page.locator('#reorder-suggestions tr[data-warehouse="all"] button[type=submit]').click()
    expect(page.locator(".alert-success")).to_contain_text(str(suggestion.reorder_point))
    tea = Product.objects.get(pk=tea.pk)
    assert (tea.reorder_point, tea.reorder_quantity) == (
        suggestion.reorder_point,
        suggestion.reorder_quantity,
    )
