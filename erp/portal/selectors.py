"""What the customer's order page shows, and nothing more.

The page gets plain values (dataclasses), never model instances: a template
cannot reach a field that was not chosen here (a line's unit cost, a ticket's
internal notes, the customer record). Every list is read in one query, so the
page costs the same for one shipment as for ten."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import RepairOrder, ReturnRequest, Ticket
from logistics.models import ProofOfDelivery, Shipment, ShipmentEvent, ShipmentLine
from orders.models import Order, OrderEvent, OrderLine, Refund

OS = Order.Status
SS = Shipment.Status

# --- Words a customer understands ------------------------------------------

ORDER_STATUS_LABELS = {
    OS.PENDING: pgettext_lazy("portal order", "Received"),
    OS.CONFIRMED: pgettext_lazy("portal order", "Confirmed"),
    OS.IN_FULFILMENT: pgettext_lazy("portal order", "Being packed"),
    OS.PARTIALLY_SHIPPED: pgettext_lazy("portal order", "Partly on its way"),
    OS.SHIPPED: pgettext_lazy("portal order", "On its way"),
    OS.DELIVERED: pgettext_lazy("portal order", "Delivered"),
    OS.COMPLETED: pgettext_lazy("portal order", "Complete"),
    OS.CANCELLED: pgettext_lazy("portal order", "Cancelled"),
}
ORDER_STATUS_TEXTS = {
    OS.PENDING: _("We have received your order and will confirm it shortly."),
    OS.CONFIRMED: _("Your order is confirmed and the goods are set aside for you."),
    OS.IN_FULFILMENT: _("We are picking and packing your order."),
    OS.PARTIALLY_SHIPPED: _("Part of your order is on its way; the rest follows."),
    OS.SHIPPED: _("Your order is on its way to you."),
    OS.DELIVERED: _("Your order has been delivered."),
    OS.COMPLETED: _("Your order is complete. Thank you for shopping with us."),
    OS.CANCELLED: _("Your order has been cancelled."),
}
# The progress bar: where each status stands on it.
STEPS = [
    pgettext_lazy("portal step", "Received"),
    pgettext_lazy("portal step", "Confirmed"),
    pgettext_lazy("portal step", "Packed"),
    pgettext_lazy("portal step", "On its way"),
    pgettext_lazy("portal step", "Delivered"),
]
STEP_OF = {
    OS.PENDING: 0,
    OS.CONFIRMED: 1,
    OS.IN_FULFILMENT: 2,
    OS.PARTIALLY_SHIPPED: 3,
    OS.SHIPPED: 3,
    OS.DELIVERED: 4,
    OS.COMPLETED: 4,
}
ORDER_EVENT_TITLES = {
    OrderEvent.Kind.CREATED: _("Order received"),
    OrderEvent.Kind.BACKORDERED: _("Some items are waiting for new stock"),
    OrderEvent.Kind.BACKORDER_FILLED: _("Items you were waiting for are set aside for you"),
    OrderEvent.Kind.SHIPMENT: _("Another parcel is on its way"),
    OrderEvent.Kind.NOTE: _("Update"),
}

SHIPMENT_STATUS_LABELS = {
    SS.PLANNED: pgettext_lazy("portal shipment", "Being prepared"),
    SS.PICKING: pgettext_lazy("portal shipment", "Being prepared"),
    SS.PACKED: pgettext_lazy("portal shipment", "Packed"),
    SS.DISPATCHED: pgettext_lazy("portal shipment", "Handed to the carrier"),
    SS.IN_TRANSIT: pgettext_lazy("portal shipment", "On the way"),
    SS.OUT_FOR_DELIVERY: pgettext_lazy("portal shipment", "Out for delivery"),
    SS.DELIVERED: pgettext_lazy("portal shipment", "Delivered"),
    SS.EXCEPTION: pgettext_lazy("portal shipment", "Delayed"),
    SS.RETURNED_TO_SENDER: pgettext_lazy("portal shipment", "Returned to us"),
    SS.CANCELLED: pgettext_lazy("portal shipment", "Cancelled"),
}
SHIPMENT_STATUS_TEXTS = {
    SS.EXCEPTION: _(
        "Something held this parcel up. We are sorry: we are working on it and will "
        "let you know what happens next."
    ),
    SS.RETURNED_TO_SENDER: _("This parcel is coming back to us. We will contact you about it."),
}
# Texts written by the carrier (or a tracking device) are news about the
# parcel; texts our staff typed as a reason are not shown.
CARRIER_SOURCES = (ShipmentEvent.Source.CARRIER, ShipmentEvent.Source.DEVICE)

TICKET_KIND_LABELS = {
    "complaint": pgettext_lazy("portal request", "Complaint"),
    "inquiry": pgettext_lazy("portal request", "Question"),
    "return": pgettext_lazy("portal request", "Return"),
    "exchange": pgettext_lazy("portal request", "Exchange"),
    "repair": pgettext_lazy("portal request", "Repair"),
    "logistics_exception": pgettext_lazy("portal request", "Delivery problem"),
}
TS = Ticket.Status
TICKET_STATUS_LABELS = {
    TS.NEW: pgettext_lazy("portal request", "Received"),
    TS.ASSIGNED: pgettext_lazy("portal request", "Received"),
    TS.IN_PROGRESS: pgettext_lazy("portal request", "Being handled"),
    TS.REOPENED: pgettext_lazy("portal request", "Being handled"),
    TS.WAITING_CUSTOMER: pgettext_lazy("portal request", "Waiting for your reply"),
    TS.RESOLVED: pgettext_lazy("portal request", "Resolved"),
    TS.CLOSED: pgettext_lazy("portal request", "Closed"),
}
RS = ReturnRequest.Status
RETURN_STATUS_LABELS = {
    RS.REQUESTED: pgettext_lazy("portal return", "Waiting for approval"),
    RS.APPROVED: pgettext_lazy("portal return", "Approved: please send the goods back"),
    RS.REJECTED: pgettext_lazy("portal return", "Not accepted"),
    RS.RECEIVED: pgettext_lazy("portal return", "Goods received"),
    RS.INSPECTED: pgettext_lazy("portal return", "Goods checked"),
    RS.REFUNDED: pgettext_lazy("portal return", "Refunded"),
    RS.EXCHANGED: pgettext_lazy("portal return", "Replacement sent"),
    RS.CANCELLED: pgettext_lazy("portal return", "Withdrawn"),
}
RETURN_FINAL = (RS.REJECTED, RS.REFUNDED, RS.EXCHANGED, RS.CANCELLED)
RO = RepairOrder.Status
REPAIR_STATUS_LABELS = {
    RO.REPORTED: pgettext_lazy("portal repair", "Received"),
    RO.DIAGNOSING: pgettext_lazy("portal repair", "Being checked"),
    RO.WAITING_PARTS: pgettext_lazy("portal repair", "Waiting for parts"),
    RO.REPAIRING: pgettext_lazy("portal repair", "Being repaired"),
    RO.DONE: pgettext_lazy("portal repair", "Repaired"),
    RO.RETURNED: pgettext_lazy("portal repair", "Sent back to you"),
    RO.CANCELLED: pgettext_lazy("portal repair", "Cancelled"),
}


# --- What the page shows -----------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, todo


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    detail: str = ""


@dataclass(frozen=True)
class LineView:
    line_no: int
    name: str
    sku: str
    quantity: int
    shipped: int
    returned: int
    unit_price: Decimal
    discount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class TrackingEntry:
    at: datetime
    title: str
    detail: str
    location: str


@dataclass(frozen=True)
class ProofView:
    recipient: str
    delivered_at: datetime
    has_photo: bool
    has_signature: bool


@dataclass(frozen=True)
class ShipmentView:
    number: str
    status: str
    status_label: str
    status_text: str
    carrier: str
    carrier_phone: str
    tracking_number: str
    tracking_url: str
    eta: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    delivered_at: datetime | None
    latest_place: str
    latest_at: datetime | None
    items: list[tuple[str, str, int]]
    events: list[TrackingEntry]
    proof: ProofView | None


@dataclass(frozen=True)
class RequestView:
    """A ticket, return or repair about this order."""

    kind: str  # ticket, return, repair
    number: str
    kind_label: str
    status: str
    status_label: str
    opened_at: datetime
    updated_at: datetime | None
    closed_at: datetime | None
    detail: str = ""
    url: str = ""  # the customer's page of it (tickets), when that page exists


@dataclass(frozen=True)
class RefundView:
    amount: Decimal
    currency: str
    refunded_at: datetime


@dataclass(frozen=True)
class OrderPage:
    number: str
    token: str
    placed_at: datetime
    status: str
    status_label: str
    status_text: str
    cancelled: bool
    steps: list[Step]
    promised_date: date | None
    delivered_at: datetime | None
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    payment_status_label: str
    ship_to_name: str
    ship_to_place: str
    timeline: list[TimelineEntry]
    lines: list[LineView]
    shipments: list[ShipmentView]
    requests: list[RequestView]
    refunds: list[RefundView]
    refunded_total: Decimal
    links: dict = field(default_factory=dict)


def customer_status(order: Order) -> str:
    """The status the customer is told: a hold is ours to sort out (its event
    is staff-only), so a held order shows the status it was held in."""
    if order.status == OS.ON_HOLD:
        return order.held_from or OS.PENDING
    return order.status


def _steps(status: str) -> list[Step]:
    if status not in STEP_OF:
        return []
    here = STEP_OF[status]
    if status in (OS.DELIVERED, OS.COMPLETED):
        here = len(STEPS)  # every step done
    return [
        Step(label=label, state="done" if i < here else "current" if i == here else "todo")
        for i, label in enumerate(STEPS)
    ]


def _timeline(order: Order) -> list[TimelineEntry]:
    events = OrderEvent.objects.filter(order=order, visible_to_customer=True).only(
        "kind", "to_status", "reason", "created_at"
    )
    entries = []
    for event in events.order_by("-created_at", "-id"):
        if event.kind == OrderEvent.Kind.STATUS:
            if event.to_status not in ORDER_STATUS_LABELS:  # on hold: ours to sort out
                continue
            # The reason of a status change is staff's; the customer gets our words.
            title = ORDER_STATUS_LABELS[event.to_status]
            detail = ORDER_STATUS_TEXTS[event.to_status]
        elif event.kind == OrderEvent.Kind.NOTE:
            # Notes are written for the customer when they are made visible
            # (payment received, refund, return requested).
            title, detail = ORDER_EVENT_TITLES[event.kind], event.reason
        elif event.kind in ORDER_EVENT_TITLES:
            title, detail = ORDER_EVENT_TITLES[event.kind], ""
        else:
            continue
        entries.append(TimelineEntry(at=event.created_at, title=title, detail=detail))
    return entries


def _lines(order: Order) -> list[LineView]:
    rows = (
        OrderLine.objects.filter(order=order)
        .order_by("line_no")
        .values_list(
            "line_no",
            "name",
            "sku",
            "quantity",
            "quantity_shipped",
            "quantity_returned",
            "unit_price",
            "discount",
            "line_total",
        )
    )
    return [LineView(*row) for row in rows]


def _safe_url(url: str) -> str:
    """A carrier's tracking link, only if it is a web address."""
    return url if url.startswith(("https://", "http://")) else ""


