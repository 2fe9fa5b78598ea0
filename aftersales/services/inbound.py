"""Tickets opened by something other than a person at a desk: an inbound
e-mail (a new ticket, or a reply on the ticket named in its subject) and a
logistics exception (one ticket per exception)."""

import re
from datetime import timedelta
from email.utils import parseaddr

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Priority, Ticket, TicketKind, TicketMessage
from aftersales.services.tickets import (
    TicketInvalid,
    ticket_create,
    ticket_customer_message,
)
from crm.models import Customer

TICKET_NUMBER = re.compile(r"\bTK-\d{8}-\d{5,}\b", re.IGNORECASE)


def _sender(sender: str) -> tuple[str, str]:
    name, address = parseaddr(sender or "")
    address = address.strip().lower()
    if "@" not in address:
        raise TicketInvalid(_("The sender's e-mail address is missing or invalid."), field="from")
    return name.strip(), address


@transaction.atomic
def inbound_email_receive(
    *, sender: str, subject: str, body: str, message_id: str = "", attachments=()
) -> tuple[Ticket, TicketMessage | None, bool]:
    """Turn a posted e-mail into a ticket, or into a message on the ticket
    whose number is in the subject (when it comes from that ticket's
    customer). The same Message-ID is taken once.

    Returns (ticket, message, created): created is False for a repeat."""
    name, address = _sender(sender)
    message_id = (message_id or "").strip()[:255] or None
    if message_id:
        existing = TicketMessage.objects.select_related("ticket").filter(external_id=message_id)
        if existing:
            return existing[0].ticket, existing[0], False
    subject = (subject or "").strip() or _("(no subject)")
    body = (body or "").strip()
    found = TICKET_NUMBER.search(subject)
    if found:
        ticket = (
            Ticket.objects.select_related("customer").filter(number__iexact=found.group(0)).first()
        )
        # Only the ticket's own customer continues it; anybody else opens a new one.
        if ticket is not None and address in {
            (ticket.contact_email or "").lower(),
            (ticket.customer.email or "").lower(),
        }:
            message, created = ticket_customer_message(
                ticket=ticket,
                body=body or subject,
                channel=Ticket.Channel.EMAIL,
                external_id=message_id,
                author_name=name or address,
                attachments=attachments,
            )
            return ticket, message, created
    customer = Customer.objects.filter(email__iexact=address).order_by("pk").first()
    if customer is None:
        from crm.services import customer_create

        customer = customer_create(name=name or address.split("@")[0], email=address)
    ticket = ticket_create(
        customer=customer,
        subject=subject,
        kind=TicketKind.INQUIRY,
        channel=Ticket.Channel.EMAIL,
        description=body or subject,
        contact_email=address,
        attachments=attachments,
        external_id=message_id,
    )
    return ticket, ticket.messages.first(), True


# Exceptions that stop or spoil a delivery are urgent; watched delays are not.
EXCEPTION_PRIORITY = {
    "lost": Priority.URGENT,
    "damaged": Priority.HIGH,
    "temperature": Priority.HIGH,
    "humidity": Priority.HIGH,
    "failed_attempt": Priority.HIGH,
    "late": Priority.NORMAL,
    "no_movement": Priority.NORMAL,
}


def exception_ticket_open(*, exception_id: int) -> tuple[Ticket, bool]:
    """Open the one logistics_exception ticket of a shipment exception,
    linked to the shipment and order. Running it again (a repeated signal, a
    retried task, two workers at once) returns the same ticket."""
    from logistics.models import ShipmentException

    existing = Ticket.objects.filter(shipment_exception_id=exception_id).first()
    if existing is not None:
        return existing, False
    exception = ShipmentException.objects.select_related("shipment__order__customer").get(
        pk=exception_id
    )
    shipment = exception.shipment
    subject = _("%(shipment)s: %(kind)s") % {
        "shipment": shipment.number,
        "kind": exception.get_kind_display(),
    }
    try:
        with transaction.atomic():
            ticket = ticket_create(
                customer=shipment.order.customer,
                subject=subject,
                kind=TicketKind.LOGISTICS_EXCEPTION,
                channel=Ticket.Channel.SYSTEM,
                description=exception.details or subject,
                order=shipment.order,
                shipment=shipment,
                shipment_exception=exception,
                category=exception.kind,
                reason_code=exception.kind,
                priority=EXCEPTION_PRIORITY.get(exception.kind, Priority.NORMAL),
            )
            ticket.responsibility = Ticket.Responsibility.LOGISTICS
            ticket.save(update_fields=["responsibility"])
    except IntegrityError:  # another worker opened it first (one ticket per exception)
        return Ticket.objects.get(shipment_exception_id=exception_id), False
    return ticket, True


def exception_tickets_sweep(*, days: int = 7) -> int:
    """Open the tickets of recent exceptions that have none (a receiver or
    its task failed). Safe to run twice: opening is idempotent."""
    from logistics.models import ShipmentException

    since = timezone.now() - timedelta(days=days)
    missing = ShipmentException.objects.filter(created_at__gte=since, ticket__isnull=True)
    opened = 0
    for exception_id in missing.values_list("pk", flat=True).order_by("pk"):
        _ticket, created = exception_ticket_open(exception_id=exception_id)
        opened += created
    return opened
