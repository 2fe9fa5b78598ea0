from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Customer


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Customer.Kind.choices)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    tier = forms.ChoiceField(label=_("tier"), choices=Customer.Tier.choices)
    marketing_consent = forms.BooleanField(label=_("marketing consent"), required=False)
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    district = forms.CharField(label=_("district"), max_length=50, required=False)
    street = forms.CharField(label=_("street address"), max_length=255, required=False)
    postcode = forms.CharField(label=_("postcode"), max_length=12, required=False)

    ADDRESS_FIELDS = ("province", "city", "district", "street", "postcode")

    def clean(self):
        data = super().clean()
        given = [f for f in self.ADDRESS_FIELDS if data.get(f)]
        if given:
            for required in ("province", "city", "street"):
                if not data.get(required):
                    self.add_error(required, _("Needed when an address is given."))
        if not data.get("phone") and not data.get("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            key: data[key]
            for key in ("name", "kind", "phone", "email", "tier", "marketing_consent")
        }
        if data.get("street"):
            kwargs["address"] = {
                "recipient": data["name"],
                "phone": data.get("phone", ""),
                **{f: data.get(f, "") for f in self.ADDRESS_FIELDS},
            }
        return kwargs
