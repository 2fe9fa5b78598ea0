import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import Interaction
from erp.core.filters import SearchFilter, YesNoFilter


def _staff(request):
    return (
        get_user_model()
        .objects.filter(crm_interactions__isnull=False)
        .distinct()
        .order_by("username")
    )


class InteractionFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["subject", "body", "reference", "customer__code", "customer__name"])
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    kind = django_filters.MultipleChoiceFilter(choices=Interaction.Kind.choices, label=_("kind"))
    direction = django_filters.ChoiceFilter(
        choices=Interaction.Direction.choices, label=_("direction")
    )
    staff = django_filters.ModelChoiceFilter(
        queryset=_staff, to_field_name="username", label=_("staff member")
    )
    by_system = YesNoFilter(label=_("written by the system"))
    occurred_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("from")
    )
    occurred_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("to")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("occurred_at", "occurred_at"), ("kind", "kind")),
        label=_("order by"),
    )

    class Meta:
        model = Interaction
        fields = ["q", "customer", "kind", "direction", "staff", "by_system"]