def _tracking_entry(event: ShipmentEvent) -> TrackingEntry:
    from_carrier = event.source in CARRIER_SOURCES
    kind = event.kind
    if kind == ShipmentEvent.Kind.EXCEPTION:
        title = pgettext_lazy("portal shipment", "Delivery problem")
        detail = SHIPMENT_STATUS_TEXTS[SS.EXCEPTION]
    elif kind == ShipmentEvent.Kind.NOTE:
        title, detail = _("Update"), event.description
    elif event.to_status in SHIPMENT_STATUS_LABELS:
        title = SHIPMENT_STATUS_LABELS[event.to_status]
        detail = event.description if from_carrier else ""
    else:
        title = _("Tracking update")
        detail = event.description if from_carrier else ""
    return TrackingEntry(at=event.occurred_at, title=title, detail=detail, location=event.location)


def _without_repeats(entries: list[TrackingEntry]) -> list[TrackingEntry]:
    """Newest first; an entry that only repeats the title of the one before it
    in time (our "being prepared" for both planned and picking) is dropped,
    so the customer reads when it first happened."""
    kept = []
    for i, entry in enumerate(entries):
        older = entries[i + 1] if i + 1 < len(entries) else None
        bare = not entry.detail and not entry.location
        if bare and older is not None and str(older.title) == str(entry.title):
            continue
        kept.append(entry)
    return kept


