"""Filters of the staff list of customer notifications (erp.portal.views.staff)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter
from erp.core.models import Notification
from erp.portal.notifications import KEY_PREFIX, Event

CAMPAIGN_PREFIX = "campaign:"  # crm.services.campaigns: one per campaign and customer
CAMPAIGN = "campaign"
EVENT_CHOICES = [*Event.choices, (CAMPAIGN, _("marketing campaign"))]


def event_prefix(event: str) -> str:
    return CAMPAIGN_PREFIX if event == CAMPAIGN else f"{KEY_PREFIX}{event}:"


def customer_notifications_q() -> Q:
    """Messages to customers: the portal's transactional ones and campaigns
    (staff notices - assignments, SLA, alerts, care tasks - are not listed)."""
    return Q(key__startswith=KEY_PREFIX) | Q(key__startswith=CAMPAIGN_PREFIX)


class CustomerNotificationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices, label=_("status"))
    channel = django_filters.ChoiceFilter(choices=Notification.Channel.choices, label=_("channel"))
    event = django_filters.ChoiceFilter(choices=EVENT_CHOICES, label=_("event"), method="_event")
    q = SearchFilter(fields=["recipient", "subject"])
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("from")
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("sent_at", "sent_at"), ("status", "status")),
        label=_("order by"),
    )

    class Meta:
        model = Notification
        fields = ["status", "channel", "event", "q", "since", "until"]

    def _event(self, queryset, name, value):
        return queryset.filter(key__startswith=event_prefix(value)) if value else queryset
