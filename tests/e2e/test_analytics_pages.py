"""An order clerk's dashboard draws its KPI cards and ECharts charts (also on
a phone's width), a card opens the list behind it; the fulfilment timeline
draws open orders as Gantt bars, the at-risk one marked, and a bar opens its
order."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.services import target_set
from inventory.services import stock_receive
from orders.models import Order
from orders.services import LineInput, order_confirm, order_create
from tests.factories import ProductFactory, SalesChannelFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _order(channel, product, *, phone: str, promised_in: int, priority: str) -> Order:
    order, _created = order_create(
        channel=channel,
        customer={"name": f"客户{phone[-2:]}", "phone": phone},
        shipping_address={"recipient": "周杰", "city": "上海市", "street": "南京路1号"},
        lines=[LineInput(product=product, quantity=1, unit_price=Decimal("25.00"))],
        promised_date=timezone.localdate() + timedelta(days=promised_in),
    )
    Order.objects.filter(pk=order.pk).update(
        priority_score=Decimal(priority), placed_at=timezone.now() - timedelta(days=3)
    )
    return order


def test_dashboard_cards_and_charts(page, live_server, sign_in, shot):
    UserFactory(username="lina", first_name="娜", last_name="李", roles=["order_clerk"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    web = SalesChannelFactory(code="WEB", name="官网商城", default_warehouse=sh)
    app = SalesChannelFactory(code="APP", name="小程序", default_warehouse=sh)
    cup = ProductFactory(sku="CUP-CL-01", name="青瓷茶杯")
    stock_receive(warehouse=sh, product=cup, quantity=50)
    for n, (channel, days_ago) in enumerate([(web, 0), (web, 1), (web, 2), (app, 2)]):
        order = _order(channel, cup, phone=f"1390000001{n}", promised_in=5, priority="1")
        Order.objects.filter(pk=order.pk).update(
            placed_at=timezone.now() - timedelta(days=days_ago)
        )
        if n == 0:
            order_confirm(order=order)
    target_set(kpi="fill_rate", comparison="at_least", target=Decimal("98"), unit="%")

    sign_in("lina")
    expect(page.locator("#home-dashboard [data-kpi=orders_placed] .kpi-number")).to_have_text("4")
    page.click("#home-dashboard-link")
    expect(page).to_have_url(re.compile(r"/analytics/dashboards/ops/$"))
    cards = page.locator("#kpi-cards")
    expect(cards.locator("[data-kpi=orders_placed] .kpi-number")).to_have_text("4")
    fill = cards.locator("[data-kpi=fill_rate]")
    expect(fill.locator(".kpi-number")).to_have_text("100.0")
    expect(fill).to_have_attribute("data-status", "green")
    expect(fill.locator(".kpi-light")).to_be_visible()
    # ECharts draws on canvases once its script has run.
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    expect(page.locator("#chart-trend")).to_have_attribute("data-rendered", "true")
    expect(page.locator("[data-chart=breakdown][data-rendered=true]").first).to_be_visible()
    assert page.locator("#chart-trend canvas").evaluate("el => el.width") > 600
    shot("60-dashboard-ops")

    # Another KPI of the group, fetched when chosen.
    expect(page.locator("#chart-trend")).to_have_attribute("data-kpi", "orders_placed")
    page.select_option("#trend-kpi", "fill_rate")
    expect(page.locator("#chart-trend")).to_have_attribute("data-kpi", "fill_rate")

    # A phone's width: the charts follow their boxes.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "() => document.querySelector('#chart-trend canvas').getBoundingClientRect().width <= 390"
    )
    shot("61-dashboard-ops-narrow")

    page.set_viewport_size({"width": 1360, "height": 860})
    cards.locator("[data-kpi=orders_placed]").click()
    expect(page).to_have_url(re.compile(r"/orders/orders/\?placed_from="))
    expect(page.locator("tbody tr")).to_have_count(4)


def test_timeline_bars_with_the_at_risk_order_marked(page, live_server, sign_in, shot):
    UserFactory(username="liuyang", first_name="洋", last_name="刘", roles=["dispatcher"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    web = SalesChannelFactory(code="WEB", name="官网商城", default_warehouse=sh)
    cup = ProductFactory(sku="CUP-CL-01", name="青瓷茶杯")
    urgent = _order(web, cup, phone="13900000001", promised_in=1, priority="8")
    later = _order(web, cup, phone="13900000002", promised_in=12, priority="2")
    late = _order(web, cup, phone="13900000003", promised_in=5, priority="1")
    Order.objects.filter(pk=late.pk).update(promised_date=timezone.localdate() - timedelta(days=1))

    sign_in("liuyang")
    page.goto(f"{live_server.url}/analytics/timeline/")
    expect(page.locator("#timeline-chart")).to_be_visible()
    bars = page.locator("#timeline-chart .bar-wrapper")
    expect(bars).to_have_count(3)
    # Most urgent first: the rows follow priority.
    assert bars.evaluate_all("els => els.map(e => e.dataset.id)") == [
        urgent.number,
        later.number,
        late.number,
    ]
    at_risk = page.locator(f'#timeline-chart .bar-wrapper[data-id="{urgent.number}"]')
    expect(at_risk).to_have_class(re.compile(r"\btl-at-risk\b"))
    expect(at_risk).to_contain_text("有延期风险")  # in words, not colour alone
    expect(page.locator(f'.bar-wrapper[data-id="{late.number}"]')).to_have_class(
        re.compile(r"\btl-overdue\b")
    )
    expect(page.locator(f'.bar-wrapper[data-id="{later.number}"]')).to_have_class(
        re.compile(r"\btl-on-track\b")
    )
    fill = at_risk.locator(".bar").evaluate("el => getComputedStyle(el).fill")
    assert fill != page.locator(f'.bar-wrapper[data-id="{later.number}"] .bar').evaluate(
        "el => getComputedStyle(el).fill"
    )
    page.wait_for_timeout(600)  # the bars grow into place for 0.4 s
    shot("70-fulfilment-timeline")

    at_risk.locator(".bar").click()
    expect(page).to_have_url(re.compile(rf"/orders/orders/{urgent.number}/$"))
