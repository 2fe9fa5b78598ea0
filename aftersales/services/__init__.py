"""Every write of after-sales, one module per sub-domain:
teams, tickets (intake, messages, transitions), assignment, sla, inbound
(e-mail), returns (RMA), repairs, feedback. Messages to customers are
written by erp.portal.notifications from after-sales' and logistics' signals."""

from aftersales.services.teams import TeamInvalid, team_create, team_skill_set

__all__ = [
    "TeamInvalid",
    "team_create",
    "team_skill_set",
]
