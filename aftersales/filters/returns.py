import django_filters
from django.utils.translation import gettext_lazy as _

from aftersales.models import ReturnRequest
from erp.core.filters import SearchFilter
from inventory.models import Warehouse
from orders.filters import OrderWarehouseFilter


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
    # The rows behind the KPIs (analytics drill-down links): the order's
    # sales channel and warehouse (orders.selectors.order_warehouse).
    sales_channel = django_filters.CharFilter(
        field_name="order__channel__code", label=_("sales channel")
    )
    reason = django_filters.CharFilter(method="_reason", label=_("reason"))
    order_warehouse = OrderWarehouseFilter(prefix="order__")
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
            "sales_channel",
            "order_warehouse",
            "reason",
        ]

    def _reason(self, queryset, name, value):
        """The reason as the KPIs group returns by it: the whole reason, or
        its first 100 characters (analytics.selectors.facts.reason_of)."""
        value = value.strip()
        if len(value) >= 100:
            return queryset.filter(reason__startswith=value)
        return queryset.filter(reason=value)
