"""The segment filter: who is in a customer segment.

A segment is a saved query of this FilterSet (Segment.filters holds its
query as a dict), run live over the active (not merged) customers and their
nightly scores. What customers bought, and where, is looked up through the
reverse relations of orders by name (crm imports no higher app)."""

from datetime import timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Customer, CustomerScore, Segment, Tag
from erp.core.filters import SearchFilter, YesNoFilter

# Keys a saved segment may hold (everything but the list's search and order).
SEGMENT_KEYS = (
    "tier",
    "kind",
    "tags",
    "account_manager",
    "marketing_consent",
    "language",
    "province",
    "segment",
    "churn_level",
    "min_ltv",
    "max_ltv",
    "min_orders",
    "max_orders",
    "last_order_after",
    "last_order_before",
    "bought_category",
    "bought_within_days",
    "channel",
)
MULTI_KEYS = {"tier", "tags", "segment", "churn_level"}


def _account_managers(request):
    return (
        get_user_model()
        .objects.filter(managed_customers__isnull=False)
        .distinct()
        .order_by("username")
    )


def _order_model():
    # The order model, reached through Customer.orders: crm imports no higher app.
    return Customer._meta.get_field("orders").related_model


def _counted_orders():
    """Orders that count as purchases (not cancelled)."""
    return _order_model().objects.exclude(status="cancelled")


def _channel_choices() -> list[tuple[str, str]]:
    channel_model = _order_model()._meta.get_field("channel").related_model
    return list(channel_model.objects.order_by("code").values_list("code", "name"))


class SegmentFilter(django_filters.FilterSet):
    tier = django_filters.MultipleChoiceFilter(choices=Customer.Tier.choices, label=_("tier"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("kind"))
    tags = django_filters.ModelMultipleChoiceFilter(
        field_name="tags__name",
        queryset=Tag.objects.order_by("name"),
        to_field_name="name",
        label=_("tags"),
    )
    account_manager = django_filters.ModelChoiceFilter(
        queryset=_account_managers, to_field_name="username", label=_("account manager")
    )
    marketing_consent = YesNoFilter(label=_("marketing consent"))
    language = django_filters.ChoiceFilter(choices=Customer.Language.choices, label=_("language"))
    province = django_filters.CharFilter(
        field_name="default_address__province", lookup_expr="iexact", label=_("province")
    )
    segment = django_filters.MultipleChoiceFilter(
        field_name="score__segment", choices=CustomerScore.Segment.choices, label=_("RFM segment")
    )
    churn_level = django_filters.MultipleChoiceFilter(
        field_name="score__churn_level",
        choices=CustomerScore.ChurnLevel.choices,
        label=_("churn risk"),
    )
    min_ltv = django_filters.NumberFilter(
        field_name="score__lifetime_value", lookup_expr="gte", label=_("lifetime value from")
    )
    max_ltv = django_filters.NumberFilter(
        field_name="score__lifetime_value", lookup_expr="lte", label=_("lifetime value to")
    )
    min_orders = django_filters.NumberFilter(
        field_name="score__orders_count", lookup_expr="gte", label=_("orders from")
    )
    max_orders = django_filters.NumberFilter(
        field_name="score__orders_count", lookup_expr="lte", label=_("orders to")
    )
    last_order_after = django_filters.DateFilter(
        field_name="score__last_order_at", lookup_expr="date__gte", label=_("last order from")
    )
    last_order_before = django_filters.DateFilter(
        field_name="score__last_order_at", lookup_expr="date__lte", label=_("last order until")
    )
    bought_category = django_filters.CharFilter(
        method="_bought", label=_("bought from product category")
    )
    bought_within_days = django_filters.NumberFilter(
        method="_no_filter",
        label=_("within the last days"),
        help_text=_("With a category: only purchases in this many days count."),
    )
    channel = django_filters.ChoiceFilter(
        choices=_channel_choices, method="_channel", label=_("bought through channel")
    )

    class Meta:
        model = Customer
        fields = list(SEGMENT_KEYS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.form.fields["bought_within_days"]
        days.min_value = 1
        days.widget.attrs["min"] = 1
        days.validators.append(MinValueValidator(1))

    def _no_filter(self, queryset, name, value):
        return queryset

    def _bought(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        orders = _counted_orders().filter(lines__product__category__iexact=value)
        days = self.form.cleaned_data.get("bought_within_days")
        if days:
            orders = orders.filter(placed_at__gte=timezone.now() - timedelta(days=int(days)))
        # A subquery keeps one row per customer however many lines match.
        return queryset.filter(pk__in=orders.values("customer_id"))

    def _channel(self, queryset, name, value):
        orders = _counted_orders().filter(channel__code=value)
        return queryset.filter(pk__in=orders.values("customer_id"))


class SegmentCustomerFilter(django_filters.FilterSet):
    """The list of a segment's customers: a search and an order on top."""

    q = SearchFilter(fields=["code", "name", "phone", "email"])
    ordering = django_filters.OrderingFilter(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("tier", "tier"),
            ("score__lifetime_value", "lifetime_value"),
            ("score__orders_count", "orders"),
            ("score__last_order_at", "last_order"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Customer
        fields = ["q"]


class SegmentListFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["name", "description"])
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("updated_at", "updated_at")), label=_("order by")
    )

    class Meta:
        model = Segment
        fields = ["q"]


class CampaignFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name", "segment__name"])
    status = django_filters.MultipleChoiceFilter(choices=Campaign.Status.choices, label=_("status"))
    channel = django_filters.ChoiceFilter(choices=Campaign.Channel.choices, label=_("channel"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("created_at", "created_at"), ("sent_at", "sent_at")),
        label=_("order by"),
    )

    class Meta:
        model = Campaign
        fields = ["q", "status", "channel"]
