"""Reads of after-sales shared by pages, the API, tasks and reports."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from aftersales.models import (
    Feedback,
    RepairEvent,
    RepairOrder,
    RepairPart,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    ServiceTeam,
    Ticket,
)
from erp.core.roles import user_is_admin


def team_list() -> QuerySet[ServiceTeam]:
    return ServiceTeam.objects.annotate(member_count=Count("members")).order_by("code")


# --- Tickets -----------------------------------------------------------------


def ticket_list() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "customer", "assignee", "team", "order", "shipment", "sla_policy"
    ).order_by("-created_at", "-id")


# Tickets no team took and nobody holds: every agent may pick them up.
LOOSE = Q(team__isnull=True, assignee__isnull=True)


def ticket_scope(user) -> Q | None:
    """Which tickets a signed-in staff user may see: None for all, else a Q.

    Admins see every ticket. After-sales agents (who may change tickets)
    see their own, their teams' and the loose ones (no team, nobody). Account managers
    (who may only look) see the tickets of the customers they manage. Any
    other role holds no view permission and is refused before this."""
    if user_is_admin(user):
        return None
    if user.has_perm("aftersales.change_ticket"):
        return Q(assignee=user) | Q(Exists(in_my_teams(user))) | LOOSE
    if user.has_perm("aftersales.view_ticket"):
        return Q(customer__account_manager=user)
    return Q(pk__in=[])


def tickets_visible_to(user, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    queryset = ticket_list() if queryset is None else queryset
    scope = ticket_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def ticket_detail() -> QuerySet[Ticket]:
    return ticket_list().select_related("order_line", "shipment_exception", "created_by")


def ticket_queue_counts(user) -> dict[str, int]:
    """Open tickets: mine, my teams' (including the unassigned ones), unassigned."""
    visible = tickets_visible_to(
        user, Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    ).annotate(in_my_team=Exists(in_my_teams(user)))
    return visible.aggregate(
        mine=Count("pk", filter=Q(assignee=user)),
        team=Count("pk", filter=Q(in_my_team=True) | LOOSE),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )


def in_my_teams(user):
    return ServiceTeam.members.through.objects.filter(
        serviceteam_id=OuterRef("team_id"), user_id=user.pk
    )


# --- Repairs -----------------------------------------------------------------


def repair_list() -> QuerySet[RepairOrder]:
    return RepairOrder.objects.select_related(
        "customer", "product", "technician", "ticket", "order_line__order"
    ).order_by("-reported_at", "-id")


def repair_detail() -> QuerySet[RepairOrder]:
    return (
        repair_list()
        .select_related("parts_warehouse", "return_line__request", "created_by")
        .prefetch_related(
            Prefetch(
                "parts",
                queryset=RepairPart.objects.select_related("product", "warehouse", "stock_move"),
            ),
            Prefetch("events", queryset=RepairEvent.objects.select_related("actor")),
        )
    )


def repair_status_counts(queryset: QuerySet[RepairOrder] | None = None) -> dict[str, int]:
    """{status: number of repairs} for the board's columns."""
    queryset = RepairOrder.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in RepairOrder.Status.values}


# --- Feedback ----------------------------------------------------------------


def feedback_list() -> QuerySet[Feedback]:
    return Feedback.objects.select_related("ticket", "customer", "assignee").order_by(
        "-sent_at", "-id"
    )


def _feedback_figures(row: dict) -> dict:
    """CSAT average (1-5) of the answers, and NPS: the share of promoters
    (9-10) minus the share of detractors (0-6) among those who gave one."""
    nps_answers = row["nps_answers"]
    csat = row["csat_average"]
    return {
        "sent": row["sent"],
        "answered": row["answered"],
        "csat_average": None if csat is None else Decimal(str(csat)).quantize(Decimal("0.01")),
        "nps_answers": nps_answers,
        "promoters": row["promoters"],
        "detractors": row["detractors"],
        "nps": (
            None
            if not nps_answers
            else (Decimal(100 * (row["promoters"] - row["detractors"])) / nps_answers).quantize(
                Decimal("0.1")
            )
        ),
    }


FEEDBACK_FIGURES = {
    "sent": Count("pk"),
    "answered": Count("pk", filter=Q(submitted_at__isnull=False)),
    "csat_average": Avg("csat"),
    "nps_answers": Count("pk", filter=Q(nps__isnull=False)),
    "promoters": Count("pk", filter=Q(nps__gte=9)),
    "detractors": Count("pk", filter=Q(nps__lte=6)),
}