def _shipments(order: Order) -> list[ShipmentView]:
    shipments = (
        Shipment.objects.filter(order=order)
        .exclude(status=SS.CANCELLED)
        .select_related("carrier")
        .only(
            "number",
            "status",
            "tracking_number",
            "eta",
            "window_start",
            "planned_delivery_at",
            "delivered_at",
            "created_at",
            "carrier__name",
            "carrier__phone",
            "carrier__tracking_url_template",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ShipmentEvent.objects.filter(visible_to_customer=True)
                .only(
                    "shipment_id",
                    "kind",
                    "source",
                    "to_status",
                    "occurred_at",
                    "location",
                    "description",
                )
                .order_by("-occurred_at", "-id"),
                to_attr="customer_events",
            ),
            Prefetch(
                "lines",
                queryset=ShipmentLine.objects.select_related("order_line")
                .only("shipment_id", "quantity", "order_line__name", "order_line__sku")
                .order_by("order_line__line_no"),
                to_attr="customer_lines",
            ),
            Prefetch(
                "proof_of_delivery",
                queryset=ProofOfDelivery.objects.only(
                    "shipment_id", "recipient_name", "delivered_at", "photo", "signature"
                ),
            ),
        )
        .order_by("created_at", "id")
    )
    views = []
    now = timezone.now()

    def ahead(moment):
        """An estimate still to come; a passed one is no estimate any more."""
        return moment if moment is not None and moment > now else None

    for shipment in shipments:
        events = _without_repeats([_tracking_entry(e) for e in shipment.customer_events])
        placed = next((e for e in shipment.customer_events if e.location), None)
        try:
            pod = shipment.proof_of_delivery
        except ProofOfDelivery.DoesNotExist:
            pod = None
        carrier = shipment.carrier
        delivered = shipment.status == SS.DELIVERED
        views.append(
            ShipmentView(
                number=shipment.number,
                status=shipment.status,
                status_label=SHIPMENT_STATUS_LABELS[shipment.status],
                status_text=SHIPMENT_STATUS_TEXTS.get(shipment.status, ""),
                carrier=carrier.name if carrier else "",
                carrier_phone=carrier.phone if carrier else "",
                tracking_number=shipment.tracking_number,
                tracking_url=_safe_url(shipment.tracking_url) if carrier else "",
                eta=ahead(shipment.eta) if not delivered else None,
                window_start=shipment.window_start if not delivered else None,
                window_end=ahead(shipment.planned_delivery_at) if not delivered else None,
                delivered_at=shipment.delivered_at,
                latest_place=placed.location if placed else "",
                latest_at=placed.occurred_at if placed else None,
                items=[
                    (line.order_line.name, line.order_line.sku, line.quantity)
                    for line in shipment.customer_lines
                ],
                events=events,
                proof=ProofView(
                    recipient=pod.recipient_name,
                    delivered_at=pod.delivered_at,
                    has_photo=bool(pod.photo),
                    has_signature=bool(pod.signature),
                )
                if pod is not None
                else None,
            )
        )
    return views


