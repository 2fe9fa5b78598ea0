"""After-sales over the API, one module per area. Each module has a
`register(router)` that adds its viewsets, and may list extra `urlpatterns`."""

from importlib import import_module

MODULES = ["teams", "tickets", "returns", "repairs", "feedback", "sla"]


def _modules():
    for name in MODULES:
        try:
            yield import_module(f"aftersales.api.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aftersales.api.{name}":
                raise


def register(router) -> list:
    """Register every area's viewsets on the router; return their extra urls."""
    extra = []
    for module in _modules():
        module.register(router)
        extra.extend(getattr(module, "urlpatterns", []))
    return extra
