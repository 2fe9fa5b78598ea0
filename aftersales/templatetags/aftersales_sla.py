"""Template tags of after-sales: the SLA countdown badge."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from aftersales.models import SlaRecord
from aftersales.services.sla import duration_text, sla_remaining

register = template.Library()


def clock_for(ticket, now=None) -> dict:
    """What the badge shows: its state, colour, text and tooltip."""
    remaining = sla_remaining(ticket, now)
    state, due, left = remaining["state"], remaining["due_at"], remaining["seconds_left"]
    target = str(SlaRecord.Metric(remaining["metric"]).label) if remaining["metric"] else ""
    title = ""
    if due is not None:
        title = _("%(target)s due %(time)s") % {
            "target": target[:1].upper() + target[1:],
            "time": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }
    if state == "ok":
        css, text = "text-bg-success", _("%(time)s left") % {"time": duration_text(left)}
    elif state == "due_soon":
        css = "text-bg-warning"
        left_text = _("%(time)s left") % {"time": duration_text(left)}
        text = f"{_('due soon')} · {left_text}"
    elif state == "breached":
        css = "text-bg-danger"
        if left is not None and left < 0:
            text = _("overdue by %(time)s") % {"time": duration_text(left)}
        else:
            text = _("breached")
    elif state == "paused":
        css, text, title = "text-bg-secondary", pgettext("sla", "paused"), _("waiting on customer")
    elif state == "met":
        css, text = "bg-success-subtle text-success-emphasis", pgettext("sla", "met")
    else:
        css, text = "", ""
    return {"state": state, "css": css, "text": text, "title": title, "metric": target}


@register.inclusion_tag("aftersales/sla/_clock.html")
def sla_clock(ticket, now=None):
    """{% sla_clock ticket %}: a badge with the time left on the ticket's next
    SLA target (green), "due soon" (amber), overdue (red), paused (grey)."""
    return {"clock": clock_for(ticket, now)}
