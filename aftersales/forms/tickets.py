"""Forms of the ticket pages: phone intake, the reply and note boxes and
the actions on a ticket."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import Priority, ServiceTeam, Ticket, TicketKind
from aftersales.services.tickets import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from crm.models import Customer
from erp.core.templatetags.erp_tags import person_name
from logistics.models import Shipment
from orders.models import Order

CUSTOMER_DATALIST_ID = "customer-options"
ORDER_DATALIST_ID = "order-options"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files (up to the service's limit), each at most 10 MB."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("attachments"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(AttachmentsField, self).clean(f, initial) for f in files]
        cleaned = [f for f in cleaned if f]
        if len(cleaned) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(count)s files per message.") % {"count": MAX_ATTACHMENTS}
            )
        for upload in cleaned:
            if upload.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 10 MB.") % {"name": upload.name}
                )
        return cleaned


def find_customer(text: str) -> Customer | None:
    """The customer a typed value names: a customer code, or a phone number
    or e-mail address only one customer has."""
    text = (text or "").strip()
    if not text:
        return None
    customer = Customer.objects.filter(code__iexact=text).first()
    if customer is not None:
        return customer
    digits = "".join(ch for ch in text if ch.isdigit())
    if "@" in text:
        matches = Customer.objects.filter(email__iexact=text)
    elif len(digits) >= 7:
        matches = Customer.objects.filter(phone__endswith=digits[-11:])
    else:
        return None
    matches = list(matches[:2])
    return matches[0] if len(matches) == 1 else None


def customer_suggestions(text: str, limit: int = 10):
    """Customers whose code, name, phone or e-mail contains the typed text."""
    text = (text or "").strip()
    if len(text) < 2:
        return Customer.objects.none()
    query = Q(code__icontains=text) | Q(name__icontains=text) | Q(email__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3:
        query |= Q(phone__contains=digits)
    return Customer.objects.filter(query).order_by("code")[:limit]


class TicketCreateForm(forms.Form):
    """A ticket typed in by an agent during a customer's call."""

    customer = forms.CharField(
        label=_("customer"),
        max_length=254,
        help_text=_("Customer code, or the phone number or e-mail address."),
    )
    order = forms.CharField(label=_("order number"), max_length=30, required=False)
    shipment = forms.CharField(label=_("shipment number"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=TicketKind.choices)
    category = forms.CharField(label=_("category"), max_length=50, required=False)
    reason_code = forms.CharField(label=_("reason code"), max_length=50, required=False)
    priority = forms.ChoiceField(
        label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("what the customer says"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_phone = forms.CharField(
        label=_("call-back number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to use the customer's phone."),
    )
    attachments = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customer = self.fields["customer"].widget.attrs
        customer.update({"autofocus": True, "autocomplete": "off", "list": CUSTOMER_DATALIST_ID})
        self.fields["order"].widget.attrs.update({"autocomplete": "off", "list": ORDER_DATALIST_ID})
        self.fields["contact_phone"].widget.attrs["inputmode"] = "tel"

    def sections(self) -> list[tuple]:
        """The fields in the groups the intake page shows them in."""
        groups = [
            (_("Customer"), ("customer", "contact_phone", "order", "shipment")),
            (_("Request"), ("kind", "priority", "category", "reason_code")),
            (_("What happened"), ("subject", "description", "attachments")),
        ]
        return [(heading, [self[name] for name in names]) for heading, names in groups]

    def clean_customer(self):
        value = self.cleaned_data["customer"]
        customer = find_customer(value)
        if customer is None:
            raise forms.ValidationError(
                _("No customer has the code, phone or e-mail “%(value)s”.") % {"value": value}
            )
        return customer

    def clean_order(self):
        number = self.cleaned_data["order"].strip()
        if not number:
            return None
        order = Order.objects.filter(number=number).first()
        if order is None:
            raise forms.ValidationError(_("No order %(number)s.") % {"number": number})
        return order

    def clean_shipment(self):
        number = self.cleaned_data["shipment"].strip()
        if not number:
            return None
        shipment = Shipment.objects.select_related("order").filter(number=number).first()
        if shipment is None:
            raise forms.ValidationError(_("No shipment %(number)s.") % {"number": number})
        return shipment


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("reply to the customer"), widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = AttachmentsField()
    wait_for_customer = forms.BooleanField(
        label=_("wait for the customer's answer"),
        required=False,
        help_text=_("The SLA clock stops until the customer answers."),
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("internal note"), widget=forms.Textarea(attrs={"rows": 3}))
    attachments = AttachmentsField()


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = person_name(obj)
        return name if name == obj.get_username() else f"{name} ({obj.get_username()})"


def members_of(team: ServiceTeam | None):
    """Active members of a team, by username (none without a team)."""
    if team is None:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(service_teams=team, is_active=True).order_by("username")


class AssignForm(forms.Form):
    """A team and one of its members (none: the team's unassigned pool)."""

    team = forms.ModelChoiceField(
        label=_("team"),
        queryset=ServiceTeam.objects.filter(active=True).order_by("code"),
        to_field_name="code",
    )
    assignee = MemberChoiceField(
        label=_("assignee"),
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="username",
        required=False,
        empty_label=pgettext_lazy("assignee", "nobody (team queue)"),
    )
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)

    def __init__(self, *args, team: ServiceTeam | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Offer the members of the chosen team; the service checks the
            # membership of whatever is posted.
            self.fields["assignee"].queryset = members_of(team)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("ticket", "new status"))
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing chosen until the user picks: submitting as it stands must not
        # quietly send the ticket back to "new".
        self.fields["status"].choices = [
            ("", "---------"),
            *((value, label) for value, label in Ticket.Status.choices if value in targets),
        ]


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class ResolveForm(forms.Form):
    summary = forms.CharField(
        label=_("resolution summary"), widget=forms.Textarea(attrs={"rows": 3})
    )
    responsibility = forms.ChoiceField(
        label=_("responsibility"),
        choices=[("", "---------"), *Ticket.Responsibility.choices],
    )


class ClassifyForm(forms.Form):
    category = forms.CharField(label=_("category"), max_length=50, required=False)
    reason_code = forms.CharField(label=_("reason code"), max_length=50, required=False)
    responsibility = forms.ChoiceField(
        label=_("responsibility"),
        choices=[("", "---------"), *Ticket.Responsibility.choices],
        required=False,
    )
