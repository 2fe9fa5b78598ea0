import django_filters
from django.utils.translation import gettext_lazy as _

from analytics.models import KpiTarget
from erp.core.filters import YesNoFilter


class KpiTargetFilter(django_filters.FilterSet):
    kpi = django_filters.ChoiceFilter(choices=KpiTarget.Kpi.choices, label=_("KPI"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(fields=(("kpi", "kpi"),), label=_("order by"))

    class Meta:
        model = KpiTarget
        fields = ["kpi", "active"]
