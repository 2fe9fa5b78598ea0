import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from inventory.models import Product, StockCount, StockLevel, StockMove, Warehouse


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


class StockLevelFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["product__sku", "product__name", "product__barcode"])
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact", label=_("SKU"))
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("warehouse")
    )
    category = django_filters.CharFilter(
        field_name="product__category", lookup_expr="iexact", label=_("category")
    )
    low = YesNoFilter(field_name="is_low", label=_("low stock"))
    out_of_stock = YesNoFilter(method="_out_of_stock", label=_("out of stock"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("warehouse__code", "warehouse"),
            ("product__sku", "sku"),
            ("on_hand", "on_hand"),
            ("reserved", "reserved"),
            ("available_qty", "available"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = StockLevel
        fields = ["q", "sku", "warehouse", "category", "low", "out_of_stock"]

    def _out_of_stock(self, queryset, name, value):
        """Nothing on hand (yes) or something (no)."""
        return queryset.filter(on_hand=0) if value else queryset.filter(on_hand__gt=0)


class StockMoveFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact", label=_("SKU"))
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("warehouse")
    )
    kind = django_filters.ChoiceFilter(choices=StockMove.Kind.choices, label=_("kind"))
    category = django_filters.CharFilter(
        field_name="product__category", lookup_expr="iexact", label=_("category")
    )
    reference = django_filters.CharFilter(lookup_expr="iexact", label=_("reference"))
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("from")
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("quantity", "quantity")), label=_("order by")
    )

    class Meta:
        model = StockMove
        fields = ["sku", "warehouse", "kind", "category", "reference", "since", "until"]


class StockCountFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("warehouse")
    )
    status = django_filters.ChoiceFilter(choices=StockCount.Status.choices, label=_("status"))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("number", "number")), label=_("order by")
    )

    class Meta:
        model = StockCount
        fields = ["warehouse", "status"]
