"""Backorders: when stock arrives, fill the short lines, most urgent first.

Priority is recomputed at fill time (urgency changes as the promised date
nears): see orders.services.priority. Safe to run any number of times: a line
with nothing short is skipped, and every fill happens under the order's lock.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from orders.lock_objects import lines_for_update, order_for_update
from orders.models import Order, OrderEvent, OrderLine
from orders.services.lifecycle import allocate_lines
from orders.services.priority import priority_score

FILLABLE = (Order.Status.CONFIRMED, Order.Status.IN_FULFILMENT, Order.Status.PARTIALLY_SHIPPED)


def backorder_queue(*, product_id: int | None = None) -> list[Order]:
    """Orders with short lines (for one product, or all), highest priority first."""
    lines = OrderLine.objects.filter(quantity_backordered__gt=0, order__status__in=FILLABLE)
    if product_id is not None:
        lines = lines.filter(product_id=product_id)
    order_ids = set(lines.values_list("order_id", flat=True))
    orders = list(
        Order.objects.filter(pk__in=order_ids)
        .select_related("customer")
        .annotate(cost=Sum(F("lines__product__unit_cost") * F("lines__quantity")))
    )
    for order in orders:
        order.fill_priority = priority_score(
            promised_date=order.promised_date,
            tier=order.customer.tier,
            total=order.total,
            cost=Decimal(order.cost or 0),
        )
    return sorted(
        orders, key=lambda o: (-o.fill_priority, o.promised_date or o.placed_at.date(), o.pk)
    )


def backorders_fill(*, product_id: int | None = None) -> int:
    """Reserve newly available stock for backordered lines; returns units filled."""
    filled = 0
    for order in backorder_queue(product_id=product_id):
        filled += _fill_order(order.pk, product_id)
    return filled


@transaction.atomic
def _fill_order(order_id: int, product_id: int | None) -> int:
    with lock_timeout():
        order = order_for_update(order_id)
        if order.status not in FILLABLE:
            return 0
        lines = [
            line
            for line in lines_for_update(order_id)
            if line.quantity_backordered > 0
            and (product_id is None or line.product_id == product_id)
        ]
        if not lines:
            return 0
        before = sum(line.quantity_backordered for line in lines)
        allocate_lines(order=order, lines=lines)
        after = (
            OrderLine.objects.filter(pk__in=[line.pk for line in lines]).aggregate(
                s=Sum("quantity_backordered")
            )["s"]
            or 0
        )
    filled = before - after
    if filled:
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.BACKORDER_FILLED,
            reason=_("%(units)s backordered unit(s) now reserved; %(left)s still short.")
            % {"units": filled, "left": after},
            visible_to_customer=True,
        )
    return filled
