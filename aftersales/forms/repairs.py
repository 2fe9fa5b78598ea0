"""Forms of the repair pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import RepairOrder
from crm.models import Customer
from erp.core.templatetags.erp_tags import person_name
from inventory.models import Product, Warehouse
from orders.models import OrderLine

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def technicians():
    """Active users whose role lets them work on repairs."""
    perm = Permission.objects.filter(
        content_type__app_label="aftersales", codename="change_repairorder"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)
        )
        .distinct()
        .order_by("username")
    )


class TechnicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = person_name(obj)
        return name if name == obj.get_username() else f"{name} ({obj.get_username()})"


class RepairCreateForm(forms.Form):
    """A repair as the customer reports it: who, what, which fault, and when
    it was bought (an order line, or the date on the receipt)."""

    customer = forms.CharField(label=_("customer code"), max_length=20)
    product = forms.CharField(label=_("SKU"), max_length=40)
    serial_number = forms.CharField(label=_("serial number"), max_length=64, required=False)
    order = forms.CharField(label=_("order number"), max_length=30, required=False)
    line = forms.IntegerField(label=_("order line"), min_value=1, required=False)
    purchase_date = forms.DateField(
        label=_("purchase date"),
        required=False,
        widget=DATE,
        help_text=_("Without an order: the date on the receipt."),
    )
    technician = TechnicianChoiceField(
        label=_("technician"), queryset=get_user_model().objects.none(), required=False
    )
    parts_warehouse = forms.ModelChoiceField(
        label=_("spare parts warehouse"),
        queryset=Warehouse.objects.filter(active=True),
        to_field_name="code",
        required=False,
    )
    fault_description = forms.CharField(
        label=_("fault description"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians()

    def clean_customer(self):
        code = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(code__iexact=code).first()
        if customer is None:
            raise forms.ValidationError(_("No customer has this code."))
        return customer

    def clean_product(self):
        sku = self.cleaned_data["product"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product has this SKU."))
        return product

    def clean(self):
        data = super().clean()
        number, line_no = (data.get("order") or "").strip(), data.get("line")
        data["order_line"] = None
        if number and line_no is None:
            self.add_error("line", _("Give the order's line number."))
        elif line_no is not None and not number:
            self.add_error("order", _("Give the order number."))
        elif number:
            order_line = (
                OrderLine.objects.select_related("order")
                .filter(order__number__iexact=number, line_no=line_no)
                .first()
            )
            if order_line is None:
                self.add_error("line", _("This order has no such line."))
            else:
                data["order_line"] = order_line
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "customer": data["customer"],
            "product": data["product"],
            "serial_number": data["serial_number"],
            "fault_description": data["fault_description"],
            "order_line": data["order_line"],
            "purchase_date": data["purchase_date"],
            "technician": data["technician"],
            "parts_warehouse": data["parts_warehouse"],
        }


class RepairTransitionForm(forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("repair", "new status"))
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label) for value, label in RepairOrder.Status.choices if value in targets
        ]


class RepairAssignForm(forms.Form):
    technician = TechnicianChoiceField(
        label=_("technician"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians()


class RepairDiagnoseForm(forms.Form):
    diagnosis = forms.CharField(
        label=_("diagnosis"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    warranty_void_reason = forms.CharField(
        label=_("warranty void because"),
        max_length=255,
        required=False,
        help_text=_("Damage the customer caused (a drop, water): the customer pays."),
    )


class RepairPartForm(forms.Form):
    product = forms.CharField(label=_("spare part SKU"), max_length=40)
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"),
        queryset=Warehouse.objects.filter(active=True),
        to_field_name="code",
        required=False,
    )
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=10_000, initial=1)

    def clean_product(self):
        sku = self.cleaned_data["product"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product has this SKU."))
        return product


class RepairLabourForm(forms.Form):
    hours = forms.DecimalField(label=_("labour hours"), min_value=0, max_digits=6, decimal_places=2)


class RepairCompleteForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=500)


class RepairReturnForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=400)
    tracking_number = forms.CharField(label=_("tracking number"), required=False, max_length=64)


class RepairCancelForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)
