"""What after-sales gives crm (crm/hooks.py): care rules on tickets, the
tickets, returns, repairs and feedback parts of the customer 360 page,
return figures for segments, and interactions written from customers'
messages. Imported from AftersalesConfig.ready()."""

from aftersales.crm_hooks import care, interactions, sections, segments  # noqa: F401
