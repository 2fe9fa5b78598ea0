import django_filters
from django.utils.translation import gettext_lazy as _

from aftersales.models import ReturnRequest
from erp.core.filters import SearchFilter
from inventory.models import Warehouse


class ReturnRequestFilter(django_filters.FilterSet):
    """Returns by status, kind, order, customer, receiving warehouse and the
    date they were requested; `q` searches numbers, names and waybills."""

    q = SearchFilter(
        fields=[
            "number",
            "order__number",
            "customer__code",
            "customer__name",
            "ticket__number",
            "return_tracking_number",
        ]
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ReturnRequest.Status.choices, label=_("status")
    )
    kind = django_filters.ChoiceFilter(choices=ReturnRequest.Kind.choices, label=_("kind"))
    order = django_filters.CharFilter(field_name="order__number", label=_("order number"))
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("receiving warehouse")
    )
    requested_from = django_filters.DateFilter(
        field_name="requested_at", lookup_expr="date__gte", label=_("requested from")
    )
    requested_to = django_filters.DateFilter(
        field_name="requested_at", lookup_expr="date__lte", label=_("requested to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("requested_at", "requested_at"),
            ("number", "number"),
            ("refund_amount", "refund_amount"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = ReturnRequest
        fields = [
            "q",
            "status",
            "kind",
            "order",
            "customer",
            "warehouse",
            "requested_from",
            "requested_to",
        ]
