"""One FilterSet per listable model, shared by the API and the staff pages;
one module per sub-domain."""

from aftersales.filters.teams import ServiceTeamFilter

__all__ = ["ServiceTeamFilter"]
