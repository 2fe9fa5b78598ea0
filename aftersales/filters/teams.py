import django_filters
from django.utils.translation import gettext_lazy as _

from aftersales.models import ServiceTeam
from erp.core.filters import SearchFilter, YesNoFilter


class ServiceTeamFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name")), label=_("order by")
    )

    class Meta:
        model = ServiceTeam
        fields = ["q", "active"]
