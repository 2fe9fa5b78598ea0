"""Signals after-sales sends, always after the transaction that caused them
has committed (a rolled-back change sends nothing). After-sales composes no
message to customers itself: erp.portal.notifications receives these and
writes the customer in their language, with the portal link, through the
notification backends (one message per cause, however often a signal fires).

ticket_customer_update(sender=Ticket, ticket_id, update, message_id=None, event_id=None)
    Something about a ticket the customer is told of:
    "created"  - a ticket opened from a customer's channel (not by the system);
    "reply"    - a reply the customer sees (message_id: the TicketMessage);
    "resolved" - the resolution, with the survey (event_id: the TicketEvent of
                 the move to resolved; a ticket resolved again after reopening
                 sends a new one).
"""

from django.dispatch import Signal

ticket_customer_update = Signal()
