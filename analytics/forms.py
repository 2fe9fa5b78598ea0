"""The forms of the alert page (acknowledge, give to someone, resolve), and
the channel and warehouse filter the dashboards and the timeline share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.services.lifecycle import alert_owner_choices
from erp.core.templatetags.erp_tags import person_name
from inventory.models import Warehouse
from orders.models import SalesChannel


class PlaceFilterForm(forms.Form):
    """A sales channel and a warehouse, each by code and optional (a GET form)."""

    channel = forms.ModelChoiceField(
        label=_("sales channel"),
        queryset=SalesChannel.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("all"),
    )
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"),
        queryset=Warehouse.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("all"),
    )

    def place_ids(self) -> dict:
        """The chosen channel's and warehouse's ids (None: all)."""
        data = self.cleaned_data
        return {
            "channel_id": data["channel"].pk if data.get("channel") else None,
            "warehouse_id": data["warehouse"].pk if data.get("warehouse") else None,
        }


class AlertAcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("optional")}),
    )


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class AlertAssignForm(forms.Form):
    owner = OwnerChoiceField(label=_("owner"), queryset=None, empty_label=None)

    def __init__(self, *args, alert, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = alert_owner_choices(alert).order_by(
            "first_name", "last_name", "username"
        )


class AlertResolveForm(forms.Form):
    # Not required here: the service refuses an empty note with its own message.
    resolution_note = forms.CharField(
        label=_("resolution note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done about it."),
    )
