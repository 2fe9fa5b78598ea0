"""Order lifecycle: the transition table, allocation, backorders, cancel."""

import pytest

from inventory.models import StockLevel
from orders.models import ALLOWED_TRANSITIONS, Order, OrderEvent, Reservation
from orders.services import (
    StockShortage,
    TransitionNotAllowed,
    order_cancel,
    order_confirm,
    order_hold,
    order_release,
    order_transition,
)
from orders.services.allocation import Source, plan_allocation

S = Order.Status


def levels(world, product):
    return {
        lvl.warehouse.code: (lvl.on_hand, lvl.reserved)
        for lvl in StockLevel.objects.filter(product=world[product]).select_related("warehouse")
    }


def test_confirm_prefers_the_channels_default_warehouse(world, stock, place):
    stock("sh", "tea", 5)
    stock("bj", "tea", 50)
    order = order_confirm(order=place(("tea", 5), city="北京市"))
    assert order.status == S.CONFIRMED
    assert levels(world, "tea") == {"SH01": (5, 5), "BJ01": (50, 0)}
    line = order.lines.get()
    assert (line.quantity_reserved, line.quantity_backordered) == (5, 0)
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["created", "allocated", "status"]


def test_otherwise_the_nearest_warehouse_that_can_serve_the_line(world, stock, place):
    stock("sh", "tea", 2)
    stock("bj", "tea", 10)
    stock("gz", "tea", 10)
    order_confirm(order=place(("tea", 4), city="深圳市"))  # Guangzhou is nearest to Shenzhen
    assert levels(world, "tea")["GZ01"] == (10, 4)
    order_confirm(order=place(("tea", 4), city="天津市"))  # Beijing is nearest to Tianjin
    assert levels(world, "tea")["BJ01"] == (10, 4)


def test_a_line_is_split_when_no_single_warehouse_can_serve_it(world, stock, place):
    stock("sh", "tea", 3)
    stock("bj", "tea", 3)
    stock("gz", "tea", 3)
    order = order_confirm(order=place(("tea", 7), city="广州市"))
    taken = dict(
        Reservation.objects.filter(order_line__order=order).values_list(
            "stock_level__warehouse__code", "quantity"
        )
    )
    assert taken == {"GZ01": 3, "SH01": 3, "BJ01": 1}  # nearest first from Guangzhou


def test_short_order_is_refused_and_nothing_reserved(world, stock, place):
    stock("sh", "tea", 3)
    stock("sh", "cup", 10)
    order = place(("cup", 2), ("tea", 5))
    with pytest.raises(StockShortage):
        order_confirm(order=order)
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert not Reservation.objects.exists()
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0


def test_short_lines_become_backorders_when_the_channel_allows(world, stock, place):
    world["channel"].allow_backorder = True
    world["channel"].save()
    stock("sh", "tea", 3)
    order = order_confirm(order=place(("tea", 5)))
    line = order.lines.get()
    assert (line.quantity_reserved, line.quantity_backordered) == (3, 2)
    assert order.events.filter(kind="backordered", visible_to_customer=True).exists()


def test_cancel_releases_exactly_what_was_reserved(world, stock, place):
    stock("sh", "tea", 10)
    stock("bj", "tea", 10)
    other = order_confirm(order=place(("tea", 4)))
    order = order_confirm(order=place(("tea", 9)))
    # Shanghai has 6 left, so Beijing (which can) serves the whole line.
    assert levels(world, "tea") == {"SH01": (10, 4), "BJ01": (10, 9)}
    with pytest.raises(Exception, match="原因"):
        order_cancel(order=order, reason=" ")
    order_cancel(order=order, reason="客户取消")
    assert levels(world, "tea") == {"SH01": (10, 4), "BJ01": (10, 0)}
    assert set(
        Reservation.objects.filter(order_line__order=order).values_list("status", flat=True)
    ) == {"released"}
    assert other.lines.get().quantity_reserved == 4


@pytest.mark.parametrize("from_status", list(S))
def test_every_transition_the_table_forbids_is_refused(place, world, from_status):
    order = place(("cup", 1))
    Order.objects.filter(pk=order.pk).update(status=from_status)
    order.refresh_from_db()
    for to_status in S:
        if to_status in ALLOWED_TRANSITIONS[from_status]:
            continue
        with pytest.raises(TransitionNotAllowed):
            order_transition(order=order, to_status=to_status)
    order.refresh_from_db()
    assert order.status == from_status


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets],
)
def test_every_allowed_transition_leaves_an_event(place, make_user, from_status, to_status):
    clerk = make_user("order_clerk")
    order = place(("cup", 1))
    # A held order goes back to where it was held (or is cancelled from pending).
    held_from = (
        (to_status if to_status != S.CANCELLED else S.PENDING) if from_status == S.ON_HOLD else ""
    )
    Order.objects.filter(pk=order.pk).update(status=from_status, held_from=held_from)
    order.refresh_from_db()
    order_transition(order=order, to_status=to_status, actor=clerk, reason="测试")
    event = OrderEvent.objects.filter(order=order, kind="status").latest("id")
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        from_status,
        to_status,
        clerk,
        "测试",
    )


def test_hold_and_release_return_to_where_it_was(world, stock, place):
    stock("sh", "cup", 5)
    order = order_confirm(order=place(("cup", 2)))
    order = order_hold(order=order, reason="地址待核实")
    assert (order.status, order.held_from) == (S.ON_HOLD, S.CONFIRMED)
    assert levels(world, "cup")["SH01"] == (5, 2)  # reservations stay while held
    order = order_release(order=order, reason="已核实")
    assert order.status == S.CONFIRMED
    with pytest.raises(TransitionNotAllowed):
        order_release(order=order)


def test_plan_is_pure_and_tracks_what_earlier_lines_took():
    sources = [
        Source(level_id=1, warehouse_id=10, product_id=7, available=5, position=(31.2, 121.5)),
        Source(level_id=2, warehouse_id=20, product_id=7, available=5, position=(39.9, 116.4)),
    ]
    plans = plan_allocation(
        lines=[(100, 7, 4), (101, 7, 4)],
        sources=sources,
        default_warehouse_id=10,
        destination_city="上海市",
    )
    assert plans[0].takes == [(1, 4)]
    assert plans[1].takes == [(2, 4)]  # only 1 left in the default: Beijing serves it whole
    assert plans[1].short == 0


def test_shipping_consumes_reservations_into_the_ledger(world, stock, place):
    from django.core.management import call_command

    from inventory.models import StockMove
    from orders.services import order_ship

    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    order = order_confirm(order=place(("tea", 2), ("cup", 3)))
    order = order_ship(order=order, line_numbers=[1])
    assert order.status == S.PARTIALLY_SHIPPED
    assert levels(world, "tea")["SH01"] == (8, 0)
    assert levels(world, "cup")["SH01"] == (10, 3)
    order = order_ship(order=order)
    assert order.status == S.SHIPPED
    assert levels(world, "cup")["SH01"] == (7, 0)
    shipped = StockMove.objects.filter(kind="shipment", reference=order.number)
    assert sorted(shipped.values_list("quantity", flat=True)) == [-3, -2]
    assert [
        (ln.quantity_shipped, ln.quantity_reserved) for ln in order.lines.order_by("line_no")
    ] == [
        (2, 0),
        (3, 0),
    ]
    with pytest.raises(TransitionNotAllowed):
        order_ship(order=order)  # a shipped order has nothing left to ship
    call_command("check_stock_ledger")
