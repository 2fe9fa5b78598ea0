"""Form of the log-an-interaction page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Interaction

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Interaction.Kind.choices)
    direction = forms.ChoiceField(
        label=_("direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.OUTBOUND,
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    body = forms.CharField(
        label=_("text"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    occurred_at = forms.DateTimeField(
        label=_("time"),
        required=False,
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Empty: now."),
    )
    contact = forms.ModelChoiceField(
        label=_("contact"), queryset=Contact.objects.none(), required=False
    )
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.fields["contact"].queryset = customer.contacts.filter(active=True)
