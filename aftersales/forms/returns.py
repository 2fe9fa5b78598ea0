"""Forms of the return (RMA) pages."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.models import ReturnLine, ReturnRequest
from inventory.models import Product, Warehouse
from logistics.models import Carrier


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several image files under one name; the service checks their size and
    that each is a JPEG, PNG or WebP image."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(
                attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


CONDITION_CHOICES = [("", "—"), *ReturnLine.Condition.choices]


class ReturnRequestForm(forms.Form):
    """A return or exchange of an order: how many of each delivered line (at
    most what may still come back), in what condition, and why."""

    kind = forms.ChoiceField(label=_("kind"), choices=ReturnRequest.Kind.choices)
    reason = forms.CharField(
        label=_("reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultiplePhotoField(label=_("photos"), required=False)

    def __init__(self, *args, options, **kwargs):
        """`options`: aftersales.services.returns.returnable_lines(order)."""
        super().__init__(*args, **kwargs)
        self.line_rows = []
        replacements = Product.objects.filter(active=True).order_by("sku")
        for option in options:
            line = option.line
            if not option.delivered:
                continue
            no = line.line_no
            names = {
                "quantity": f"line_{no}_quantity",
                "condition": f"line_{no}_condition",
                "replacement": f"line_{no}_replacement",
            }
            self.fields[names["quantity"]] = forms.IntegerField(
                label=f"#{no} {line.sku} {line.name}",
                min_value=0,
                max_value=option.returnable,
                initial=0,
                required=False,
                disabled=not option.returnable,
            )
            self.fields[names["condition"]] = forms.ChoiceField(
                label=_("condition"), choices=CONDITION_CHOICES, required=False
            )
            self.fields[names["replacement"]] = forms.ModelChoiceField(
                label=_("replacement product"),
                queryset=replacements,
                to_field_name="sku",
                required=False,
                empty_label=_("same product"),
            )
            self.line_rows.append({"option": option, "names": names})

    def rows(self):
        """Each line with its bound fields, for the template."""
        return [
            {
                "option": row["option"],
                "quantity": self[row["names"]["quantity"]],
                "condition": self[row["names"]["condition"]],
                "replacement": self[row["names"]["replacement"]],
            }
            for row in self.line_rows
        ]

    def chosen_lines(self) -> list[dict]:
        data = self.cleaned_data
        chosen = []
        for row in self.line_rows:
            names = row["names"]
            quantity = data.get(names["quantity"]) or 0
            if not quantity:
                continue
            replacement = data.get(names["replacement"])
            chosen.append(
                {
                    "order_line": row["option"].line,
                    "quantity": quantity,
                    "condition": data.get(names["condition"]) or "",
                    "replacement_product": replacement
                    if data.get("kind") == ReturnRequest.Kind.EXCHANGE
                    else None,
                }
            )
        return chosen

    def field_for_error(self, name: str | None) -> str | None:
        """The form field a service error names: `lines[i].quantity` is the
        quantity of the i-th chosen line; `reason` is `reason`; `photos[i]`
        is `photos`. Anything else (`ticket`) is the form's own error."""
        if name in self.fields:
            return name
        if re.fullmatch(r"photos\[\d+\]", name or ""):
            return "photos"
        match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", name or "")
        chosen = self.chosen_lines() if match else []
        if not match or int(match.group(1)) >= len(chosen):
            return None
        number = chosen[int(match.group(1))]["order_line"].line_no
        part = {"replacement_product": "replacement"}.get(match.group(2), match.group(2))
        field = f"line_{number}_{part}"
        return field if field in self.fields else f"line_{number}_quantity"

    def clean(self):
        data = super().clean()
        if not self.errors and self.line_rows and not self.chosen_lines():
            raise forms.ValidationError(_("Return at least one unit."))
        return data


class ApproveForm(forms.Form):
    reason = forms.CharField(label=_("note"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class LabelForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=_("return carrier"), queryset=Carrier.objects.filter(active=True)
    )
    tracking_number = forms.CharField(label=_("return waybill number"), max_length=50)


class ReceiveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("receiving warehouse"),
        queryset=Warehouse.objects.filter(active=True).order_by("code"),
        to_field_name="code",
    )
    receive_into = forms.ChoiceField(
        label=_("receive into"), choices=ReturnRequest.ReceiveInto.choices
    )

    def __init__(self, *args, rma: ReturnRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in rma.lines.all():
            name = f"line_{line.order_line.line_no}"
            self.fields[name] = forms.IntegerField(
                label=f"#{line.order_line.line_no} {line.order_line.sku}",
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                required=False,
            )
            self.line_fields.append((name, line))

    def received_lines(self) -> list[dict]:
        return [
            {"line": line.order_line.line_no, "quantity": self.cleaned_data.get(name) or 0}
            for name, line in self.line_fields
        ]


class InspectForm(forms.Form):
    def __init__(self, *args, rma: ReturnRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_rows = []
        for line in rma.lines.all():
            if not line.quantity_received:
                continue
            no = line.order_line.line_no
            names = {
                "disposition": f"line_{no}_disposition",
                "condition": f"line_{no}_condition",
                "note": f"line_{no}_note",
            }
            self.fields[names["disposition"]] = forms.ChoiceField(
                label=f"#{no} {line.order_line.sku} × {line.quantity_received}",
                choices=ReturnLine.Disposition.choices,
            )
            self.fields[names["condition"]] = forms.ChoiceField(
                label=_("condition"),
                choices=CONDITION_CHOICES,
                required=False,
                initial=line.condition,
            )
            self.fields[names["note"]] = forms.CharField(
                label=_("inspection note"), max_length=500, required=False
            )
            self.line_rows.append((names, line))

    def rows(self):
        return [
            {
                "line": line,
                "disposition": self[names["disposition"]],
                "condition": self[names["condition"]],
                "note": self[names["note"]],
            }
            for names, line in self.line_rows
        ]

    def decisions(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "line": line.order_line.line_no,
                "disposition": data[names["disposition"]],
                "condition": data.get(names["condition"]) or "",
                "note": data.get(names["note"]) or "",
            }
            for names, line in self.line_rows
        ]


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("refund amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    reason = forms.CharField(label=_("reason"), required=False, max_length=255)


class ExchangeForm(forms.Form):
    """Nothing to enter: the replacement follows from the return's lines."""
