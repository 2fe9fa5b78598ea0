"""The segment form: a name, a description and the fields of the segment
filter (crm.filters.segments.SegmentFilter), whose values are saved as the
segment's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.filters.segments import MULTI_KEYS, SEGMENT_KEYS, SegmentFilter


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(label=_("description"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, field in SegmentFilter().form.fields.items():
            if key in SEGMENT_KEYS:
                field.required = False
                self.fields[key] = field

    def filters(self) -> dict:
        """The filter values as typed (the service checks and normalises them)."""
        data = self.data
        values = {}
        for key in SEGMENT_KEYS:
            if key in MULTI_KEYS:
                values[key] = data.getlist(key) if hasattr(data, "getlist") else data.get(key)
            else:
                values[key] = data.get(key, "")
        return values

    def filter_fields(self):
        return [self[key] for key in SEGMENT_KEYS]


def segment_initial(segment) -> dict:
    return {"name": segment.name, "description": segment.description, **segment.filters}
