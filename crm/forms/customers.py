from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Customer


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


class CustomerEditForm(forms.Form):
    """A customer's details; consent changes are recorded with their source."""

    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Customer.Kind.choices)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    language = forms.ChoiceField(label=_("language"), choices=Customer.Language.choices)
    account_manager = forms.ModelChoiceField(
        label=_("account manager"), queryset=None, required=False
    )
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas."),
    )
    marketing_consent = forms.BooleanField(label=_("marketing consent"), required=False)
    consent_source = forms.ChoiceField(
        label=_("consent source"),
        choices=[("", "---------"), *Customer.ConsentSource.choices],
        required=False,
        help_text=_("Where the customer gave or withdrew consent; needed when it changes."),
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, customer: Customer, **kwargs):
        from crm.filters.customers import _account_managers

        self.customer = customer
        kwargs.setdefault(
            "initial",
            {
                "name": customer.name,
                "kind": customer.kind,
                "phone": customer.phone,
                "email": customer.email,
                "language": customer.language,
                "account_manager": customer.account_manager,
                "tags": ", ".join(tag.name for tag in customer.tags.all()),
                "marketing_consent": customer.marketing_consent,
                "consent_source": customer.consent_source,
                "note": customer.note,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = _account_managers()

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address."))
        if self.consent_changed() and not data.get("consent_source"):
            self.add_error("consent_source", _("Say where the customer gave or withdrew consent."))
        return data

    def consent_changed(self) -> bool:
        return bool(self.cleaned_data.get("marketing_consent")) != self.customer.marketing_consent

    def update_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            key: data[key]
            for key in ("name", "kind", "phone", "email", "language", "account_manager", "note")
        }
        kwargs["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
        return kwargs


class ContactForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    role = forms.ChoiceField(label=_("role"), choices=Contact.Role.choices)
    title = forms.CharField(label=_("job title"), max_length=100, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address."))
        return data
