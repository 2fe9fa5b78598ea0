"""Pieces every app's FilterSets share."""

from functools import reduce
from operator import or_

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from erp.core.models import AuditEvent


class _AnyYesNoWidget(django_filters.widgets.BooleanWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("any")), ("true", _("yes")), ("false", _("no"))]


class YesNoFilter(django_filters.BooleanFilter):
    """A yes/no filter whose empty choice reads "any" (not "unknown")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _AnyYesNoWidget)
        super().__init__(*args, **kwargs)


class SearchFilter(django_filters.CharFilter):
    """`?q=` matches any of the given fields (case-insensitive substring)."""

    def __init__(self, *, fields: list[str], **kwargs):
        kwargs.setdefault("label", _("Search"))
        super().__init__(method=self._search, **kwargs)
        self.search_fields = fields

    def _search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            reduce(or_, (Q(**{f"{field}__icontains": value}) for field in self.search_fields))
        )


class AuditEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AuditEvent.Kind.choices, label=_("kind"))
    username = django_filters.CharFilter(lookup_expr="icontains", label=_("username"))
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("from")
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("to")
    )

    class Meta:
        model = AuditEvent
        fields = ["kind", "username", "since", "until"]
