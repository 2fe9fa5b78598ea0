import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from inventory.models import Product, Warehouse


class ProductFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["sku", "name", "barcode"])
    category = django_filters.CharFilter(lookup_expr="iexact", label=_("category"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("sku", "sku"),
            ("name", "name"),
            ("category", "category"),
            ("list_price", "list_price"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Product
        fields = ["q", "category", "active"]


class WarehouseFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name", "city"])
    kind = django_filters.ChoiceFilter(choices=Warehouse.Kind.choices, label=_("kind"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("city", "city")), label=_("order by")
    )

    class Meta:
        model = Warehouse
        fields = ["q", "kind", "active"]
