"""What the order page of the portal offers a customer to do (the
self-service actions partial, templates/portal/selfservice/_actions.html)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django import template
from django.utils import timezone

from aftersales.models import Ticket
from aftersales.services.feedback import SURVEY_VALID_DAYS
from aftersales.services.returns import returnable_lines

register = template.Library()


@dataclass(frozen=True)
class SelfService:
    can_return: bool  # some units may be sent back now
    delivered: bool  # something arrived: a repair may be asked for
    waiting: list = field(default_factory=list)  # tickets waiting for the customer's answer
    to_rate: list = field(default_factory=list)  # resolved tickets whose survey is unanswered


@register.simple_tag
def portal_selfservice(order) -> SelfService:
    options = returnable_lines(order)
    tickets = Ticket.objects.filter(order=order, customer_id=order.customer_id).exclude(
        channel=Ticket.Channel.SYSTEM
    )
    waiting = tickets.filter(status=Ticket.Status.WAITING_CUSTOMER).only("number", "subject")
    to_rate = tickets.filter(
        status__in=(Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
        feedback__submitted_at__isnull=True,
        feedback__sent_at__gte=timezone.now() - timedelta(days=SURVEY_VALID_DAYS),
    ).only("number", "subject")
    return SelfService(
        can_return=any(option.returnable for option in options),
        delivered=any(option.delivered for option in options),
        waiting=list(waiting.order_by("-updated_at")[:5]),
        to_rate=list(to_rate.order_by("-resolved_at")[:5]),
    )
