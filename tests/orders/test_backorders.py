"""Backorders are filled when stock arrives, in priority order."""

from django.core.management import call_command

from crm.models import Customer
from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import OrderEvent
from orders.services import backorder_queue, backorders_fill, order_confirm


def _allow_backorders(world):
    world["channel"].allow_backorder = True
    world["channel"].save()


def test_arriving_stock_fills_the_most_urgent_first(
    world, stock, place, django_capture_on_commit_callbacks
):
    _allow_backorders(world)
    relaxed = order_confirm(order=place(("tea", 3), promised_in=9, phone="13800000001"))
    urgent = order_confirm(order=place(("tea", 3), promised_in=1, phone="13800000002"))
    assert [o.pk for o in backorder_queue()] == [urgent.pk, relaxed.pk]

    with django_capture_on_commit_callbacks(execute=True):
        stock("sh", "tea", 4)  # the receipt's signal fills backorders right after commit
    urgent_line, relaxed_line = urgent.lines.get(), relaxed.lines.get()
    assert (urgent_line.quantity_reserved, urgent_line.quantity_backordered) == (3, 0)
    assert (relaxed_line.quantity_reserved, relaxed_line.quantity_backordered) == (1, 2)
    assert StockLevel.objects.get(warehouse=world["sh"], product=world["tea"]).reserved == 4
    assert OrderEvent.objects.filter(
        order=urgent, kind="backorder_filled", visible_to_customer=True
    ).exists()


def test_vip_goes_first_when_urgency_is_equal(world, stock, place):
    _allow_backorders(world)
    plain = order_confirm(order=place(("tea", 2), phone="13800000003"))
    vip_order = place(("tea", 2), phone="13800000004")
    Customer.objects.filter(pk=vip_order.customer_id).update(tier="vip")
    vip = order_confirm(order=vip_order)
    assert [o.pk for o in backorder_queue()] == [vip.pk, plain.pk]


def test_filling_is_safe_to_run_twice(world, stock, place, django_capture_on_commit_callbacks):
    _allow_backorders(world)
    order = order_confirm(order=place(("tea", 5)))
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(warehouse=world["bj"], product=world["tea"], quantity=2)
    assert order.lines.get().quantity_backordered == 3
    assert backorders_fill() == 0  # nothing new arrived since the signal filled what it could
    call_command("run_due_jobs", "--only", "fill-backorders")
    line = order.lines.get()
    assert (line.quantity_reserved, line.quantity_backordered) == (2, 3)
    call_command("check_stock_ledger")


def test_cancelled_orders_are_not_filled(world, stock, place, django_capture_on_commit_callbacks):
    from orders.services import order_cancel

    _allow_backorders(world)
    order = order_confirm(order=place(("tea", 2)))
    order_cancel(order=order, reason="客户取消")
    with django_capture_on_commit_callbacks(execute=True):
        stock("sh", "tea", 5)
    assert StockLevel.objects.get(warehouse=world["sh"], product=world["tea"]).reserved == 0
