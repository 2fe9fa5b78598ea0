"""The after-sales parts of the customer 360 page and API (crm/hooks.py):
tickets, returns, repairs and feedback, each with its latest rows and
totals in a fixed number of queries.

Each section shows only what the user may see by after-sales' own rules
(aftersales.selectors: tickets_visible_to, returns_visible_to,
repairs_visible_to, feedback_visible_to): an account manager sees the
tickets of the customers they manage, an agent their own, their teams' and
the loose ones. When the rule narrows the rows the section says so
(`limited`)."""

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from aftersales.models import Feedback, RepairOrder, ReturnRequest, Ticket
from aftersales.selectors import (
    feedback_visible_to,
    repairs_visible_to,
    return_scope,
    ticket_scope,
)
from crm.hooks import Section, register_section

# --- Tickets -------------------------------------------------------------------


def load_tickets(customer, user) -> dict:
    scope = ticket_scope(user)
    tickets = Ticket.objects.filter(customer=customer)
    if scope is not None:
        tickets = tickets.filter(scope)
    totals = tickets.order_by().aggregate(
        count=Count("pk"),
        open=Count("pk", filter=Q(status__in=Ticket.OPEN_STATUSES)),
        complaints=Count("pk", filter=Q(kind=Ticket.Kind.COMPLAINT)),
    )
    rows = list(
        tickets.select_related("assignee", "team", "order").order_by("-created_at", "-id")[
            : TICKETS.limit
        ]
    )
    return {
        "rows": rows,
        "totals": totals,
        "limited": scope is not None,
        "facts": {
            "tickets": totals["count"],
            "open_tickets": totals["open"],
            "complaints": totals["complaints"],
        },
    }


def tickets_json(data: dict) -> dict:
    return {
        "limited": data["limited"],
        "totals": data["totals"],
        "rows": [
            {
                "number": t.number,
                "subject": t.subject,
                "kind": t.kind,
                "channel": t.channel,
                "priority": t.priority,
                "status": t.status,
                "order": t.order.number if t.order else None,
                "assignee": t.assignee.get_username() if t.assignee else None,
                "team": t.team.code if t.team else None,
                "created_at": t.created_at,
                "resolved_at": t.resolved_at,
            }
            for t in data["rows"]
        ],
    }


TICKETS = Section(
    key="tickets",
    title=_("Tickets"),
    template="crm/sections/tickets.html",
    load=load_tickets,
    as_json=tickets_json,
    permission="aftersales.view_ticket",
    order=50,
)


# --- Returns -------------------------------------------------------------------

RETURN_CLOSED = (
    ReturnRequest.Status.REJECTED,
    ReturnRequest.Status.REFUNDED,
    ReturnRequest.Status.EXCHANGED,
    ReturnRequest.Status.CANCELLED,
)
RETURN_NOT_GOODS = (ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED)


def load_returns(customer, user) -> dict:
    scope = return_scope(user)
    returns = ReturnRequest.objects.filter(customer=customer)
    if scope is not None:
        returns = returns.filter(scope)
    totals = returns.order_by().aggregate(
        count=Count("pk"),
        open=Count("pk", filter=~Q(status__in=RETURN_CLOSED)),
        exchanges=Count("pk", filter=Q(kind=ReturnRequest.Kind.EXCHANGE)),
        refunded=Sum("refund_amount", filter=Q(status=ReturnRequest.Status.REFUNDED)),
        # Rejected and withdrawn requests sent no goods back: not returns (return rate).
        returned=Count("pk", filter=~Q(status__in=RETURN_NOT_GOODS)),
    )
    rows = list(returns.select_related("order").order_by("-requested_at", "-id")[: RETURNS.limit])
    return {
        "rows": rows,
        "totals": totals,
        "limited": scope is not None,
        "facts": {"returns": totals["returned"], "return_requests": totals["count"]},
    }


def returns_json(data: dict) -> dict:
    return {
        "limited": data["limited"],
        "totals": data["totals"],
        "rows": [
            {
                "number": r.number,
                "kind": r.kind,
                "status": r.status,
                "order": r.order.number,
                "reason": r.reason,
                "refund_amount": r.refund_amount,
                "requested_at": r.requested_at,
                "completed_at": r.completed_at,
            }
            for r in data["rows"]
        ],
    }


RETURNS = Section(
    key="returns",
    title=_("Returns and exchanges"),
    template="crm/sections/returns.html",
    load=load_returns,
    as_json=returns_json,
    permission="aftersales.view_returnrequest",
    order=51,
)


# --- Repairs -------------------------------------------------------------------

REPAIR_CLOSED = (
    RepairOrder.Status.DONE,
    RepairOrder.Status.RETURNED,
    RepairOrder.Status.CANCELLED,
)


def load_repairs(customer, user) -> dict:
    repairs = repairs_visible_to(user, RepairOrder.objects.filter(customer=customer))
    totals = repairs.order_by().aggregate(
        count=Count("pk"),
        open=Count("pk", filter=~Q(status__in=REPAIR_CLOSED)),
        in_warranty=Count("pk", filter=Q(in_warranty=True)),
        charged=Sum("charged_amount"),
    )
    rows = list(
        repairs.select_related("product", "technician").order_by("-reported_at", "-id")[
            : REPAIRS.limit
        ]
    )
    return {
        "rows": rows,
        "totals": totals,
        "limited": not (user.has_perm("aftersales.change_repairorder") or user.is_superuser),
        "facts": {"repairs": totals["count"], "open_repairs": totals["open"]},
    }


def repairs_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "rows": [
            {
                "number": r.number,
                "status": r.status,
                "product": r.product.sku,
                "serial_number": r.serial_number,
                "in_warranty": r.in_warranty,
                "technician": r.technician.get_username() if r.technician else None,
                "charged_amount": r.charged_amount,
                "reported_at": r.reported_at,
                "returned_at": r.returned_at,
            }
            for r in data["rows"]
        ],
    }


REPAIRS = Section(
    key="repairs",
    title=_("Repairs"),
    template="crm/sections/repairs.html",
    load=load_repairs,
    as_json=repairs_json,
    permission="aftersales.view_repairorder",
    order=52,
)


# --- Feedback ------------------------------------------------------------------


def load_feedback(customer, user) -> dict:
    feedback = feedback_visible_to(user, Feedback.objects.filter(customer=customer))
    totals = feedback.order_by().aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(submitted_at__isnull=False)),
        csat_average=Avg("csat"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    if totals["csat_average"] is not None:
        totals["csat_average"] = round(float(totals["csat_average"]), 2)
    rows = list(feedback.select_related("ticket").order_by("-sent_at", "-id")[: FEEDBACK.limit])
    facts = {"surveys_answered": totals["answered"]}
    if totals["csat_average"] is not None:
        facts["csat_average"] = totals["csat_average"]
    return {"rows": rows, "totals": totals, "facts": facts}


def feedback_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "rows": [
            {
                "ticket": f.ticket.number,
                "sent_at": f.sent_at,
                "csat": f.csat,
                "nps": f.nps,
                "comment": f.comment,
                "submitted_at": f.submitted_at,
            }
            for f in data["rows"]
        ],
    }


FEEDBACK = Section(
    key="feedback",
    title=_("Feedback"),
    template="crm/sections/feedback.html",
    load=load_feedback,
    as_json=feedback_json,
    permission="aftersales.view_feedback",
    order=53,
)


for _section in (TICKETS, RETURNS, REPAIRS, FEEDBACK):
    register_section(_section)
