"""crm over the API, one module per area. Each module has a `register(router)`
that adds its viewsets, and may list extra `urlpatterns`."""

from crm.api import (
    campaigns,
    care,
    customer360,
    customers,
    interactions,
    merge,
    segments,
    tiers,
)

MODULES = [customers, customer360, merge, interactions, care, tiers, segments, campaigns]


def register(router) -> list:
    """Register every area's viewsets on the router; return their extra urls."""
    extra = []
    for module in MODULES:
        module.register(router)
        extra.extend(getattr(module, "urlpatterns", []))
    return extra
