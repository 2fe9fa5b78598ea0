"""The order facts behind the customer scores (crm.hooks.register_order_facts).

One row per order that is not cancelled:

- revenue = the order's total (what the customer paid: goods, shipping, tax,
  less discounts);
- refunded = the sum of the order's refunds (a Refund row is money that went
  back);
- margin = sum(line_total) - sum(unit_cost * quantity) - refunded: the goods'
  price less their cost at intake, less what was given back (shipping and tax
  are not margin).

Lines and refunds are summed per order in the GROUP BY, so a scan of a few
customers (customer_score_refresh) reaches their orders through the indexes.
"""

from crm.hooks import register_order_facts
from orders.models import Order


def order_facts(connection) -> tuple[str, list]:
    sql = """
        SELECT o.customer_id AS customer_id,
               o.placed_at AS placed_at,
               o.total AS revenue,
               COALESCE(MAX(rf.amount), 0) AS refunded,
               COALESCE(SUM(l.line_total), 0) - COALESCE(SUM(l.unit_cost * l.quantity), 0)
                 - COALESCE(MAX(rf.amount), 0) AS margin
        FROM orders_order o
        LEFT JOIN orders_orderline l ON l.order_id = o.id
        LEFT JOIN (SELECT order_id, SUM(amount) AS amount FROM orders_refund GROUP BY order_id)
             rf ON rf.order_id = o.id
        WHERE o.status <> %s
        GROUP BY o.id, o.customer_id, o.placed_at, o.total
    """
    return sql, [Order.Status.CANCELLED.value]


register_order_facts(order_facts)
