"""The event types a webhook can subscribe to, with what each means.

The types are emitted by the domain apps through erp.core.outbox.outbox_emit;
the kernel only names them (strings), it imports no domain app.
"""

from django.utils.translation import gettext_lazy as _

ALL = "*"

EVENT_TYPES: dict[str, object] = {
    "order.created": _("An order was taken in (from a channel, the API or a clerk)."),
    "order.confirmed": _("An order was confirmed and its stock allocated."),
    "order.cancelled": _("An order was cancelled."),
    "order.shipped": _("An order's goods left the warehouse."),
    "order.delivered": _("An order was delivered to the customer."),
    "refund.created": _("A refund was recorded for an order."),
    "shipment.exception": _("A shipment reported an exception (delay, damage, loss...)."),
    "ticket.created": _("An after-sales ticket was opened."),
    "ticket.resolved": _("An after-sales ticket was resolved."),
    "return.received": _("Returned goods arrived at a warehouse."),
    "stock.low": _("A stock level fell to or below its product's reorder point."),
    "alert.raised": _("A new alert was raised (T-3, low stock, SLA, exception, surge...)."),
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} - {description}") for name, description in EVENT_TYPES.items()]
