import django_filters
from django.utils.translation import gettext_lazy as _

from analytics.models import Report, ReportSchedule
from erp.core.filters import YesNoFilter


class ReportFilter(django_filters.FilterSet):
    """Shared by the report list page and /api/v1/reports/."""

    kind = django_filters.MultipleChoiceFilter(choices=Report.Kind.choices, label=_("kind"))
    status = django_filters.MultipleChoiceFilter(choices=Report.Status.choices, label=_("status"))
    # Not "format": DRF reads ?format= as the response's format.
    file_format = django_filters.ChoiceFilter(
        field_name="format", choices=Report.Format.choices, label=_("format")
    )
    scheduled = YesNoFilter(
        field_name="schedule", lookup_expr="isnull", exclude=True, label=_("scheduled")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("finished_at", "finished_at")),
        label=_("order by"),
    )

    class Meta:
        model = Report
        fields = ["kind", "status", "file_format"]


class ReportScheduleFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Report.Kind.choices, label=_("kind"))
    enabled = YesNoFilter(label=_("enabled"))
    ordering = django_filters.OrderingFilter(fields=(("name", "name"),), label=_("order by"))

    class Meta:
        model = ReportSchedule
        fields = ["kind", "enabled"]
