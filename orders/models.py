"""Sales channels. Orders and their lifecycle follow with the orders and
inventory capability."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class ConnectorKind(models.TextChoices):
    """The inbound connectors (orders.connectors): one mapping per payload family."""

    MARKETPLACE = "marketplace", _("marketplace (signed trade messages)")
    WEB_STORE = "web_store", _("web store (token, order webhooks)")


class SalesChannel(TimeStampedModel):
    """A place orders come from: a web store, a marketplace shop, a store, a phone line."""

    class Kind(models.TextChoices):
        WEB_STORE = "web_store", _("web store")  # our own online shop
        MARKETPLACE = "marketplace", _("marketplace")  # a shop on Tmall, JD.com, ...
        OFFLINE_STORE = "offline_store", _("offline store")  # a physical shop
        SOCIAL = "social", _("social commerce")  # Douyin, WeChat mini-programs, ...
        PHONE = "phone", _("phone")  # orders taken by phone
        B2B = "b2b", _("B2B")  # business customers
        API = "api", _("API")  # a system pushing orders over the API

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    default_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("default warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="default_for_channels",
    )
    auto_confirm = models.BooleanField(_("confirm automatically"), default=False)
    allow_backorder = models.BooleanField(_("allow backorders"), default=False)
    active = models.BooleanField(_("active"), default=True)
    # Inbound connector (orders.connectors): which mapping reads the channel's
    # own order messages at /api/v1/channels/{code}/inbound/, and the secret
    # that signs them (HMAC key or shared token, as the connector says).
    connector = models.CharField(
        _("inbound connector"), max_length=20, choices=ConnectorKind.choices, blank=True
    )
    inbound_secret = models.CharField(_("inbound secret"), max_length=128, blank=True)
    inbound_secret_rotated_at = models.DateTimeField(
        _("inbound secret set at"), null=True, blank=True
    )
    history = HistoricalRecords(excluded_fields=["inbound_secret"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")

    def __str__(self) -> str:
        return self.name


class Order(TimeStampedModel):
    """A customer's order from one sales channel."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # received, not yet confirmed
        CONFIRMED = "confirmed", _("confirmed")  # stock allocated (or backordered)
        IN_FULFILMENT = "in_fulfilment", _("in fulfilment")  # being picked and packed
        PARTIALLY_SHIPPED = "partially_shipped", _("partially shipped")  # some lines left
        SHIPPED = "shipped", _("shipped")  # everything has left the warehouses
        DELIVERED = "delivered", _("delivered")  # the customer signed for it
        COMPLETED = "completed", _("completed")  # closed; no more changes expected
        ON_HOLD = "on_hold", _("on hold")  # stopped by a person until released
        CANCELLED = "cancelled", _("cancelled")  # stopped for good; reservations released

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")
        AUTHORISED = "authorised", _("authorised")
        PAID = "paid", _("paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        REFUNDED = "refunded", _("refunded")

    number = models.CharField(_("order number"), max_length=30, unique=True)
    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    external_ref = models.CharField(_("channel order number"), max_length=64, blank=True)
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    shipping_address = models.JSONField(_("shipping address"), default=dict)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    subtotal = models.DecimalField(_("subtotal"), max_digits=14, decimal_places=2, default=0)
    discount_total = models.DecimalField(_("discount"), max_digits=14, decimal_places=2, default=0)
    shipping_total = models.DecimalField(_("shipping"), max_digits=14, decimal_places=2, default=0)
    tax_total = models.DecimalField(_("tax"), max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    placed_at = models.DateTimeField(_("placed at"), db_index=True)
    promised_date = models.DateField(_("promised date"), null=True, blank=True, db_index=True)
    priority_score = models.DecimalField(_("priority"), max_digits=8, decimal_places=3, default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    held_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    # When the customer had everything (the move to delivered): on-time rate, cycle time.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, db_index=True)
    payment_status = models.CharField(
        _("payment status"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
    )
    tracking_token = models.CharField(max_length=64, unique=True)
    content_hash = models.CharField(max_length=64, blank=True)  # what the channel sent, for dedup
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The marketing campaign whose code the order carried (its revenue counts there).
    campaign = models.ForeignKey(
        "crm.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["tracking_token", "content_hash"])

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="order_channel_external_ref_unique",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_gte_0"),
        ]
        indexes = [models.Index(fields=["status", "promised_date"], name="order_status_promised")]

    def __str__(self) -> str:
        return self.number


# Which status may follow which. Anything else is refused by order_transition.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Order.Status.PENDING: {Order.Status.CONFIRMED, Order.Status.ON_HOLD, Order.Status.CANCELLED},
    Order.Status.CONFIRMED: {
        Order.Status.IN_FULFILMENT,
        Order.Status.PARTIALLY_SHIPPED,
        Order.Status.SHIPPED,
        Order.Status.ON_HOLD,
        Order.Status.CANCELLED,
    },
    Order.Status.IN_FULFILMENT: {
        Order.Status.PARTIALLY_SHIPPED,
        Order.Status.SHIPPED,
        Order.Status.ON_HOLD,
        Order.Status.CANCELLED,
    },
    Order.Status.PARTIALLY_SHIPPED: {Order.Status.SHIPPED, Order.Status.ON_HOLD},
    Order.Status.SHIPPED: {Order.Status.DELIVERED},
    Order.Status.DELIVERED: {Order.Status.COMPLETED},
    Order.Status.COMPLETED: set(),
    # Only back to the status it was held in (Order.held_from), or cancelled if
    # that status could be: order_transition narrows this set per order.
    Order.Status.ON_HOLD: {
        Order.Status.PENDING,
        Order.Status.CONFIRMED,
        Order.Status.IN_FULFILMENT,
        Order.Status.PARTIALLY_SHIPPED,
        Order.Status.CANCELLED,
    },
    Order.Status.CANCELLED: set(),
}


class OrderLine(TimeStampedModel):
    """One product on an order, with how much of it is reserved, shipped, returned."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveSmallIntegerField(_("line"))
    product = models.ForeignKey(
        "inventory.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2, default=0)
    line_total = models.DecimalField(_("line total"), max_digits=14, decimal_places=2)
    # The product's moving-average cost when the order was placed: the margin.
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4, default=0)
    quantity_reserved = models.PositiveIntegerField(_("reserved"), default=0)
    quantity_backordered = models.PositiveIntegerField(_("backorder"), default=0)
    # Units the first allocation could not reserve (0 = served from stock): fill rate.
    quantity_short_at_allocation = models.PositiveIntegerField(_("short at allocation"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned"), default=0)

    class Meta:
        ordering = ["order_id", "line_no"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_no_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    quantity__gte=models.F("quantity_reserved")
                    + models.F("quantity_backordered")
                    + models.F("quantity_shipped")
                ),
                name="orderline_allocated_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no} {self.sku} × {self.quantity}"


class Reservation(TimeStampedModel):
    """Units of a stock level held for an order line."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("reservation", "active")  # held for the line
        CONSUMED = "consumed", pgettext_lazy("reservation", "consumed")  # shipped
        RELEASED = "released", pgettext_lazy("reservation", "released")  # given back

    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="reservations",
    )
    stock_level = models.ForeignKey(
        "inventory.StockLevel",
        verbose_name=_("stock level"),
        on_delete=models.PROTECT,
        related_name="reservations",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )

    class Meta:
        ordering = ["order_line_id", "id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.order_line} @ {self.stock_level_id}: {self.quantity} ({self.status})"


class OrderEvent(models.Model):
    """One entry of an order's timeline: a status change, an allocation, a note."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        STATUS = "status", _("status changed")
        ALLOCATED = "allocated", _("stock allocated")
        BACKORDERED = "backordered", _("backordered")
        BACKORDER_FILLED = "backorder_filled", _("backorder filled")
        SHIPMENT = "shipment", _("shipment")  # goods left; the status may stay the same
        RELEASED = "released", _("reservations released")
        NOTE = "note", _("note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(
        _("from"), max_length=20, choices=Order.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Order.Status.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.from_status}->{self.to_status}"


class Payment(TimeStampedModel):
    """Money received for an order."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    method = models.CharField(_("method"), max_length=30)  # alipay, wechat_pay, bank, cash ...
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        ordering = ["-paid_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.currency} {self.amount}"


class Refund(TimeStampedModel):
    """Money given back for an order."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    reason = models.CharField(_("reason"), max_length=255)
    # What the refund settles, e.g. a return number (RMA-...).
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    refunded_at = models.DateTimeField(_("refunded at"))

    class Meta:
        ordering = ["-refunded_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.order_id} -{self.currency} {self.amount}"


class InboundMessage(TimeStampedModel):
    """One message a channel pushed to us (an order created, paid, cancelled),
    stored as received and applied once. A channel's message id is unique, so
    a message sent again is recognised and not applied twice."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("inbound", "received")  # stored, not yet applied
        APPLIED = "applied", pgettext_lazy("inbound", "applied")  # done; see the order
        HELD = "held", pgettext_lazy("inbound", "held")  # waits for its order to arrive
        FAILED = "failed", pgettext_lazy("inbound", "failed")  # refused; see the error
        IGNORED = "ignored", pgettext_lazy("inbound", "ignored")  # a topic we do not act on
        EXPIRED = "expired", pgettext_lazy("inbound", "expired")  # held too long; given up

    class Kind(models.TextChoices):
        ORDER_CREATED = "order_created", _("order created")
        ORDER_PAID = "order_paid", _("order paid")
        ORDER_CANCELLED = "order_cancelled", _("order cancelled")
        OTHER = "other", _("other")

    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        related_name="inbound_messages",
    )
    message_id = models.CharField(_("message id"), max_length=100)
    topic = models.CharField(_("topic"), max_length=60, blank=True)  # the channel's own name
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    external_ref = models.CharField(_("channel order number"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    error_field = models.CharField(_("field"), max_length=100, blank=True)
    held_reason = models.CharField(_("held because"), max_length=255, blank=True)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "message_id"], name="inboundmessage_channel_message_unique"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "external_ref"], name="inbound_channel_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.message_id} ({self.status})"
