import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from aftersales.models import RepairOrder
from erp.core.filters import SearchFilter, YesNoFilter


def _technicians(request):
    return get_user_model().objects.filter(repairs__isnull=False).distinct().order_by("username")


class RepairOrderFilter(django_filters.FilterSet):
    q = SearchFilter(
        fields=[
            "number",
            "serial_number",
            "customer__code",
            "customer__name",
            "product__sku",
            "product__name",
            "ticket__number",
        ]
    )
    status = django_filters.MultipleChoiceFilter(
        choices=RepairOrder.Status.choices, label=_("status")
    )
    technician = django_filters.ModelChoiceFilter(
        queryset=_technicians, to_field_name="username", label=_("technician")
    )
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    product = django_filters.CharFilter(field_name="product__sku", label=_("SKU"))
    in_warranty = YesNoFilter(label=_("in warranty"))
    reported_from = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label=_("reported from")
    )
    reported_to = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__lte", label=_("reported to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("reported_at", "reported_at"),
            ("number", "number"),
            ("warranty_until", "warranty_until"),
            ("charged_amount", "charged_amount"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = RepairOrder
        fields = ["q", "status", "technician", "customer", "product", "in_warranty"]
