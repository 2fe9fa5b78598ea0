"""Who takes a ticket.

Automatic: the team whose skill matches the ticket most closely (kind and
category, then the kind for any category), then the member of that team with
the fewest open tickets; on a tie, the one who was given a ticket of this
team longest ago (round-robin). The team row is locked while choosing, so two
tickets arriving together are not both given to the same person.

Manual: an agent passes a ticket to somebody in one of their own teams; a
user holding aftersales.assign_ticket (admins) to anybody in the ticket's
team. Every assignment is a timeline event with who did it and why.
"""

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, DateTimeField, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ServiceTeam, TeamSkill, Ticket, TicketEvent
from aftersales.services.tickets import (
    TicketInvalid,
    _notify_assignee,
    _set_status,
    ticket_event_record,
    ticket_for_update,
)
from erp.core.errors import DomainError

Status = Ticket.Status
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class AssignmentRefused(DomainError):
    status_code = 403
    code = "permission_denied"


def team_for(*, kind: str, category: str = "") -> ServiceTeam | None:
    """The active team whose skill fits best: kind and category, then kind alone."""
    skills = (
        TeamSkill.objects.filter(kind=kind, team__active=True)
        .filter(Q(category=category) | Q(category=""))
        .select_related("team")
        .order_by("team__code")
    )
    exact = [s.team for s in skills if category and s.category == category]
    if exact:
        return exact[0]
    general = [s.team for s in skills if s.category == ""]
    return general[0] if general else None


def members_by_workload(team: ServiceTeam):
    """Active members of a team, fewest open tickets first, then the one
    given a ticket of this team longest ago (never: first)."""
    User = get_user_model()
    open_count = (
        Ticket.objects.filter(assignee=OuterRef("pk"), status__in=Ticket.OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_given = (
        Ticket.objects.filter(assignee=OuterRef("pk"), team=team, assigned_at__isnull=False)
        .order_by("-assigned_at")
        .values("assigned_at")[:1]
    )
    return (
        User.objects.filter(service_teams=team, is_active=True)
        .annotate(
            open_tickets=Coalesce(Subquery(open_count, output_field=IntegerField()), Value(0)),
            last_assigned=Coalesce(
                Subquery(last_given, output_field=DateTimeField()), Value(EPOCH)
            ),
        )
        .order_by("open_tickets", "last_assigned", "pk")
    )


def assign(ticket: Ticket, user, team: ServiceTeam | None, *, actor=None, reason: str = "") -> None:
    """Give a locked ticket to `user` (None: back to the team's pool)."""
    old = ticket.assignee
    ticket.assignee = user
    ticket.team = team or ticket.team
    ticket.assigned_at = timezone.now() if user is not None else None
    ticket.save(update_fields=["assignee", "team", "assigned_at", "updated_at"])
    event = ticket_event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.ASSIGNED,
        actor=actor,
        reason=reason,
        from_value=old.get_username() if old else "",
        to_value=user.get_username() if user else "",
    )
    if user is not None and ticket.status == Status.NEW:
        _set_status(ticket, Status.ASSIGNED, actor=actor, reason="")
    if user is None and ticket.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        # Nobody holds it now: it waits in the team's queue again.
        _set_status(ticket, Status.NEW, actor=actor, reason=reason)
    if user is not None and user != actor:
        _notify_assignee(ticket, event)


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket, actor=None) -> Ticket:
    """Give the ticket to the best team and its least busy member. A ticket
    no team takes stays new, in the unassigned queue."""
    ticket = ticket_for_update(ticket.pk)
    team = ticket.team or team_for(kind=ticket.kind, category=ticket.category)
    if team is None:
        return ticket
    # Serialise choices within the team: the workload read below stays true
    # until this ticket is given.
    ServiceTeam.objects.select_for_update().filter(pk=team.pk).first()
    member = members_by_workload(team).first()
    if member is None:
        if ticket.team_id != team.pk:
            ticket.team = team
            ticket.save(update_fields=["team", "updated_at"])
        return ticket
    assign(ticket, member, team, actor=actor, reason=_("automatic: fewest open tickets"))
    return ticket


def _member(actor, team: ServiceTeam | None) -> bool:
    return team is not None and team.members.filter(pk=actor.pk).exists()


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee=None, team: ServiceTeam | None = None, actor, reason: str = ""
) -> Ticket:
    """Reassign by hand (logged with the reason). `assignee` None with a team
    moves the ticket to that team's pool."""
    ticket = ticket_for_update(ticket.pk)
    if not ticket.is_open:
        raise TicketInvalid(
            _("A resolved or closed ticket cannot be reassigned."), field="assignee"
        )
    target_team = team or ticket.team
    if target_team is not None and not target_team.active:
        raise TicketInvalid(_("That team is not active."), field="team")
    if not actor.has_perm("aftersales.assign_ticket"):
        # An agent passes on what their team holds (or a loose ticket, or
        # their own): to a colleague of one of their teams, or to another
        # team's queue, never straight to somebody of another team.
        holds = (
            ticket.assignee_id == actor.pk
            or (ticket.team is None and ticket.assignee_id is None)
            or _member(actor, ticket.team)
        )
        if not holds:
            raise AssignmentRefused(
                _("You may only pass on tickets of your own teams."), field="assignee"
            )
        if assignee is not None and not _member(actor, target_team):
            raise AssignmentRefused(
                _(
                    "You may give a ticket only to a colleague of your own teams; "
                    "move it to that team's queue instead."
                ),
                field="assignee",
            )
    if assignee is not None:
        if target_team is None:
            raise TicketInvalid(_("Choose the team first."), field="team")
        if not target_team.members.filter(pk=assignee.pk, is_active=True).exists():
            raise TicketInvalid(
                _("%(user)s is not a member of team %(team)s.")
                % {"user": assignee.get_username(), "team": target_team.name},
                field="assignee",
            )
    if assignee == ticket.assignee and target_team == ticket.team:
        return ticket
    assign(ticket, assignee, target_team, actor=actor, reason=reason)
    return ticket
