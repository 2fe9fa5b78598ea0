import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from aftersales.models import Feedback
from erp.core.filters import SearchFilter, YesNoFilter
from orders.filters import OrderWarehouseFilter

CSAT_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _assignees(request):
    return get_user_model().objects.filter(feedback__isnull=False).distinct().order_by("username")


class FeedbackFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["ticket__number", "ticket__subject", "comment", "customer__code"])
    csat = django_filters.MultipleChoiceFilter(choices=CSAT_CHOICES, label=_("satisfaction"))
    assignee = django_filters.ModelChoiceFilter(
        queryset=_assignees, to_field_name="username", label=_("assignee")
    )
    answered = YesNoFilter(
        field_name="submitted_at", lookup_expr="isnull", exclude=True, label=_("answered")
    )
    sent_from = django_filters.DateFilter(
        field_name="sent_at", lookup_expr="date__gte", label=_("sent from")
    )
    sent_to = django_filters.DateFilter(
        field_name="sent_at", lookup_expr="date__lte", label=_("sent to")
    )
    # The rows behind the KPIs (analytics drill-down links).
    answered_from = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label=_("answered from")
    )
    answered_to = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__lte", label=_("answered to")
    )
    sales_channel = django_filters.CharFilter(
        field_name="ticket__order__channel__code", label=_("sales channel")
    )
    order_warehouse = OrderWarehouseFilter(prefix="ticket__order__")
    ordering = django_filters.OrderingFilter(
        fields=(("sent_at", "sent_at"), ("submitted_at", "submitted_at"), ("csat", "csat")),
        label=_("order by"),
    )

    class Meta:
        model = Feedback
        fields = [
            "q",
            "csat",
            "assignee",
            "answered",
            "sent_from",
            "sent_to",
            "answered_from",
            "answered_to",
            "sales_channel",
            "order_warehouse",
        ]
