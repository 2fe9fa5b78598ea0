"""The orders API: intake with dedup, validation, actions, filters."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Customer
from inventory.models import StockLevel
from orders.models import Order, OrderLine, Reservation


def body(**overrides):
    data = {
        "channel": "WEB",
        "external_ref": "WEB-1001",
        "customer": {"name": "王芳", "phone": "13800138000"},
        "shipping_address": {
            "recipient": "王芳",
            "phone": "13800138000",
            "province": "上海市",
            "city": "上海市",
            "street": "世纪大道100号",
        },
        "promised_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price": "100.00"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def api(integration, world, stock):
    stock("sh", "tea", 10)
    return integration("orders:write orders:read")


def test_submit_returns_201_with_the_order(api):
    response = api.post("/api/v1/orders/", body(), format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["number"].startswith("SO-") and order["status"] == "pending"
    assert order["total"] == "200.00" and order["currency"] == "CNY"
    assert order["lines"][0]["sku"] == "TEA-1"
    assert order["tracking_url"].startswith("http://testserver/track/")
    assert len(order["tracking_url"].rsplit("/", 2)[-2]) >= 32  # >= 128 bits, url-safe
    assert Customer.objects.get(phone="13800138000").name == "王芳"


def test_same_channel_order_again_is_the_same_order(api):
    first = api.post("/api/v1/orders/", body(), format="json")
    again = api.post("/api/v1/orders/", body(), format="json")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    changed = api.post(
        "/api/v1/orders/",
        body(lines=[{"sku": "TEA-1", "quantity": 3, "unit_price": "100"}]),
        format="json",
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "duplicate_conflict"
    assert Order.objects.count() == 1


def test_idempotency_key_replays_without_a_second_order(api):
    first = api.post(
        "/api/v1/orders/", body(external_ref=""), format="json", HTTP_IDEMPOTENCY_KEY="o-1"
    )
    again = api.post(
        "/api/v1/orders/", body(external_ref=""), format="json", HTTP_IDEMPOTENCY_KEY="o-1"
    )
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def test_the_same_buyer_is_matched_not_duplicated(api):
    api.post("/api/v1/orders/", body(), format="json")
    api.post(
        "/api/v1/orders/",
        body(external_ref="WEB-1002", customer={"name": "王 芳", "phone": "138-0013-8000"}),
        format="json",
    )
    assert Customer.objects.filter(phone="13800138000").count() == 1
    assert Order.objects.values("customer").distinct().count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "1"}]}, "lines[0].sku"),
        ({"lines": [{"sku": "TEA-1", "quantity": -1, "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "TEA-1", "quantity": "two", "unit_price": "1"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": "-1"}]}, "lines[0].unit_price"),
        ({"lines": []}, "lines"),
        ({"channel": None}, "channel"),
        ({"channel": "NOPE"}, "channel"),
        ({"promised_date": "2026-13-45"}, "promised_date"),
        ({"promised_date": 20261128}, "promised_date"),
        ({"customer": {"name": "x"}}, "customer.phone"),
        ({"shipping_address": {"recipient": "x"}}, "shipping_address.city"),
        ({"currency": "rmb"}, "currency"),
        # 100,000 x 9,999,999,999.99 would overflow the order's money columns
        (
            {"lines": [{"sku": "TEA-1", "quantity": 100000, "unit_price": "9999999999.99"}]},
            "lines[0]",
        ),
        (
            {
                "lines": [
                    {"sku": "TEA-1", "quantity": 100, "unit_price": "9000000000.00"},
                    {"sku": "TEA-1", "quantity": 100, "unit_price": "9000000000.00"},
                ]
            },
            "lines",
        ),
    ],
)
def test_bad_input_is_400_with_the_field_and_writes_nothing(api, change, field):
    data = body(**change)
    if change.get("channel") is None and "channel" in change:
        data.pop("channel")
    response = api.post("/api/v1/orders/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_confirm_cancel_hold_release_and_refusals(api, world):
    number = api.post("/api/v1/orders/", body(), format="json").json()["number"]
    confirmed = api.post(f"/api/v1/orders/{number}/confirm/", {}, format="json")
    assert confirmed.status_code == 200
    order = confirmed.json()
    assert order["status"] == "confirmed"
    assert order["lines"][0]["reservations"] == [
        {"warehouse": "SH01", "quantity": 2, "status": "active"}
    ]
    again = api.post(f"/api/v1/orders/{number}/confirm/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "transition_not_allowed"
    no_reason = api.post(f"/api/v1/orders/{number}/cancel/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert (
        api.post(f"/api/v1/orders/{number}/hold/", {"reason": "核实"}, format="json").json()[
            "status"
        ]
        == "on_hold"
    )
    assert (
        api.post(f"/api/v1/orders/{number}/release/", {}, format="json").json()["status"]
        == "confirmed"
    )
    cancelled = api.post(f"/api/v1/orders/{number}/cancel/", {"reason": "客户取消"}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    assert StockLevel.objects.get(warehouse=world["sh"], product=world["tea"]).reserved == 0
    detail = api.get(f"/api/v1/orders/{number}/").json()
    assert [e["to_status"] for e in detail["events"] if e["kind"] == "status"] == [
        "confirmed",
        "on_hold",
        "confirmed",
        "cancelled",
    ]


def test_short_confirm_is_409_and_reserves_nothing(api):
    number = api.post(
        "/api/v1/orders/",
        body(lines=[{"sku": "TEA-1", "quantity": 11, "unit_price": "1"}]),
        format="json",
    ).json()["number"]
    response = api.post(f"/api/v1/orders/{number}/confirm/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert not Reservation.objects.exists()


def test_list_filters(api, world):
    api.post("/api/v1/orders/", body(), format="json")
    soon = (timezone.localdate() + timedelta(days=1)).isoformat()
    api.post("/api/v1/orders/", body(external_ref="WEB-2", promised_date=soon), format="json")
    rows = api.get("/api/v1/orders/?at_risk=true").json()["results"]
    assert [r["external_ref"] for r in rows] == ["WEB-2"]
    assert api.get("/api/v1/orders/?status=pending&channel=WEB").json()["count"] == 2
    assert api.get("/api/v1/orders/?status=confirmed").json()["count"] == 0
    assert api.get(f"/api/v1/orders/?promised_to={soon}").json()["count"] == 1
    assert api.get("/api/v1/orders/?q=WEB-2").json()["count"] == 1


def test_bulk_answers_per_order(api):
    orders = [body(external_ref=f"B-{i}") for i in range(3)]
    orders.append(body(external_ref="B-0"))  # duplicate of the first
    orders.append(
        body(external_ref="B-9", lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "1"}])
    )
    response = api.post("/api/v1/orders/bulk/", {"orders": orders}, format="json")
    assert response.status_code == 200
    result = response.json()
    assert (result["created"], result["duplicates"], result["errors"]) == (3, 1, 1)
    assert result["results"][3]["result"] == "duplicate"
    assert "lines[0].sku" in result["results"][4]["error"]["fields"]
    assert Order.objects.count() == 3 and OrderLine.objects.count() == 3


def test_bulk_is_limited_to_500(api):
    response = api.post("/api/v1/orders/bulk/", {"orders": [{}] * 501}, format="json")
    assert response.status_code == 400
    assert "orders" in response.json()["error"]["fields"]


def test_scopes_and_roles(integration, staff_api, world):
    reader = integration("orders:read")
    assert reader.post("/api/v1/orders/", body(), format="json").status_code == 403
    assert staff_api("warehouse").post("/api/v1/orders/", body(), format="json").status_code == 403
    assert (
        staff_api("order_clerk").post("/api/v1/orders/", body(), format="json").status_code == 201
    )


def test_auto_confirming_channel(api, world):
    world["channel"].auto_confirm = True
    world["channel"].save()
    order = api.post("/api/v1/orders/", body(), format="json").json()
    assert order["status"] == "confirmed"
    short = api.post(
        "/api/v1/orders/",
        body(external_ref="X", lines=[{"sku": "TEA-1", "quantity": 50, "unit_price": "1"}]),
        format="json",
    )
    assert short.status_code == 201 and short.json()["status"] == "pending"  # kept for a person


def test_list_query_count_is_bounded(api, django_assert_max_num_queries):
    for i in range(15):
        api.post("/api/v1/orders/", body(external_ref=f"Q-{i}"), format="json")
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/orders/?page_size=50").json()["results"]) == 15
    number = Order.objects.first().number
    with django_assert_max_num_queries(10):
        api.get(f"/api/v1/orders/{number}/")
