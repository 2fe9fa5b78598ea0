"""Row locks for orders, always in this order: Order, then its OrderLines,
then StockLevels by primary key (inventory.lock_objects)."""

from orders.models import Order, OrderLine, Reservation


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


def active_reservations_for_update(order: Order, line_numbers=None) -> list[Reservation]:
    """The order's active reservations (of some lines only, if given), locked in
    stock-level order - the order their levels are then changed in."""
    active = Reservation.objects.filter(order_line__order=order, status=Reservation.Status.ACTIVE)
    if line_numbers is not None:
        active = active.filter(order_line__line_no__in=list(line_numbers))
    return list(
        active.select_related("stock_level")
        .select_for_update(of=("self",))
        .order_by("stock_level_id", "pk")
    )
