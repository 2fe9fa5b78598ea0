import django_filters
from django.utils.translation import gettext_lazy as _

from aftersales.models import BusinessCalendar, Priority, SlaPolicy
from crm.models import Customer
from erp.core.filters import SearchFilter, YesNoFilter


class SlaPolicyFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["name"])
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("priority"))
    customer_tier = django_filters.ChoiceFilter(
        choices=[("any", _("any tier")), *Customer.Tier.choices],
        method="_tier",
        label=_("customer tier"),
    )
    calendar = django_filters.CharFilter(
        field_name="calendar__code", lookup_expr="iexact", label=_("calendar")
    )
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("priority_rank", "priority"),
            ("name", "name"),
            ("first_response_minutes", "first_response_minutes"),
            ("resolution_minutes", "resolution_minutes"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = SlaPolicy
        fields = ["q", "priority", "customer_tier", "calendar", "active"]

    def _tier(self, queryset, name, value):
        return queryset.filter(customer_tier="" if value == "any" else value)


class BusinessCalendarFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    always_open = YesNoFilter(label=_("24x7"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name")), label=_("order by")
    )

    class Meta:
        model = BusinessCalendar
        fields = ["q", "always_open"]
