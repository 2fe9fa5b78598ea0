"""Demo after-sales teams, staffed by the demo agents."""

from aftersales.models import ServiceTeam
from aftersales.services import team_create

TEAMS = [
    ("GENERAL", "售后一组", ["agent", "agent2"]),
    ("REPAIR", "维修服务组", ["agent2"]),
    ("VIP", "VIP 服务组", ["agent"]),
]


def seed(ctx) -> None:
    users = ctx.data["users"]
    for code, name, members in TEAMS:
        if ServiceTeam.objects.filter(code=code).exists():
            continue
        team_create(code=code, name=name, members=[users[m] for m in members])
    ctx.report("after-sales teams", ServiceTeam.objects.count())
