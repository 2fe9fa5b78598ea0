import django_filters
from django.utils.translation import gettext_lazy as _

from crm.models import Customer
from erp.core.filters import SearchFilter, YesNoFilter


class CustomerFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name", "phone", "email"])
    tier = django_filters.ChoiceFilter(choices=Customer.Tier.choices, label=_("tier"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("kind"))
    marketing_consent = YesNoFilter(label=_("marketing consent"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("tier", "tier"), ("created_at", "created_at")),
        label=_("order by"),
    )

    class Meta:
        model = Customer
        fields = ["q", "tier", "kind", "marketing_consent"]
