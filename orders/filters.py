import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from orders.models import SalesChannel


class SalesChannelFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    kind = django_filters.ChoiceFilter(choices=SalesChannel.Kind.choices, label=_("kind"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("kind", "kind")), label=_("order by")
    )

    class Meta:
        model = SalesChannel
        fields = ["q", "kind", "active"]
