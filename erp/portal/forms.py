"""The portal's lookup form: order number plus a check the customer knows."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("order number"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    check = forms.CharField(
        label=_("last 4 digits of your phone number, or the postcode"),
        help_text=_("The phone number or postcode of the order's delivery address."),
        min_length=4,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()

    def clean_check(self) -> str:
        return "".join(self.cleaned_data["check"].split()).upper()
