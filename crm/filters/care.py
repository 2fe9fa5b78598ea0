import django_filters
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import CareRule, CareTask
from erp.core.filters import SearchFilter, YesNoFilter


def _assignees(request):
    return get_user_model().objects.filter(care_tasks__isnull=False).distinct().order_by("username")


def _rules(request):
    return CareRule.objects.order_by("code")


class CareTaskFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["title", "reference", "detail", "customer__code", "customer__name"])
    status = django_filters.MultipleChoiceFilter(choices=CareTask.Status.choices, label=_("status"))
    rule = django_filters.ModelChoiceFilter(queryset=_rules, to_field_name="code", label=_("rule"))
    manual = YesNoFilter(field_name="rule", lookup_expr="isnull", label=_("made by hand"))
    priority = django_filters.ChoiceFilter(choices=CareTask.Priority.choices, label=_("priority"))
    assignee = django_filters.ModelChoiceFilter(
        queryset=_assignees, to_field_name="username", label=_("assignee")
    )
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    due_from = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__gte", label=_("due from")
    )
    due_to = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__lte", label=_("due to")
    )
    overdue = YesNoFilter(method="filter_overdue", label=_("overdue"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("due_at", "due_at"),
            ("priority", "priority"),
            ("created_at", "created_at"),
            ("status", "status"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = CareTask
        fields = ["q", "status", "rule", "priority", "assignee", "customer"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = {"status": CareTask.Status.OPEN, "due_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)