def _requests(order: Order) -> list[RequestView]:
    """Tickets, returns and repairs of this order and this customer. A return
    or repair is shown once, with the page of the ticket it was opened with;
    tickets the system opened for us (a logistics alarm) are staff's work list."""
    customer_id, token = order.customer_id, order.tracking_token
    tickets = (
        Ticket.objects.filter(order=order, customer_id=customer_id)
        .exclude(channel=Ticket.Channel.SYSTEM)
        .only(
            "number",
            "kind",
            "channel",
            "status",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
        )
    )
    returns = (
        ReturnRequest.objects.filter(order=order, customer_id=customer_id)
        .select_related("ticket")
        .only(
            "number",
            "kind",
            "status",
            "requested_at",
            "updated_at",
            "completed_at",
            "decided_at",
            "ticket__number",
            "ticket__channel",
        )
    )
    repairs = (
        RepairOrder.objects.filter(order_line__order=order, customer_id=customer_id)
        .select_related("order_line", "ticket")
        .only(
            "number",
            "status",
            "reported_at",
            "updated_at",
            "done_at",
            "returned_at",
            "order_line__name",
            "ticket__number",
            "ticket__channel",
        )
    )

    def ticket_url(ticket) -> str:
        if ticket is None or ticket.channel == Ticket.Channel.SYSTEM:
            return ""
        return _link("portal:ticket", token, ticket.number)

    views = [
        RequestView(
            kind="return",
            number=r.number,
            kind_label=TICKET_KIND_LABELS["exchange" if r.kind == "exchange" else "return"],
            status=r.status,
            status_label=RETURN_STATUS_LABELS.get(r.status, ""),
            opened_at=r.requested_at,
            updated_at=r.updated_at,
            closed_at=(r.completed_at or r.decided_at) if r.status in RETURN_FINAL else None,
            url=ticket_url(r.ticket),
        )
        for r in returns
    ]
    views += [
        RequestView(
            kind="repair",
            number=r.number,
            kind_label=TICKET_KIND_LABELS["repair"],
            status=r.status,
            status_label=REPAIR_STATUS_LABELS.get(r.status, ""),
            opened_at=r.reported_at,
            updated_at=r.updated_at,
            closed_at=r.returned_at or r.done_at,
            detail=r.order_line.name if r.order_line_id else "",
            url=ticket_url(r.ticket),
        )
        for r in repairs
    ]
    shown = {r.ticket.number for r in [*returns, *repairs] if r.ticket_id}
    views += [
        RequestView(
            kind="ticket",
            number=t.number,
            kind_label=TICKET_KIND_LABELS.get(t.kind, t.kind),
            status=t.status,
            status_label=TICKET_STATUS_LABELS.get(t.status, ""),
            opened_at=t.created_at,
            updated_at=t.updated_at,
            closed_at=t.closed_at or t.resolved_at,
            url=ticket_url(t),
        )
        for t in tickets
        if t.number not in shown
    ]
    views.sort(key=lambda v: v.opened_at, reverse=True)
    return views


