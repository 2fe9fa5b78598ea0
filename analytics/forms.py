"""The forms of the alert page: acknowledge, give to someone, resolve."""

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.services.lifecycle import alert_owner_choices
from erp.core.templatetags.erp_tags import person_name


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
