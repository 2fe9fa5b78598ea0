"""Template helpers for the staff pages."""

from django import template

register = template.Library()


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
