import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from analytics.models import Alert, ForecastRun, Granularity, KpiTarget, ReorderSuggestion
from erp.core.filters import SearchFilter, YesNoFilter


class KpiTargetFilter(django_filters.FilterSet):
    kpi = django_filters.ChoiceFilter(choices=KpiTarget.Kpi.choices, label=_("KPI"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(fields=(("kpi", "kpi"),), label=_("order by"))

    class Meta:
        model = KpiTarget
        fields = ["kpi", "active"]


class AlertFilter(django_filters.FilterSet):
    """Shared by the alert list page and /api/v1/alerts/."""

    q = SearchFilter(fields=["number", "subject_label", "message"])
    kind = django_filters.MultipleChoiceFilter(choices=Alert.Kind.choices, label=_("kind"))
    severity = django_filters.MultipleChoiceFilter(
        choices=Alert.Severity.choices, label=_("severity")
    )
    status = django_filters.MultipleChoiceFilter(choices=Alert.Status.choices, label=_("status"))
    mine = YesNoFilter(method="filter_mine", label=_("mine"))
    overdue = YesNoFilter(method="filter_overdue", label=_("overdue"))
    cleared = YesNoFilter(method="filter_cleared", label=_("condition cleared"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("number", "number"),
            ("severity", "severity"),
            ("raised_at", "raised_at"),
            ("deadline", "deadline"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Alert
        fields = ["kind", "severity", "status"]

    def filter_mine(self, queryset, name, value):
        """Given to me (yes) or not (no)."""
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none() if value else queryset
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)

    def filter_overdue(self, queryset, name, value):
        """Unresolved and past the deadline (yes), or not (no)."""
        if value is None:
            return queryset
        overdue = Q(status__in=Alert.OPEN_STATUSES, deadline__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_cleared(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(cleared_at__isnull=not value)


# --- Forecasts and reorder suggestions ----------------------------------------------

ALL_WAREHOUSES = "all"


def _warehouse_choices() -> list[tuple[str, str]]:
    from inventory.models import Warehouse

    return [
        ("", _("any")),
        (ALL_WAREHOUSES, _("all warehouses (total)")),
        *(
            (code, f"{code} {name}")
            for code, name in Warehouse.objects.filter(active=True)
            .order_by("code")
            .values_list("code", "name")
        ),
    ]


def _category_choices() -> list[tuple[str, str]]:
    from inventory.models import Product

    categories = (
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return [("", _("any")), *((c, c) for c in categories)]


class _WarehouseFilter(django_filters.CharFilter):
    """`warehouse=<code>`, or `warehouse=all` for the all-warehouses total."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("warehouse"))
        super().__init__(method=self._filter, widget=forms.Select, **kwargs)

    def _filter(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        if value.lower() == ALL_WAREHOUSES:
            return queryset.filter(warehouse__isnull=True)
        return queryset.filter(warehouse__code__iexact=value)


class _SelectChoicesMixin:
    """The page's select boxes (warehouses, categories): their choices are
    read when a page renders them, not when the API validates the filters."""

    select_choices: dict = {}

    @property
    def form(self):
        form = super().form
        for name, choices in self.select_choices.items():
            if name in form.fields:
                form.fields[name].widget.choices = CallableChoiceIterator(choices)
        return form


class ForecastRunFilter(_SelectChoicesMixin, django_filters.FilterSet):
    """/api/v1/forecasts/: by product SKU, warehouse code (or `all`), granularity."""

    product = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="iexact", label=_("SKU")
    )
    warehouse = _WarehouseFilter()
    granularity = django_filters.ChoiceFilter(choices=Granularity.choices, label=_("granularity"))
    method = django_filters.ChoiceFilter(choices=ForecastRun.Method.choices, label=_("method"))
    select_choices = {"warehouse": _warehouse_choices}

    class Meta:
        model = ForecastRun
        fields = ["product", "warehouse", "granularity", "method"]


class ReorderSuggestionFilter(_SelectChoicesMixin, django_filters.FilterSet):
    """Shared by the reorder suggestion list and /api/v1/reorder-suggestions/."""

    q = SearchFilter(fields=["product__sku", "product__name"])
    product = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="iexact", label=_("SKU")
    )
    warehouse = _WarehouseFilter()
    category = django_filters.CharFilter(
        field_name="product__category",
        lookup_expr="iexact",
        label=_("category"),
        widget=forms.Select,
    )
    below = YesNoFilter(method="filter_below", label=_("below the suggestion"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("product__sku", "sku"),
            ("warehouse__code", "warehouse"),
            ("daily_demand", "daily_demand"),
            ("reorder_point", "reorder_point"),
        ),
        label=_("order by"),
    )
    select_choices = {"warehouse": _warehouse_choices, "category": _category_choices}

    class Meta:
        model = ReorderSuggestion
        fields = ["q", "product", "warehouse", "category", "below"]

    def filter_below(self, queryset, name, value):
        """The product's reorder point is below the suggested one (yes), or not (no)."""
        if value is None:
            return queryset
        below = Q(product__reorder_point__lt=F("reorder_point"))
        return queryset.filter(below) if value else queryset.exclude(below)
