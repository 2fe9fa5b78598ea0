"""The fulfilment timeline: open orders only, most urgent first (priority,
then promised date), each bar from placing to the promised date with its
stage, at-risk and overdue orders marked; filters, pages and who may look.
The clock stands at Friday 2026-11-27 10:00 Shanghai; ORDER_AT_RISK_DAYS = 3."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from analytics.selectors.timeline import TimelineFilter, timeline_orders
from orders.lock_objects import order_for_update
from orders.models import Order
from orders.services import order_cancel, order_confirm, order_hold, order_transition
from tests.aftersales.conftest import frozen_clock  # noqa: F401  (shared fixtures)
from tests.factories import SalesChannelFactory
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 27)
URL = "/analytics/timeline/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _set(order, **fields):
    Order.objects.filter(pk=order.pk).update(**fields)
    order.refresh_from_db()
    return order


@pytest.fixture
def orders(frozen_clock, world, stock, place):  # noqa: F811
    """Open: `top` (priority 9, due in 20 days, in fulfilment), `soon`
    (priority 5, due in 2 days, confirmed), `far` (priority 5, due in 10 days),
    `undated` (priority 5, no promised date), `late` (priority 1, due 2 days
    ago), `held` (priority 3, held after confirming, due in 3 days, from
    Beijing). Closed: shipped, delivered, completed, cancelled (priority 99)."""
    stock("sh", "tea", 50)
    stock("bj", "cup", 5)
    made = {
        "top": place(("tea", 1), promised_in=20, phone="13800000001"),
        "soon": place(("tea", 1), promised_in=2, phone="13800000002"),
        "far": place(("tea", 1), promised_in=10, phone="13800000003"),
        "undated": place(("tea", 1), promised_in=10, phone="13800000004"),
        "late": place(("tea", 1), promised_in=1, phone="13800000005"),
        "held": place(("cup", 1), promised_in=3, phone="13800000006"),
    }
    order_confirm(order=made["top"])
    with transaction.atomic():
        order_transition(
            order=order_for_update(made["top"].pk), to_status=Order.Status.IN_FULFILMENT
        )
    order_confirm(order=made["soon"])
    order_confirm(order=made["held"])
    order_hold(order=made["held"])
    for name, priority in [("top", 9), ("soon", 5), ("far", 5), ("undated", 5), ("late", 1)]:
        _set(made[name], priority_score=Decimal(priority))
    _set(made["held"], priority_score=Decimal(3))
    _set(made["undated"], promised_date=None)
    _set(made["late"], promised_date=TODAY - timedelta(days=2))
    for status in ("shipped", "delivered", "completed", "cancelled"):
        order = place(("tea", 1), promised_in=1, phone=f"1390000{len(made):04d}")
        made[status] = _set(order, priority_score=Decimal(99))
        if status == "cancelled":
            order_cancel(order=order, reason="test")
        else:
            _set(order, status=status)
    return made


def rows(response):
    return [row["number"] for row in response.context["rows"]]


def numbers(orders, *names):
    return [orders[name].number for name in names]


def test_open_orders_by_priority_then_promised_date(role_client, orders):
    response = role_client("order_clerk").get(URL, **EN)
    assert response.status_code == 200
    # Equal priority 5: the earlier promise first, no promise last; closed orders never.
    assert rows(response) == numbers(orders, "top", "soon", "far", "undated", "held", "late")
    body = response.content.decode()
    for closed in ("shipped", "delivered", "completed", "cancelled"):
        assert orders[closed].number not in body
    assert "6 open orders" in body


def test_bars_run_from_placing_to_the_promise_and_show_the_stage(role_client, orders):
    response = role_client("dispatcher").get(URL, **EN)
    data = json.loads(
        response.content.decode()
        .split('id="timeline-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    tasks = {task["number"]: task for task in data["tasks"]}
    top, soon = tasks[orders["top"].number], tasks[orders["soon"].number]
    assert (top["start"], top["end"]) == ("2026-11-27", "2026-12-17")
    assert top["status_code"] == "in_fulfilment"
    assert top["progress"] > soon["progress"] > tasks[orders["far"].number]["progress"]
    assert top["confirmed_at"] == top["fulfilment_at"] == "2026-11-27 10:00"
    assert soon["confirmed_at"] == "2026-11-27 10:00" and soon["fulfilment_at"] is None
    assert tasks[orders["far"].number]["confirmed_at"] is None
    # Held after confirming: the bar keeps the stage it was held in.
    assert tasks[orders["held"].number]["progress"] == soon["progress"]
    assert top["url"] == reverse("orders:order-detail", args=[orders["top"].number])
    # Without a promise the bar ends today.
    assert tasks[orders["undated"].number]["end"] == "2026-11-27"


def test_at_risk_and_overdue_orders_are_marked_in_colour_and_words(role_client, orders):
    response = role_client("order_clerk").get(URL, **EN)
    marks = {row["number"]: (row["custom_class"], row["name"]) for row in response.context["rows"]}
    assert marks[orders["late"].number] == (
        "tl-overdue",
        f"{orders['late'].number} · pending · overdue by 2 d",
    )
    assert marks[orders["soon"].number] == (
        "tl-at-risk",
        f"{orders['soon'].number} · confirmed · at risk",
    )
    # Due in 3 days: still within the window.
    assert marks[orders["held"].number][0] == "tl-at-risk"
    assert marks[orders["far"].number] == ("tl-on-track", f"{orders['far'].number} · pending")
    assert marks[orders["undated"].number][0] == "tl-no-promise"
    body = response.content.decode()
    assert (
        f'data-number="{orders["soon"].number}" data-risk="tl-at-risk" class="table-warning"'
        in (body)
    )
    assert f'data-number="{orders["late"].number}" data-risk="tl-overdue" class="table-danger"' in (
        body
    )


def test_at_risk_only_channel_and_warehouse_filters(role_client, orders, world):  # noqa: F811
    client = role_client("warehouse")
    assert rows(client.get(URL, {"at_risk": "on"}, **EN)) == numbers(orders, "soon", "held", "late")

    other = SalesChannelFactory(code="APP", default_warehouse=world["bj"])
    _set(orders["far"], channel=other)
    assert rows(client.get(URL, {"channel": "APP"}, **EN)) == numbers(orders, "far")

    # Beijing: `held` has its stock reserved there; `far` (not yet allocated)
    # belongs to its channel's default warehouse.
    assert rows(client.get(URL, {"warehouse": "BJ01"}, **EN)) == numbers(orders, "far", "held")
    shanghai = rows(client.get(URL, {"warehouse": "SH01"}, **EN))
    assert shanghai == numbers(orders, "top", "soon", "undated", "late")


def test_the_selector_counts_the_same_as_the_page(orders):
    assert timeline_orders(TimelineFilter(at_risk_only=True), today=TODAY).count() == 3
    late = timeline_orders(today=TODAY).get(pk=orders["late"].pk)
    assert late.at_risk and late.overdue


def test_pages_of_orders(role_client, orders, settings):
    settings.ANALYTICS_TIMELINE_PER_PAGE = 4
    client = role_client("order_clerk")
    first = client.get(URL, {"at_risk": ""}, **EN)
    assert rows(first) == numbers(orders, "top", "soon", "far", "undated")
    assert "page=2" in first.content.decode()
    assert rows(client.get(URL, {"page": 2}, **EN)) == numbers(orders, "held", "late")


def test_query_count_does_not_grow_with_the_orders(
    role_client, orders, django_assert_max_num_queries
):
    client = role_client("order_clerk")
    with django_assert_max_num_queries(12):
        assert client.get(URL, **EN).status_code == 200


def test_empty_state(role_client, frozen_clock):  # noqa: F811
    body = role_client("order_clerk").get(URL, **EN).content.decode()
    assert 'id="empty-state"' in body
    assert "No open orders." in body
    assert "timeline-data" not in body


def test_only_those_who_see_orders(make_user, client, orders):
    client.force_login(make_user())  # signed in, no role
    assert client.get(URL, **EN).status_code == 403
    client.logout()
    response = client.get(URL, **EN)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
