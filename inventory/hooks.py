"""What higher apps show on inventory's pages, without inventory importing them.

`register_product_panel(name, template, context_fn, visible_fn)`: a panel of
the product page (analytics registers the demand forecast and reorder
suggestion from its AppConfig.ready()). The page renders every visible
panel, in `order`, with the template's context `{"panel": context_fn(request,
product), "product": product}`; a context_fn that returns None leaves the
panel out.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductPanel:
    name: str
    template: str
    context: Callable[[Any, Any], dict | None]  # (request, product) -> context or None
    visible: Callable[[Any], bool]  # (user) -> whether the user may see it
    order: int = 100


PRODUCT_PANELS: dict[str, ProductPanel] = {}


def register_product_panel(
    name: str,
    template: str,
    context_fn: Callable[[Any, Any], dict | None],
    visible_fn: Callable[[Any], bool] = lambda user: True,
    *,
    order: int = 100,
) -> None:
    PRODUCT_PANELS[name] = ProductPanel(name, template, context_fn, visible_fn, order)


def product_panels(request, product) -> list[dict]:
    """The panels the user may see, each {"name", "template", "context"}."""
    panels = []
    for panel in sorted(PRODUCT_PANELS.values(), key=lambda p: (p.order, p.name)):
        if not panel.visible(request.user):
            continue
        context = panel.context(request, product)
        if context is not None:
            panels.append({"name": panel.name, "template": panel.template, "context": context})
    return panels
