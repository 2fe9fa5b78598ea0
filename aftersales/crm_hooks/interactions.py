"""A customer's message on a ticket (by e-mail, the portal or chat) is also
an inbound interaction with the customer, written by the system once per
message ("ticket-message:<pk>"). Writing it must never break the ticket: it
runs in its own savepoint and a failure is only logged."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from aftersales.models import Ticket, TicketMessage
from crm.models import Interaction

log = logging.getLogger(__name__)

# Ticket channel -> interaction kind. Phone tickets are typed in by staff
# during a call they log themselves; system and API ones are not the customer's words.
CHANNEL_KINDS = {
    Ticket.Channel.EMAIL: Interaction.Kind.EMAIL,
    Ticket.Channel.PORTAL: Interaction.Kind.PORTAL,
    Ticket.Channel.CHAT: Interaction.Kind.CHAT,
}


def ticket_message_interaction(message: TicketMessage):
    """Write the interaction of one customer message; returns (interaction, created)
    or None when the message is not one."""
    from crm.services.interactions import interaction_record_system

    kind = CHANNEL_KINDS.get(message.channel)
    if message.kind != TicketMessage.Kind.CUSTOMER or kind is None:
        return None
    ticket = message.ticket
    return interaction_record_system(
        customer_id=ticket.customer_id,
        source_key=f"ticket-message:{message.pk}",
        kind=kind,
        direction=Interaction.Direction.INBOUND,
        subject=f"[{ticket.number}] {ticket.subject}",
        body=message.body,
        occurred_at=message.created_at,
        reference=ticket.number,
    )


@receiver(post_save, sender=TicketMessage, dispatch_uid="aftersales.crm_interaction")
def record_customer_message(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    try:
        with transaction.atomic():
            ticket_message_interaction(instance)
    except Exception:  # the ticket matters more than its copy in crm
        log.exception("interaction for ticket message %s failed", instance.pk)
