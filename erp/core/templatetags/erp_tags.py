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
        return mark_safe('<span class="text-body-tertiary">—</span>')
    return value


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@register.filter
def person_name(user) -> str:
    """A user's name as people write it: family name first for Chinese
    names (李娜), "given family" otherwise; the username when no name is set."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if not first and not last:
        return user.get_username()
    if _is_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


@register.simple_tag(takes_context=True)
def sort_url(context, field: str) -> str:
    """The query string that orders the list by `field`, flipping the direction."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    current = query.get("ordering", "")
    query["ordering"] = f"-{field}" if current == field else field
    return "?" + query.urlencode()
