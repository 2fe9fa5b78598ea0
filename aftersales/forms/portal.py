"""The customer's "contact us about this order" form (no sign-in)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.forms.tickets import AttachmentsField
from aftersales.models import TicketKind

PORTAL_KINDS = [
    (TicketKind.COMPLAINT, _("complaint")),
    (TicketKind.INQUIRY, _("inquiry")),
    (TicketKind.RETURN, _("request a return")),
    (TicketKind.EXCHANGE, _("request an exchange")),
    (TicketKind.REPAIR, _("request a repair")),
]


class PortalTicketForm(forms.Form):
    phone_tail = forms.RegexField(
        label=_("last 4 digits of your phone number"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("Enter the last 4 digits of your phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("what is it about"), choices=PORTAL_KINDS)
    subject = forms.CharField(label=_("subject"), max_length=200)
    message = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField(label=_("photos"))
