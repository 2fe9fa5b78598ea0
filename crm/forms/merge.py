from django import forms
from django.utils.translation import gettext_lazy as _


class MergeForm(forms.Form):
    duplicate = forms.CharField(
        label=_("duplicate customer code"),
        max_length=20,
        help_text=_("This customer is merged into the one kept; its record stays, marked merged."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class DismissForm(forms.Form):
    first = forms.CharField(max_length=20)
    second = forms.CharField(max_length=20)
