"""Lifecycle edges found in review: shipping in waves, holds that cannot skip
the table, line discounts, retryable idempotent errors, count approval."""

from decimal import Decimal

import pytest
from rest_framework.response import Response

from erp.core.idempotency import idempotency_claim, idempotency_complete
from erp.core.models import IdempotencyKey
from orders.models import Order, OrderEvent
from orders.services import (
    TransitionNotAllowed,
    order_cancel,
    order_confirm,
    order_hold,
    order_release,
    order_ship,
    order_transition,
)

S = Order.Status


def test_an_order_ships_in_three_waves(world, stock, place):
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    world["channel"].allow_backorder = True
    world["channel"].save()
    order = order_confirm(order=place(("tea", 1), ("cup", 1), ("tea", 1)))
    order = order_ship(order=order, line_numbers=[1])
    assert order.status == S.PARTIALLY_SHIPPED
    order = order_ship(order=order, line_numbers=[2])  # a second partial shipment
    assert order.status == S.PARTIALLY_SHIPPED
    assert order.events.filter(kind=OrderEvent.Kind.SHIPMENT, visible_to_customer=True).exists()
    order = order_ship(order=order)
    assert order.status == S.SHIPPED


def test_a_hold_cannot_skip_the_table(world, stock, place):
    stock("sh", "tea", 10)
    order = order_confirm(order=place(("tea", 1), ("tea", 1)))
    order = order_ship(order=order, line_numbers=[1])
    order = order_hold(order=order, reason="核实")
    with pytest.raises(TransitionNotAllowed):
        order_cancel(order=order, reason="x")  # partially shipped orders cannot be cancelled
    with pytest.raises(TransitionNotAllowed):
        order_confirm(order=order)  # no way back to confirmed
    with pytest.raises(TransitionNotAllowed):
        order_ship(order=order)  # nothing leaves while held
    assert order_release(order=order).status == S.PARTIALLY_SHIPPED


def test_cancelling_by_the_bare_transition_is_refused_while_stock_is_reserved(world, stock, place):
    stock("sh", "tea", 10)
    order = order_confirm(order=place(("tea", 2)))
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, to_status=S.CANCELLED)
    assert order_cancel(order=order, reason="客户取消").status == S.CANCELLED


def test_a_line_discount_cannot_exceed_the_line(integration, world):
    api = integration("orders:write")
    response = api.post(
        "/api/v1/orders/",
        {
            "channel": "WEB",
            "customer": {"name": "王芳", "phone": "13800138000"},
            "shipping_address": {
                "recipient": "王芳",
                "phone": "1",
                "city": "上海市",
                "street": "路",
            },
            "lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": "100", "discount": "150"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "lines[0].discount" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_busy_lock_answer_frees_the_idempotency_key():
    claim = idempotency_claim(scope="user:1", key="k", fingerprint="f")
    busy = Response({"error": {"code": "lock_timeout", "message": "", "fields": {}}}, status=409)
    idempotency_complete(claim=claim, response=busy)
    assert not IdempotencyKey.objects.exists()


def test_counts_are_approved_by_a_manager_who_took_no_part(role_client, make_user, world, stock):
    from inventory.services import stock_count_open, stock_count_record, stock_count_submit

    stock("sh", "tea", 5)
    counter, manager = make_user("warehouse"), make_user("warehouse_manager")
    count = stock_count_open(warehouse=world["sh"], actor=counter)
    stock_count_record(
        count=count, product=world["tea"], counted=5, actor=manager
    )  # manager counted
    stock_count_submit(count=count, actor=counter)
    url = f"/inventory/counts/{count.number}/approve/"
    assert role_client("warehouse").post(url).status_code == 403  # staff cannot approve
    from django.test import Client

    client = Client()
    client.force_login(manager)
    client.post(url)
    count.refresh_from_db()
    assert count.status == "submitted"  # took part in counting: refused
    other = Client()
    other.force_login(make_user("warehouse_manager"))
    other.post(url)
    count.refresh_from_db()
    assert count.status == "posted"


def test_cancelled_orders_with_short_lines_are_not_filled(world, stock, place):
    from orders.models import OrderLine
    from orders.services import backorders_fill

    world["channel"].allow_backorder = True
    world["channel"].save()
    order = order_confirm(order=place(("tea", 2)))
    order_cancel(order=order, reason="客户取消")
    OrderLine.objects.filter(order=order).update(quantity_backordered=2)  # as if left behind
    stock("sh", "tea", 5)
    assert backorders_fill() == 0
    assert Decimal(order.lines.get().quantity_reserved) == 0
