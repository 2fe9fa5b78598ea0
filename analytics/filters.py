import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import Alert, KpiTarget
from erp.core.filters import SearchFilter, YesNoFilter


class KpiTargetFilter(django_filters.FilterSet):
    kpi = django_filters.ChoiceFilter(choices=KpiTarget.Kpi.choices, label=_("KPI"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(fields=(("kpi", "kpi"),), label=_("order by"))

    class Meta:
        model = KpiTarget
        fields = ["kpi", "active"]


class AlertFilter(django_filters.FilterSet):
    """Shared by the alert list page and /api/v1/alerts/."""

    q = SearchFilter(fields=["number", "subject_label", "message"])
    kind = django_filters.MultipleChoiceFilter(choices=Alert.Kind.choices, label=_("kind"))
    severity = django_filters.MultipleChoiceFilter(
        choices=Alert.Severity.choices, label=_("severity")
    )
    status = django_filters.MultipleChoiceFilter(choices=Alert.Status.choices, label=_("status"))
    mine = YesNoFilter(method="filter_mine", label=_("mine"))
    overdue = YesNoFilter(method="filter_overdue", label=_("overdue"))
    cleared = YesNoFilter(method="filter_cleared", label=_("condition cleared"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("number", "number"),
            ("severity", "severity"),
            ("raised_at", "raised_at"),
            ("deadline", "deadline"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Alert
        fields = ["kind", "severity", "status"]

    def filter_mine(self, queryset, name, value):
        """Given to me (yes) or not (no)."""
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none() if value else queryset
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)

    def filter_overdue(self, queryset, name, value):
        """Unresolved and past the deadline (yes), or not (no)."""
        if value is None:
            return queryset
        overdue = Q(status__in=Alert.OPEN_STATUSES, deadline__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_cleared(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(cleared_at__isnull=not value)
