"""Template helpers for the staff pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def cell(obj, path: str):
    """The value at a dotted attribute path, shown as a person reads it:
    `get_<field>_display` for choices, a tick or dash for booleans."""
    value = obj
    for part in path.split("."):
        if value is None:
            break
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, None)
        if callable(value) and not hasattr(value, "all"):
            value = value()
    if value is True:
        return format_html('<i class="bi bi-check-lg text-success" title="{}"></i>', _("yes"))
    if value is False or value is None or value == "":
        return mark_safe('<span class="text-body-tertiary">—</span>')  # noqa: S308 - constant
    return value


@register.simple_tag(takes_context=True)
def sort_url(context, field: str) -> str:
    """The query string that orders the list by `field`, flipping the direction."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    current = query.get("ordering", "")
    query["ordering"] = f"-{field}" if current == field else field
    return "?" + query.urlencode()
