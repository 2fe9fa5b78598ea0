"""What a signed-in portal customer sees on "My orders": their own orders,
tickets, returns and repairs, and nothing that is not theirs.

As on the order page (erp.portal.selectors), the page gets plain rows, never
model instances, with the statuses in the words the order page uses; only
the columns the rows need are read (no costs, notes or staff fields)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse

from aftersales.models import RepairOrder, ReturnRequest, Ticket
from crm.models import Customer
from erp.portal.selectors import (
    ORDER_STATUS_LABELS,
    REPAIR_STATUS_LABELS,
    RETURN_STATUS_LABELS,
    SHIPMENT_STATUS_LABELS,
    TICKET_KIND_LABELS,
    TICKET_STATUS_LABELS,
    customer_status,
)
from logistics.models import Shipment
from orders.models import Order


@dataclass(frozen=True)
class OrderRow:
    number: str
    url: str
    placed_at: datetime
    promised_date: date | None
    status: str
    status_label: str
    shipment_label: str  # the latest shipment's status; "" before the first


@dataclass(frozen=True)
class RequestRow:
    """A ticket, return or repair: what it is, how far it got, and where the
    customer reads more (its order's pages)."""

    number: str
    url: str
    kind_label: str
    created_at: datetime
    status: str
    status_label: str
    order_number: str = ""


def _order_url(token: str) -> str:
    return reverse("portal:order", args=[token])


def _ticket_url(token: str, number: str) -> str:
    try:  # the self-service ticket page, where it exists
        return reverse("portal:ticket", args=[token, number])
    except NoReverseMatch:
        return _order_url(token)


# --- Queries ------------------------------------------------------------------------


def account_orders(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, each with the status of its
    latest shipment (cancelled shipments never left and are not counted)."""
    latest_shipment = (
        Shipment.objects.filter(order=OuterRef("pk"))
        .exclude(status=Shipment.Status.CANCELLED)
        .order_by("-created_at", "-id")
    )
    return (
        Order.objects.filter(customer=customer)
        .annotate(latest_shipment_status=Subquery(latest_shipment.values("status")[:1]))
        .only("id", "number", "placed_at", "promised_date", "status", "held_from", "tracking_token")
        .order_by("-placed_at", "-id")
    )


def account_tickets(*, customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets, newest first. Tickets the suite opened for
    itself (a logistics exception) are staff work, not the customer's (as on
    the order page)."""
    return (
        Ticket.objects.filter(customer=customer)
        .exclude(channel=Ticket.Channel.SYSTEM)
        .select_related("order")
        .only(
            "id",
            "number",
            "kind",
            "status",
            "created_at",
            "order__number",
            "order__tracking_token",
        )
        .order_by("-created_at", "-id")
    )


def account_returns(*, customer: Customer) -> QuerySet[ReturnRequest]:
    return (
        ReturnRequest.objects.filter(customer=customer)
        .select_related("order")
        .only(
            "id",
            "number",
            "kind",
            "status",
            "requested_at",
            "order__number",
            "order__tracking_token",
        )
        .order_by("-requested_at", "-id")
    )


def account_repairs(*, customer: Customer) -> QuerySet[RepairOrder]:
    return (
        RepairOrder.objects.filter(customer=customer)
        .select_related("product", "order_line__order")
        .only(
            "id",
            "number",
            "status",
            "created_at",
            "product__name",
            "order_line__order__number",
            "order_line__order__tracking_token",
        )
        .order_by("-created_at", "-id")
    )


# --- Rows ---------------------------------------------------------------------------


def order_row(order: Order) -> OrderRow:
    status = customer_status(order)
    shipment = order.latest_shipment_status
    return OrderRow(
        number=order.number,
        url=_order_url(order.tracking_token),
        placed_at=order.placed_at,
        promised_date=order.promised_date,
        status=status,
        status_label=str(ORDER_STATUS_LABELS.get(status, status)),
        shipment_label=str(SHIPMENT_STATUS_LABELS.get(shipment, "")) if shipment else "",
    )


def ticket_row(ticket: Ticket) -> RequestRow:
    order = ticket.order
    return RequestRow(
        number=ticket.number,
        url=_ticket_url(order.tracking_token, ticket.number) if order else "",
        kind_label=str(TICKET_KIND_LABELS.get(ticket.kind, ticket.get_kind_display())),
        created_at=ticket.created_at,
        status=ticket.status,
        status_label=str(TICKET_STATUS_LABELS.get(ticket.status, ticket.get_status_display())),
        order_number=order.number if order else "",
    )


def return_row(rma: ReturnRequest) -> RequestRow:
    return RequestRow(
        number=rma.number,
        url=_order_url(rma.order.tracking_token),
        kind_label=str(TICKET_KIND_LABELS.get(rma.kind, rma.get_kind_display())),
        created_at=rma.requested_at,
        status=rma.status,
        status_label=str(RETURN_STATUS_LABELS.get(rma.status, rma.get_status_display())),
        order_number=rma.order.number,
    )


def repair_row(repair: RepairOrder) -> RequestRow:
    order = repair.order_line.order if repair.order_line_id else None
    return RequestRow(
        number=repair.number,
        url=_order_url(order.tracking_token) if order else "",
        kind_label=repair.product.name,
        created_at=repair.created_at,
        status=repair.status,
        status_label=str(REPAIR_STATUS_LABELS.get(repair.status, repair.get_status_display())),
        order_number=order.number if order else "",
    )
