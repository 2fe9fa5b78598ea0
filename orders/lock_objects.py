"""Row locks for orders, always in this order: Order, then its OrderLines,
then StockLevels by primary key (inventory.lock_objects)."""

from orders.models import Order, OrderLine


def order_for_update(order_id: int) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("channel", "customer")
        .get(pk=order_id)
    )


def lines_for_update(order_id: int) -> list[OrderLine]:
    return list(
        OrderLine.objects.filter(order_id=order_id).order_by("pk").select_for_update(of=("self",))
    )
