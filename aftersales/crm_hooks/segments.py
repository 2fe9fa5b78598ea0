"""After-sales figures for the 7P analysis of a customer segment
(crm.hooks.register_segment_facts): returns (requests not rejected or
withdrawn), the customers who returned something, tickets and complaints.
Two queries whatever the segment's size; counts only, no conversations."""

from django.db.models import Count, Q

from aftersales.models import ReturnRequest, Ticket, TicketKind
from crm.hooks import register_segment_facts

NOT_RETURNED = (ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED)


def aftersales_segment_facts(customers) -> dict:
    ids = customers.order_by().values("pk")
    returns = (
        ReturnRequest.objects.filter(customer__in=ids)
        .exclude(status__in=NOT_RETURNED)
        .aggregate(
            returns=Count("pk"),
            returning_customers=Count("customer", distinct=True),
        )
    )
    tickets = Ticket.objects.filter(customer__in=ids).aggregate(
        tickets=Count("pk"), complaints=Count("pk", filter=Q(kind=TicketKind.COMPLAINT))
    )
    return {**returns, **tickets}


register_segment_facts(aftersales_segment_facts)
