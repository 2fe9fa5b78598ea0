import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from logistics.models import Carrier


class CarrierFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    mode = django_filters.ChoiceFilter(choices=Carrier.Mode.choices, label=_("transport mode"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("mode", "mode")), label=_("order by")
    )

    class Meta:
        model = Carrier
        fields = ["q", "mode", "active"]
