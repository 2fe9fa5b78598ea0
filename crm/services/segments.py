"""Segments: saved customer filters (crm.filters.segments.SegmentFilter),
counted live. A segment's `filters` is the filter's query as a dict, checked
here so a saved segment always runs."""

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from crm.filters.segments import MULTI_KEYS, SEGMENT_KEYS, SegmentFilter
from crm.models import Customer, Segment
from erp.core.errors import DomainError


class SegmentInvalid(DomainError):
    status_code = 400
    code = "invalid"


def _plain(value):
    """A cleaned filter value as it is stored (what the query string would say)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, models.Model):
        return getattr(value, "username", None) or getattr(value, "name", None) or str(value.pk)
    if isinstance(value, list | tuple | models.QuerySet):
        return [_plain(item) for item in value]
    return str(value)


def segment_filters_clean(*, filters) -> dict:
    """The filters as stored: known keys only, valid values, empty ones dropped.

    Raises SegmentInvalid naming the key (the form field) that is wrong."""
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise SegmentInvalid(
            _("Filters must be an object of filter names and values."), field="filters"
        )
    unknown = sorted(set(filters) - set(SEGMENT_KEYS))
    if unknown:
        raise SegmentInvalid(_("Unknown filter %(key)s.") % {"key": unknown[0]}, field=unknown[0])
    data = {}
    for key, value in filters.items():
        if key in MULTI_KEYS and not isinstance(value, list | tuple):
            value = [value] if value not in (None, "") else []
        if key not in MULTI_KEYS and isinstance(value, list | tuple | dict):
            raise SegmentInvalid(_("Give one value."), field=key)
        data[key] = value
    filterset = SegmentFilter(data=data, queryset=Customer.objects.none())
    if not filterset.is_valid():
        key, errors = next(iter(filterset.errors.items()))
        raise SegmentInvalid(f"{filterset.form.fields[key].label}: {errors[0]}", field=key)
    if filterset.form.cleaned_data.get(
        "bought_within_days"
    ) and not filterset.form.cleaned_data.get("bought_category"):
        raise SegmentInvalid(
            _("Choose the product category the days apply to."), field="bought_category"
        )
    clean = {}
    for key in SEGMENT_KEYS:
        value = filterset.form.cleaned_data.get(key)
        if value in (None, "") or (isinstance(value, list | tuple | models.QuerySet) and not value):
            continue
        clean[key] = _plain(value)
    return clean


def _name_free(name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise SegmentInvalid(_("A segment needs a name."), field="name")
    taken = Segment.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise SegmentInvalid(
            _("A segment named %(name)s exists already.") % {"name": name}, field="name"
        )
    return name


@transaction.atomic
def segment_create(*, name: str, filters: dict, description: str = "", actor=None) -> Segment:
    name = _name_free(name)
    try:
        # The check above gives the message; the unique constraint decides
        # when two people save the same name at once.
        with transaction.atomic():
            return Segment.objects.create(
                name=name,
                description=(description or "").strip(),
                filters=segment_filters_clean(filters=filters),
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        raise SegmentInvalid(
            _("A segment named %(name)s exists already.") % {"name": name}, field="name"
        ) from None


@transaction.atomic
def segment_update(*, segment: Segment, actor=None, **changes) -> Segment:
    """Change the name, description or filters. Campaigns already sent keep
    their recipients: a segment is read when a campaign is sent."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    fields = []
    if "name" in changes:
        segment.name = _name_free(changes.pop("name"), exclude_pk=segment.pk)
        fields.append("name")
    if "description" in changes:
        segment.description = (changes.pop("description") or "").strip()
        fields.append("description")
    if "filters" in changes:
        segment.filters = segment_filters_clean(filters=changes.pop("filters"))
        fields.append("filters")
    if changes:
        raise SegmentInvalid(
            _("Unknown field %(field)s.") % {"field": next(iter(changes))},
            field=next(iter(changes)),
        )
    if fields:
        segment.save(update_fields=[*fields, "updated_at"])
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    if segment.campaigns.exists():
        raise DomainError(
            _("Segment %(name)s has campaigns; it is kept for their record.")
            % {"name": segment.name},
            code="in_use",
        )
    segment.delete()
