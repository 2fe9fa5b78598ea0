import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from orders.models import Order, SalesChannel


class SalesChannelFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    kind = django_filters.ChoiceFilter(choices=SalesChannel.Kind.choices, label=_("kind"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("kind", "kind")), label=_("order by")
    )

    class Meta:
        model = SalesChannel
        fields = ["q", "kind", "active"]


class OrderFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["number", "external_ref", "customer__name", "customer__phone"])
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices, label=_("status"))
    channel = django_filters.ModelChoiceFilter(
        queryset=SalesChannel.objects.all(), to_field_name="code", label=_("sales channel")
    )
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    promised_from = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="gte", label=_("promised from")
    )
    promised_to = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="lte", label=_("promised to")
    )
    at_risk = YesNoFilter(field_name="at_risk", label=_("at risk"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("placed_at", "placed_at"),
            ("promised_date", "promised_date"),
            ("priority_score", "priority"),
            ("total", "total"),
            ("number", "number"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "customer", "promised_from", "promised_to", "at_risk"]
