"""What orders gives crm (crm/hooks.py): the order facts behind the scores,
care rules on orders, the orders part of the customer 360 page, and order
figures for segments. Imported from OrdersConfig.ready()."""

from orders.crm_hooks import care, scores, sections, segments  # noqa: F401
