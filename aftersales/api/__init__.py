"""After-sales over the API, one module per area. Each module has a
`register(router)` that adds its viewsets, and may list extra `urlpatterns`."""

from aftersales.api import feedback, repairs, returns, sla, teams, tickets

MODULES = [teams, tickets, returns, repairs, feedback, sla]


def register(router) -> list:
    """Register every area's viewsets on the router; return their extra urls."""
    extra = []
    for module in MODULES:
        module.register(router)
        extra.extend(getattr(module, "urlpatterns", []))
    return extra
