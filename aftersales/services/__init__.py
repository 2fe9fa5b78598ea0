"""Every write of after-sales, one module per sub-domain:
teams, tickets (intake, messages, transitions), assignment, sla, inbound
(e-mail), returns (RMA), repairs, feedback, notices (shipment exceptions)."""

from aftersales.services.notices import NOTICE_KINDS, exception_notice_send
from aftersales.services.teams import TeamInvalid, team_create, team_skill_set

__all__ = [
    "NOTICE_KINDS",
    "TeamInvalid",
    "exception_notice_send",
    "team_create",
    "team_skill_set",
]
