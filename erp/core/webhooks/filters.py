"""FilterSets of the webhook pages and API (the same filters in both)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter
from erp.core.models import WebhookDelivery, WebhookSubscription
from erp.core.webhooks.events import EVENT_TYPES


def _event_type_choices():
    return [(name, name) for name in EVENT_TYPES]


class WebhookSubscriptionFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["name", "url", "description"])
    status = django_filters.ChoiceFilter(
        choices=WebhookSubscription.Status.choices, label=_("status")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("created_at", "created_at"),
            ("last_delivery_at", "last_delivery_at"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["q", "status"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    subscription = django_filters.NumberFilter(
        field_name="subscription_id", label=_("subscription")
    )
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, label=_("status"))
    event_type = django_filters.ChoiceFilter(choices=_event_type_choices, label=_("event type"))
    event_id = django_filters.UUIDFilter(label=_("event id"))
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("from")
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("attempts", "attempts")), label=_("order by")
    )

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event_type", "event_id", "since", "until"]