def _refunds(order: Order) -> list[RefundView]:
    return [
        RefundView(amount=amount, currency=currency, refunded_at=at)
        for amount, currency, at in Refund.objects.filter(order=order)
        .order_by("refunded_at", "id")
        .values_list("amount", "currency", "refunded_at")
    ]


def _link(name: str, *args) -> str:
    """A self-service page's URL if that page exists (they are built apart)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def portal_links(order: Order) -> dict:
    token = order.tracking_token
    return {name: _link(f"portal:{name}", token) for name in ("return", "repair", "complaint")}


def order_page(order: Order) -> OrderPage:
    """Everything the order page shows for `order` (its customer loaded)."""
    status = customer_status(order)
    address = order.shipping_address if isinstance(order.shipping_address, dict) else {}
    parts = []
    for key in ("province", "city", "district"):
        part = str(address.get(key, "") or "").strip()
        if part and part not in parts:
            parts.append(part)
    place = " ".join(parts)
    refunds = _refunds(order)
    requests = _requests(order)
    links = portal_links(order)
    return OrderPage(
        number=order.number,
        token=order.tracking_token,
        placed_at=order.placed_at,
        status=status,
        status_label=ORDER_STATUS_LABELS.get(status, ""),
        status_text=ORDER_STATUS_TEXTS.get(status, ""),
        cancelled=status == OS.CANCELLED,
        steps=_steps(status),
        promised_date=order.promised_date,
        delivered_at=order.delivered_at,
        currency=order.currency,
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        total=order.total,
        payment_status_label=Order.PaymentStatus(order.payment_status).label,
        ship_to_name=str(address.get("recipient", "")),
        ship_to_place=place,
        timeline=_timeline(order),
        lines=_lines(order),
        shipments=_shipments(order),
        requests=requests,
        refunds=refunds,
        refunded_total=sum((r.amount for r in refunds), Decimal("0")),
        links=links,
    )


def proof_file(order: Order, shipment_number: str, which: str):
    """The photo or signature of the proof of delivery of one of `order`'s
    shipments, or None."""
    if which not in ("photo", "signature"):
        return None
    proof = (
        ProofOfDelivery.objects.filter(shipment__order=order, shipment__number=shipment_number)
        .only(which)
        .first()
    )
    if proof is None:
        return None
    image = getattr(proof, which)
    return image if image else None
