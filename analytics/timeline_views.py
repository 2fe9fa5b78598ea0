"""Staff page: the fulfilment timeline of open orders, a Gantt chart against
their promised dates, most urgent first (issue 7 item 6)."""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from analytics.forms import PlaceFilterForm
from analytics.selectors.timeline import TimelineFilter, timeline_orders
from erp.core.widgets import style_form
from orders.models import Order


class TimelineFilterForm(PlaceFilterForm):
    at_risk = forms.BooleanField(label=_("at risk only"), required=False)

    def timeline_filter(self) -> TimelineFilter:
        return TimelineFilter(
            **self.place_ids(), at_risk_only=self.cleaned_data.get("at_risk", False)
        )


# Where an order stands on its way out, as a share of the bar: placed,
# confirmed (stock allocated), in fulfilment (picking and packing), partly shipped.
STAGE_PROGRESS = {
    Order.Status.PENDING: 10,
    Order.Status.CONFIRMED: 35,
    Order.Status.IN_FULFILMENT: 65,
    Order.Status.PARTIALLY_SHIPPED: 85,
}


def _risk(order, today: date) -> tuple[str, str]:
    """The bar's class and the words for it."""
    if order.promised_date is None:
        return "tl-no-promise", gettext("no promised date")
    if order.overdue:
        days = (today - order.promised_date).days
        return "tl-overdue", gettext("overdue by %(days)s d") % {"days": days}
    if order.at_risk:
        return "tl-at-risk", gettext("at risk")
    return "tl-on-track", gettext("on track")


def timeline_row(order, today: date) -> dict:
    """One order as a bar: from the day it was placed to its promised date."""
    placed = timezone.localdate(order.placed_at)
    stage = order.held_from if order.status == Order.Status.ON_HOLD else order.status
    end = order.promised_date or today
    risk_class, risk_words = _risk(order, today)

    def local(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None

    return {
        "id": order.number,
        # The risk in words as well as colour.
        "name": " · ".join(
            [order.number, order.get_status_display()]
            + ([risk_words] if order.at_risk or order.promised_date is None else [])
        ),
        "start": placed.isoformat(),
        "end": max(end, placed).isoformat(),
        "progress": STAGE_PROGRESS.get(stage, 10),
        "custom_class": risk_class,
        "url": reverse("orders:order-detail", args=[order.number]),
        # For the popup and the table below the chart.
        "number": order.number,
        "customer": order.customer.name,
        "channel": order.channel.code,
        "status": order.get_status_display(),
        "status_code": order.status,
        "risk": risk_words,
        "at_risk": order.at_risk,
        "overdue": order.overdue,
        "placed_at": local(order.placed_at),
        "confirmed_at": local(order.confirmed_at),
        "fulfilment_at": local(order.fulfilment_at),
        "partially_shipped_at": local(order.partially_shipped_at),
        "promised_date": order.promised_date.isoformat() if order.promised_date else None,
        "priority": str(order.priority_score),
    }


@login_required
@permission_required("orders.view_order", raise_exception=True)
@require_GET
def timeline_view(request):
    """Open orders as a Gantt chart against their promised dates, most urgent first."""
    form = TimelineFilterForm(request.GET)
    style_form(form, small=True)
    form.fields["at_risk"].widget.attrs["class"] = "form-check-input"
    today = timezone.localdate()
    f = form.timeline_filter() if form.is_valid() else TimelineFilter()
    paginator = Paginator(timeline_orders(f, today=today), settings.ANALYTICS_TIMELINE_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [timeline_row(order, today) for order in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    labels = {
        "placed": gettext("placed at"),
        "confirmed": gettext("confirmed"),
        "fulfilment": gettext("in fulfilment"),
        "partiallyShipped": gettext("partially shipped"),
        "promised": gettext("promised date"),
        "priority": gettext("priority"),
        "channel": gettext("sales channel"),
        "customer": gettext("customer"),
        "open": gettext("Open the order"),
    }
    return render(
        request,
        "analytics/timeline.html",
        {
            "form": form,
            "rows": rows,
            "timeline": {"tasks": rows, "labels": labels, "today": today.isoformat()},
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": paginator.num_pages > 1,
            "querystring": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "at_risk_days": settings.ORDER_AT_RISK_DAYS,
        },
    )
