"""Every write to orders and sales channels."""

from orders.services.backorders import backorder_queue, backorders_fill
from orders.services.channels import ChannelInvalid, channel_create, channel_update
from orders.services.errors import OrderConflict, OrderInvalid, StockShortage, TransitionNotAllowed
from orders.services.intake import LineInput, order_create
from orders.services.lifecycle import (
    order_cancel,
    order_confirm,
    order_deliver,
    order_hold,
    order_release,
    order_ship,
    order_ship_units,
    order_transition,
)
from orders.services.payments import (
    PaymentExceedsTotal,
    RefundExceedsPaid,
    order_paid_total,
    order_payment_record,
    order_refund,
    order_refundable,
    order_refunded_total,
)

__all__ = [
    "ChannelInvalid",
    "LineInput",
    "OrderConflict",
    "OrderInvalid",
    "PaymentExceedsTotal",
    "RefundExceedsPaid",
    "StockShortage",
    "TransitionNotAllowed",
    "backorder_queue",
    "backorders_fill",
    "channel_create",
    "channel_update",
    "order_cancel",
    "order_confirm",
    "order_create",
    "order_deliver",
    "order_hold",
    "order_paid_total",
    "order_payment_record",
    "order_refund",
    "order_refundable",
    "order_refunded_total",
    "order_release",
    "order_ship",
    "order_ship_units",
    "order_transition",
]
