import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm.models import Contact, Customer, CustomerMerge, CustomerScore, Tag
from erp.core.filters import SearchFilter, YesNoFilter


def _account_managers(request=None):
    """Users who manage customers or hold the account manager role."""
    return (
        get_user_model()
        .objects.filter(
            Q(groups__name="account_manager") | Q(managed_customers__isnull=False),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


@extend_schema_field(OpenApiTypes.STR)
class TagNameFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags by name (repeatable: any of them)."""


class CustomerFilter(django_filters.FilterSet):
    """Customers for the list page and GET /api/v1/customers/. Merged
    customers are left out unless `show_merged` (the views apply it to lists)."""

    q = SearchFilter(fields=["code", "name", "phone", "email"])
    tier = django_filters.ChoiceFilter(choices=Customer.Tier.choices, label=_("tier"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("kind"))
    segment = django_filters.ChoiceFilter(
        field_name="score__segment", choices=CustomerScore.Segment.choices, label=_("RFM segment")
    )
    churn_level = django_filters.ChoiceFilter(
        field_name="score__churn_level",
        choices=CustomerScore.ChurnLevel.choices,
        label=_("churn risk level"),
    )
    language = django_filters.ChoiceFilter(choices=Customer.Language.choices, label=_("language"))
    tags = TagNameFilter(
        field_name="tags__name",
        queryset=Tag.objects.all(),
        to_field_name="name",
        label=_("tags"),
        distinct=True,
    )
    account_manager = django_filters.ModelChoiceFilter(
        queryset=_account_managers, to_field_name="username", label=_("account manager")
    )
    marketing_consent = YesNoFilter(label=_("marketing consent"))
    show_merged = YesNoFilter(label=_("show merged"), method="_show_merged")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("tier", "tier"),
            ("score__lifetime_value", "lifetime_value"),
            ("created_at", "created_at"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Customer
        fields = [
            "q",
            "tier",
            "kind",
            "segment",
            "churn_level",
            "language",
            "tags",
            "account_manager",
            "marketing_consent",
            "show_merged",
        ]

    def __init__(self, data=None, *args, **kwargs):
        # Bound even without a query string, so merged customers are left out.
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def _show_merged(self, queryset, name, value):
        return queryset  # read by `filter_queryset`

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("show_merged"):
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset


class ContactFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    role = django_filters.ChoiceFilter(choices=Contact.Role.choices, label=_("role"))
    active = YesNoFilter(label=_("active"))
    q = SearchFilter(fields=["name", "phone", "email", "customer__name"])

    class Meta:
        model = Contact
        fields = ["customer", "role", "active", "q"]


class CustomerMergeFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(method="_customer", label=_("customer code"))
    undone = YesNoFilter(
        field_name="undone_at", lookup_expr="isnull", exclude=True, label=_("undone")
    )
    since = django_filters.DateFilter(
        field_name="merged_at", lookup_expr="date__gte", label=_("from")
    )
    until = django_filters.DateFilter(
        field_name="merged_at", lookup_expr="date__lte", label=_("to")
    )

    class Meta:
        model = CustomerMerge
        fields = ["customer", "undone", "since", "until"]

    def _customer(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(survivor__code=value) | Q(merged__code=value))
