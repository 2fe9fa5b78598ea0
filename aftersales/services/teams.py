"""Writes to after-sales teams and their skills."""

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.models import ServiceTeam, TeamSkill
from erp.core.errors import DomainError


class TeamInvalid(DomainError):
    status_code = 400
    code = "invalid"


@transaction.atomic
def team_create(*, code: str, name: str, members=()) -> ServiceTeam:
    code = code.strip().upper()
    if ServiceTeam.objects.filter(code=code).exists():
        raise TeamInvalid(_("A team with this code exists already."), field="code")
    team = ServiceTeam.objects.create(code=code, name=name)
    team.members.set(members)
    return team


@transaction.atomic
def team_skill_set(*, team: ServiceTeam, skills: list[tuple[str, str]]) -> None:
    """Replace the team's skills with (kind, category) pairs; category "" is any."""
    TeamSkill.objects.filter(team=team).delete()
    TeamSkill.objects.bulk_create(
        [TeamSkill(team=team, kind=kind, category=category) for kind, category in set(skills)]
    )
