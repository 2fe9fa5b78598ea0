"""Forms of the portal's customer sign-in."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from erp.core.errors import DomainError
from erp.portal.otp import address_parse


class SignInForm(forms.Form):
    address = forms.CharField(
        label=_("E-mail or mobile number"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean_address(self) -> str:
        value = self.cleaned_data["address"]
        try:
            address_parse(value)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return value


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "maxlength": "12",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Enter the 6 digits of the code."))
        return code
