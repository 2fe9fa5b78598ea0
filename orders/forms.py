"""Staff forms for orders: the phone / store order entry and its lines."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.forms import ProductCodeField
from inventory.models import Product
from orders.models import SalesChannel
from orders.services import LineInput

MAX_LINES = 10
PRODUCT_OPTIONS_LIMIT = 500
PRODUCT_DATALIST_ID = "product-options"


class LineProductField(ProductCodeField):
    """A product by SKU or barcode on an order line: suggested from the
    product datalist while typing; an empty value is an empty row."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("product (SKU or barcode)"))
        super().__init__(**kwargs)
        # One form holds many rows: no row may take the focus on page load.
        self.widget.attrs.pop("autofocus", None)
        self.widget.attrs["list"] = PRODUCT_DATALIST_ID

    def clean(self, value):
        if not (value or "").strip():
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        return super().clean(value)


def product_options(limit: int = PRODUCT_OPTIONS_LIMIT):
    """(sku, name) of active products for the browser's suggestions."""
    return Product.objects.filter(active=True).order_by("sku").values_list("sku", "name")[:limit]


class OrderEntryForm(forms.Form):
    """The order header: channel, customer, shipping address, promised date."""

    channel = forms.ModelChoiceField(
        label=_("sales channel"),
        queryset=SalesChannel.objects.filter(active=True).order_by("code"),
        to_field_name="code",
    )
    name = forms.CharField(label=_("customer name"), max_length=200)
    phone = forms.CharField(label=_("phone"), max_length=32)
    email = forms.EmailField(label=_("email"), required=False)
    recipient = forms.CharField(
        label=_("recipient"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to ship to the customer."),
    )
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    district = forms.CharField(label=_("district"), max_length=50, required=False)
    street = forms.CharField(label=_("street address"), max_length=255, required=False)
    postcode = forms.CharField(label=_("postcode"), max_length=12, required=False)
    promised_date = forms.DateField(
        label=_("promised date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    campaign_code = forms.CharField(
        label=_("campaign code"),
        max_length=30,
        required=False,
        help_text=_("If the customer quotes a campaign code, e.g. CP-202611-001."),
    )

    CUSTOMER_FIELDS = ("name", "phone", "email")
    ADDRESS_FIELDS = ("recipient", "province", "city", "district", "street", "postcode")
    ORDER_FIELDS = ("channel", "promised_date", "campaign_code", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        # A store customer may take the goods along; every other order is shipped.
        needs_address = channel is not None and channel.kind != SalesChannel.Kind.OFFLINE_STORE
        given = any(data.get(f) for f in ("province", "city", "district", "street", "postcode"))
        if needs_address or given:
            for required in ("province", "city", "street"):
                if not data.get(required) and required not in self.errors:
                    self.add_error(required, _("Needed to ship the order."))
        return data

    def sections(self) -> list[tuple]:
        """The fields in the groups the entry page shows them in."""
        return [
            (_("Customer"), [self[name] for name in self.CUSTOMER_FIELDS]),
            (_("Shipping address"), [self[name] for name in self.ADDRESS_FIELDS]),
            (_("Order details"), [self[name] for name in self.ORDER_FIELDS]),
        ]

    def customer(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key, "") for key in self.CUSTOMER_FIELDS}

    def shipping_address(self) -> dict:
        data = self.cleaned_data
        return {
            "recipient": data.get("recipient") or data["name"],
            "phone": data["phone"],
            **{f: data.get(f, "") for f in ("province", "city", "district", "street", "postcode")},
        }


class OrderLineForm(forms.Form):
    """One line: product, quantity (1 when empty), unit price (list price when empty)."""

    product = LineProductField(required=False)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, required=False)
    unit_price = forms.DecimalField(
        label=_("unit price"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Extra rows may stay empty; the first one is the order's first line.
        self.fields["product"].required = not self.empty_permitted
        self.fields["unit_price"].widget.attrs["placeholder"] = _("list price")

    def clean(self):
        data = super().clean()
        row_typed = data.get("quantity") is not None or data.get("unit_price") is not None
        if data.get("product") is None and "product" not in self.errors and row_typed:
            self.add_error("product", _("Enter a product, or clear this row."))
        return data

    def line_input(self) -> LineInput | None:
        data = self.cleaned_data
        product = data.get("product")
        if product is None:
            return None
        price = data.get("unit_price")
        return LineInput(
            product=product,
            quantity=data.get("quantity") or 1,
            unit_price=product.list_price if price is None else price,
        )


class BaseOrderLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineInput]:
        return [line for form in self.forms if (line := form.line_input()) is not None]


OrderLineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseOrderLineFormSet,
    min_num=1,
    extra=MAX_LINES - 1,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)
