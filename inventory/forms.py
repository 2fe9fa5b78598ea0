from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from inventory.selectors import product_by_code


class ProductCodeField(forms.CharField):
    """A product by barcode or SKU: type it, or scan it with a keyboard-wedge
    scanner (the scanner types the code and presses Enter, which submits)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("product (scan barcode or type SKU)"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autofocus": True, "autocomplete": "off", "inputmode": "text", "data-scan": "1"}
        )

    def clean(self, value):
        code = super().clean(value)
        product = product_by_code(code)
        if product is None:
            raise forms.ValidationError(
                _("No product has the barcode or SKU %(code)s."), params={"code": code}
            )
        if not product.active:
            raise forms.ValidationError(
                _("%(sku)s is no longer active."), params={"sku": product.sku}
            )
        return product


def _warehouse_field(label):
    return forms.ModelChoiceField(
        label=label, queryset=Warehouse.objects.filter(active=True), to_field_name="code"
    )


class ReceiveForm(forms.Form):
    warehouse = _warehouse_field(_("warehouse"))
    product = ProductCodeField()
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, initial=1)
    unit_cost = forms.DecimalField(
        label=_("unit cost"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=4,
        required=False,
        help_text=_("Leave empty to use the current moving average."),
    )
    reference = forms.CharField(label=_("reference"), max_length=60, required=False)


class TransferForm(forms.Form):
    product = ProductCodeField()
    source = _warehouse_field(_("from warehouse"))
    destination = _warehouse_field(_("to warehouse"))
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, initial=1)
    note = forms.CharField(label=_("note"), max_length=255, required=False)

    def clean(self):
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("destination"):
            self.add_error("destination", _("Choose two different warehouses."))
        return data


class CountOpenForm(forms.Form):
    warehouse = _warehouse_field(_("warehouse"))
    skus = forms.CharField(
        label=_("only these products (SKUs or barcodes, one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Leave empty to count everything the warehouse holds."),
    )
    blind = forms.BooleanField(
        label=_("blind count (hide expected quantities)"), required=False, initial=True
    )
    note = forms.CharField(label=_("note"), max_length=255, required=False)

    def clean_skus(self):
        products, unknown = [], []
        for code in self.cleaned_data["skus"].split():
            product = product_by_code(code)
            (products.append(product) if product else unknown.append(code))
        if unknown:
            raise forms.ValidationError(
                _("Unknown products: %(codes)s"), params={"codes": ", ".join(unknown)}
            )
        return products


class CountEntryForm(forms.Form):
    product = ProductCodeField()
    counted = forms.IntegerField(label=_("counted"), min_value=0)
