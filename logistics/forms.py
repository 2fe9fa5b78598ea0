"""Forms of the carrier and shipment pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inventory.models import Warehouse
from logistics.models import Carrier, Shipment, ShipmentException, Vehicle

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CarrierForm(forms.Form):
    """A carrier and its freight tariff (base fee + weight x fee per kg, the
    freight cost estimated when a shipment leaves). Editing keeps the code."""

    code = forms.CharField(label=_("code"), max_length=20)
    name = forms.CharField(label=_("name"), max_length=100)
    mode = forms.ChoiceField(label=_("transport mode"), choices=Carrier.Mode.choices)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    tracking_url_template = forms.CharField(
        label=_("tracking link template"),
        max_length=255,
        required=False,
        help_text=_("Use {number} where the waybill number goes."),
    )
    emission_factor = forms.DecimalField(
        label=_("emission factor (g CO2e per tonne-km)"),
        max_digits=8,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Leave empty to use the default for the transport mode."),
    )
    base_fee = forms.DecimalField(
        label=_("base fee per shipment"), max_digits=10, decimal_places=2, min_value=0, initial=0
    )
    fee_per_kg = forms.DecimalField(
        label=_("fee per kg"), max_digits=10, decimal_places=2, min_value=0, initial=0
    )
    own_fleet = forms.BooleanField(label=_("own fleet"), required=False)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, carrier: Carrier | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if carrier is not None:
            self.fields["code"].disabled = True


class ShipmentCreateForm(forms.Form):
    """A shipment of an order: where from, how many of each line, when."""

    warehouse = forms.ModelChoiceField(
        label=_("origin warehouse"), queryset=Warehouse.objects.none(), to_field_name="code"
    )
    carrier = forms.ModelChoiceField(
        label=_("carrier"), queryset=Carrier.objects.filter(active=True), required=False
    )
    window_start = forms.DateTimeField(
        label=_("delivery window from"), required=False, widget=DATETIME
    )
    planned_delivery_at = forms.DateTimeField(
        label=_("planned delivery"), required=False, widget=DATETIME
    )
    temperature_min = forms.DecimalField(
        label=_("lowest temperature (°C)"), required=False, max_digits=5, decimal_places=2
    )
    temperature_max = forms.DecimalField(
        label=_("highest temperature (°C)"), required=False, max_digits=5, decimal_places=2
    )
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    def __init__(self, *args, order, free: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        warehouse_ids = {wh for (_line, wh) in free}
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=warehouse_ids)
        if len(warehouse_ids) == 1:
            self.fields["warehouse"].initial = Warehouse.objects.get(pk=next(iter(warehouse_ids)))
        self.line_fields = []
        for line in order.lines.order_by("line_no"):
            units = sum(q for (line_id, _wh), q in free.items() if line_id == line.pk)
            name = f"line_{line.line_no}"
            self.fields[name] = forms.IntegerField(
                label=f"#{line.line_no} {line.sku} {line.name}",
                min_value=0,
                max_value=units,
                initial=units,
                required=False,
                help_text=_("%(units)s unit(s) reserved and not on a shipment") % {"units": units},
            )
            self.line_fields.append((name, line))

    def chosen_lines(self) -> list[tuple[int, int]]:
        return [
            (line.line_no, self.cleaned_data[name])
            for name, line in self.line_fields
            if self.cleaned_data.get(name)
        ]

    def clean(self):
        data = super().clean()
        if self.line_fields and not any(data.get(name) for name, _line in self.line_fields):
            raise forms.ValidationError(_("Ship at least one unit."))
        return data


class DispatchForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=_("carrier"), queryset=Carrier.objects.filter(active=True), required=False
    )
    vehicle = forms.ModelChoiceField(
        label=_("vehicle"), queryset=Vehicle.objects.none(), required=False
    )
    tracking_number = forms.CharField(label=_("tracking number"), required=False, max_length=64)

    def __init__(self, *args, shipment: Shipment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = Vehicle.objects.filter(
            depot=shipment.warehouse, status=Vehicle.Status.AVAILABLE
        )
        self.fields["carrier"].initial = shipment.carrier_id
        self.fields["tracking_number"].initial = shipment.tracking_number


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("shipment", "new status"))
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label) for value, label in Shipment.Status.choices if value in targets
        ]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class DeliverForm(forms.Form):
    recipient_name = forms.CharField(label=_("recipient"), max_length=100)
    delivered_at = forms.DateTimeField(label=_("delivered at"), required=False, widget=DATETIME)
    photo = forms.ImageField(label=_("photo"), required=False)
    signature = forms.ImageField(label=_("signature"), required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=500)


class ProblemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (value, label)
            for value, label in ShipmentException.Kind.choices
            if value in ("failed_attempt", "damaged", "lost")
        ],
    )
    details = forms.CharField(label=_("details"), max_length=500)
