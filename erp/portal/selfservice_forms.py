"""Forms of the portal's self-service pages: a return or exchange, a repair
request, a complaint or question, a reply to a ticket. The rating reuses the
survey form of after-sales (aftersales.forms.feedback.SurveyForm).

The forms check the shape of what was typed; what may be returned (delivered,
not yet back, inside the window), who may act and everything else is decided
by the after-sales services, whose messages the pages show next to the field
they name."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.forms.feedback import SurveyForm
from aftersales.forms.returns import MultiplePhotoField
from aftersales.models import ReturnRequest, TicketKind
from aftersales.services.returns import MAX_PHOTOS, ReturnInvalid, photos_check

MESSAGE_MAX = 5000

# Why goods come back: ReturnPolicy carries no list of reasons of its own, so
# the portal offers these; the code goes to the ticket's reason code, the
# words (in the site's language) to the return's reason.
RETURN_REASONS = [
    ("changed_mind", _("I changed my mind")),
    ("defective", _("It does not work properly")),
    ("damaged", _("It arrived damaged")),
    ("wrong_item", _("I received the wrong item")),
    ("not_as_described", _("It is not as described")),
    ("other", _("Another reason")),
]


class PhotosField(MultiplePhotoField):
    """Up to MAX_PHOTOS photos, each a whole JPEG, PNG or WebP image of at
    most 10 MB (after-sales' own check of return photos; a file renamed to
    .jpg is still refused)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("photos (optional)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("Up to %(count)s photos, JPEG, PNG or WebP, at most 10 MB each.")
            % {"count": MAX_PHOTOS},
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        photos = super().clean(data, initial)
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("Send at most %(count)s photos.") % {"count": MAX_PHOTOS}, code="too_many"
            )
        try:
            photos_check(photos)
        except ReturnInvalid as error:
            raise forms.ValidationError(error.message, code="invalid_photo") from None
        return photos


class PortalForm(forms.Form):
    """A self-service form. `needs_check`: the visitor has not yet shown, in
    this browser session, that they are the customer (see
    erp.portal.views.selfservice); the form then asks first for the check of
    the lookup form: the last 4 digits of the order's phone number, or its
    postcode."""

    def __init__(self, *args, needs_check: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_check = needs_check
        if needs_check:
            check = forms.CharField(
                label=_("last 4 digits of your phone number, or the postcode"),
                help_text=_("The phone number or postcode of the order's delivery address."),
                min_length=4,
                max_length=12,
                error_messages={
                    "required": _("Enter the last 4 digits of your phone number."),
                    "min_length": _("Enter the last 4 digits of your phone number."),
                },
                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
            )
            self.fields = {"check": check, **self.fields}
        for field in self.fields.values():
            widget = field.widget
            css = (
                "form-check-input"
                if isinstance(widget, forms.RadioSelect)
                else "form-select"
                if isinstance(widget, forms.Select)
                else "form-control"
            )
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def mark_invalid(self) -> None:
        """Flag the fields with errors for the eye and for screen readers."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def clean_check(self) -> str:
        return "".join(self.cleaned_data["check"].split()).upper()


class ReturnForm(PortalForm):
    """A return or exchange: how many of each line, why, and photos. Every
    line of the order has a quantity box, so that what may not come back
    (not delivered, already back, window closed) is refused by the returns
    service with its own message naming the line."""

    kind = forms.ChoiceField(
        label=_("what would you like"),
        choices=[
            (ReturnRequest.Kind.RETURN, _("Return it for a refund")),
            (ReturnRequest.Kind.EXCHANGE, _("Exchange it for the same product")),
        ],
        initial=ReturnRequest.Kind.RETURN,
        widget=forms.RadioSelect,
    )
    reason_code = forms.ChoiceField(
        label=_("reason"),
        choices=[("", _("Choose a reason")), *RETURN_REASONS],
        required=False,
    )
    details = forms.CharField(
        label=_("tell us more (optional)"),
        max_length=400,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField()

    def __init__(self, *args, options, **kwargs):
        """`options`: aftersales.services.returns.returnable_lines(order)."""
        super().__init__(*args, **kwargs)
        self.options = options
        for option in options:
            self.fields[self.quantity_name(option.line)] = forms.IntegerField(
                label=option.line.name,
                min_value=0,
                max_value=9999,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            )

    @staticmethod
    def quantity_name(line) -> str:
        return f"line_{line.line_no}_quantity"

    def rows(self):
        """Each line, what may still come back, and its quantity box."""
        return [
            {"option": option, "quantity": self[self.quantity_name(option.line)]}
            for option in self.options
        ]

    def chosen_lines(self) -> list[dict]:
        data = getattr(self, "cleaned_data", {})
        return [
            {"order_line": option.line, "quantity": data[name]}
            for option in self.options
            if data.get(name := self.quantity_name(option.line))
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.chosen_lines():
            raise forms.ValidationError(
                _("Enter how many of an item you want to send back."), code="nothing_chosen"
            )
        return data

    def field_for_error(self, name: str | None) -> str | None:
        """The form field a service error names: `lines[i].*` is the i-th
        chosen line's quantity, `reason` the reason, `photos[i]` the photos."""
        if name == "reason":
            return "reason_code"
        if re.fullmatch(r"photos(\[\d+\])?", name or ""):
            return "photos"
        match = re.fullmatch(r"lines\[(\d+)\]\.\w+", name or "")
        chosen = self.chosen_lines() if match else []
        if match and int(match.group(1)) < len(chosen):
            return self.quantity_name(chosen[int(match.group(1))]["order_line"])
        return None


class RepairForm(PortalForm):
    """A repair of a delivered product: which one, its serial number, what is wrong."""

    line = forms.TypedChoiceField(label=_("which product"), coerce=int, widget=forms.RadioSelect)
    serial_number = forms.CharField(
        label=_("serial number"),
        max_length=64,
        required=False,
        help_text=_("On the product's label or box, if it has one."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    fault = forms.CharField(
        label=_("what is wrong"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the fault.")},
    )
    photos = PhotosField()

    def __init__(self, *args, lines, **kwargs):
        """`lines`: the order's lines with delivered units."""
        super().__init__(*args, **kwargs)
        self.lines = {line.line_no: line for line in lines}
        self.fields["line"].choices = [
            (line.line_no, f"{line.name} ({line.sku})") for line in lines
        ]
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].line_no

    def order_line(self):
        return self.lines[self.cleaned_data["line"]]


class ComplaintForm(PortalForm):
    """A complaint or a question about the order."""

    kind = forms.ChoiceField(
        label=_("what is it about"),
        choices=[
            (TicketKind.COMPLAINT, pgettext_lazy("portal", "A complaint")),
            (TicketKind.INQUIRY, pgettext_lazy("portal", "A question")),
        ],
        initial=TicketKind.COMPLAINT,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    message = forms.CharField(
        label=_("message"), max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    photos = PhotosField()


class ReplyForm(PortalForm):
    """The customer's answer on one of their tickets."""

    body = forms.CharField(
        label=_("your message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message.")},
    )
    photos = PhotosField()


class RateForm(PortalForm, SurveyForm):
    """The after-sales survey (stars, 0-10, comment), with the check when needed."""
