"""One FilterSet per listable model, shared by the API and the staff pages;
one module per sub-domain."""

from aftersales.filters.teams import ServiceTeamFilter
from aftersales.filters.tickets import TicketFilter

__all__ = ["ServiceTeamFilter", "TicketFilter"]