def feedback_scores(queryset: QuerySet[Feedback] | None = None) -> dict:
    """{"overall": figures, "by_assignee": [figures with "assignee", ...]} over
    the surveys of `queryset` (all by default); the assignee None is
    surveys of tickets nobody was assigned."""
    queryset = (Feedback.objects.all() if queryset is None else queryset).order_by()
    overall = _feedback_figures(queryset.aggregate(**FEEDBACK_FIGURES))
    rows = list(queryset.values("assignee").annotate(**FEEDBACK_FIGURES))
    users = get_user_model().objects.in_bulk([r["assignee"] for r in rows if r["assignee"]])
    by_assignee = [
        {"assignee": users.get(row["assignee"]), **_feedback_figures(row)} for row in rows
    ]
    by_assignee.sort(
        key=lambda r: (r["assignee"] is None, r["assignee"].get_username() if r["assignee"] else "")
    )
    return {"overall": overall, "by_assignee": by_assignee}


# --- Returns (RMA) -------------------------------------------------------------


def return_list() -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.select_related(
        "order", "customer", "ticket", "warehouse", "replacement_order"
    ).annotate(units=_return_units("quantity"), units_received=_return_units("quantity_received"))


def _return_units(field: str):
    """Units of all lines of the return (a subquery: the list stays one row per return)."""
    return Subquery(
        ReturnLine.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(total=Sum(field))
        .values("total")
    )


def return_detail() -> QuerySet[ReturnRequest]:
    return (
        ReturnRequest.objects.select_related(
            "order__channel",
            "customer",
            "ticket",
            "warehouse",
            "return_carrier",
            "replacement_order",
            "decided_by",
            "created_by",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related(
                    "order_line__product", "replacement_product"
                ).prefetch_related("repairs"),
            ),
            "photos",
            Prefetch("events", queryset=ReturnEvent.objects.select_related("actor")),
        )
        .order_by()
    )


def return_status_counts(queryset: QuerySet[ReturnRequest] | None = None) -> dict[str, int]:
    """{status: number of returns} for the board's columns."""
    queryset = ReturnRequest.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in ReturnRequest.Status.values}


# --- SLA policies and service calendars (aftersales.services.sla_admin) ---------


def sla_policy_list():
    """SLA policies with their calendars, most urgent priority first."""
    from django.db.models import Case, IntegerField, Value, When

    from aftersales.models import Priority, SlaPolicy

    rank = Case(
        *[When(priority=value, then=Value(i)) for i, value in enumerate(reversed(Priority.values))],
        output_field=IntegerField(),
    )
    return (
        SlaPolicy.objects.select_related("calendar")
        .annotate(priority_rank=rank)
        .order_by("priority_rank", "customer_tier", "pk")
    )


def calendar_list():
    """Service calendars with their holidays and make-up days (prefetched, in
    date order) and how many of each."""
    from aftersales.models import BusinessCalendar, CalendarDay

    return (
        BusinessCalendar.objects.annotate(
            holiday_count=Count("days", filter=Q(days__working=False), distinct=True),
            makeup_count=Count("days", filter=Q(days__working=True), distinct=True),
            policy_count=Count("policies", distinct=True),
        )
        .prefetch_related(Prefetch("days", queryset=CalendarDay.objects.order_by("date")))
        .order_by("code")
    )


# --- Who sees which repairs and feedback ------------------------------------------


def repairs_visible_to(
    user, queryset: QuerySet[RepairOrder] | None = None
) -> QuerySet[RepairOrder]:
    """Admins and those who work on repairs (agents, technicians) see every
    repair; those who may only look (account managers) the repairs of the
    customers they manage; anyone else none."""
    queryset = repair_list() if queryset is None else queryset
    if user.has_perm("aftersales.change_repairorder") or user_is_admin(user):
        return queryset
    if user.has_perm("aftersales.view_repairorder"):
        return queryset.filter(customer__account_manager=user)
    return queryset.none()


def feedback_visible_to(user, queryset: QuerySet[Feedback] | None = None) -> QuerySet[Feedback]:
    """The surveys of the tickets the user may see (tickets_visible_to)."""
    queryset = feedback_list() if queryset is None else queryset
    return queryset.filter(ticket__in=tickets_visible_to(user, Ticket.objects.all()).values("pk"))


# --- Who sees which returns -------------------------------------------------------


def return_scope(user) -> Q | None:
    """Which returns a signed-in staff user may see: None for all, else a Q.

    Admins, and whoever works returns (may change or receive them: after-sales
    agents, warehouse roles), see every return. Those who may only look
    (account managers) see the returns of the customers they manage. Anybody
    else sees none. Integration tokens see all; the API decides that before."""
    if user_is_admin(user):
        return None
    if user.has_perm("aftersales.change_returnrequest") or user.has_perm(
        "aftersales.receive_returnrequest"
    ):
        return None
    if user.has_perm("aftersales.view_returnrequest"):
        return Q(customer__account_manager=user)
    return Q(pk__in=[])


def returns_visible_to(
    user, queryset: QuerySet[ReturnRequest] | None = None
) -> QuerySet[ReturnRequest]:
    queryset = return_list() if queryset is None else queryset
    scope = return_scope(user)
    return queryset if scope is None else queryset.filter(scope)
