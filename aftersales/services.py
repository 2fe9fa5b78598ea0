"""Every write to after-sales teams (and, later, tickets, returns and repairs)."""

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.models import ServiceTeam
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
