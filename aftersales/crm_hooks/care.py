"""Care rule on tickets: follow up a resolved complaint."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.models import Ticket, TicketKind
from crm.hooks import CareCause, CareRuleSpec, register_care_rule


def complaint_follow_up_causes(rule, since, until):
    """Complaints resolved in the window and still resolved or closed (a
    reopened one is followed up when it is resolved for good). One follow-up
    per complaint."""
    tickets = (
        Ticket.objects.filter(
            kind=TicketKind.COMPLAINT,
            status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
            resolved_at__gte=since,
            resolved_at__lt=until,
            customer__merged_into__isnull=True,
        )
        .only("pk", "number", "customer_id", "subject", "resolved_at")
        .order_by("resolved_at", "pk")
    )
    for ticket in tickets:
        yield CareCause(
            customer_id=ticket.customer_id,
            key=f"ticket:{ticket.pk}:resolved",
            occurred_at=ticket.resolved_at,
            reference=ticket.number,
            detail=_("Complaint %(number)s “%(subject)s” was resolved: ask if all is well.")
            % {"number": ticket.number, "subject": ticket.subject},
        )


register_care_rule(
    CareRuleSpec(
        code="complaint_follow_up",
        name=gettext_lazy("Follow up a resolved complaint"),
        description=gettext_lazy(
            "A complaint ticket was resolved: a few days later, ask the customer whether "
            "everything is all right now."
        ),
        find=complaint_follow_up_causes,
        default_delay_days=3,
        order=10,
    )
)
