"""Import and export of customers (see erp.core.imports and erp.core.transfers).

A row with a known customer code updates that customer; a row without a code
updates the customer its phone (or e-mail) already belongs to, else creates
one - so importing the same file twice never duplicates a customer. The
export has the import's columns first, so it imports again."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from crm.filters.customers import CustomerFilter
from crm.models import Customer
from crm.selectors import customer_list
from crm.serializers.customers import (
    AddressSerializer,
    CustomerCreateSerializer,
    CustomerUpdateSerializer,
)
from crm.services.customers import _match, customer_create, customer_update, phone_normalise
from erp.core.imports import Importer
from erp.core.transfers import Exporter

ADDRESS = ("province", "city", "district", "street", "postcode")
UPDATED = ("name", "kind", "phone", "email", "language", "note")


def _present(row: dict) -> dict:
    return {k: v for k, v in row.items() if v != ""}


class CustomerImporter(Importer):
    key = "customers"
    title = _("Import customers")
    permission = "crm.add_customer"
    domain = "crm"
    columns = [
        "code",
        "name",
        "kind",
        "phone",
        "email",
        "tier",
        "language",
        "note",
        *ADDRESS,
    ]
    required = ["name"]
    example = [
        {
            "code": "",
            "name": "王芳",
            "kind": "person",
            "phone": "13800138000",
            "email": "wangfang@example.cn",
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": "世纪大道100号",
            "postcode": "200120",
        },
    ]

    def _existing(self, data: dict) -> Customer | None:
        code = data.get("code", "")
        if code:
            return Customer.objects.filter(code=code).first()
        phone = phone_normalise(data.get("phone", ""))
        email = data.get("email", "").strip().lower()
        if not phone and not email:
            return None
        return _match(phone, email)

    def write(self, row, *, actor):
        data = _present(row)
        existing = self._existing(data)
        if existing is None:
            return "created", self._create(data).code
        changes = {k: v for k, v in data.items() if k in UPDATED}
        serializer = CustomerUpdateSerializer(data=changes, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        compared = dict(fields)
        if "phone" in compared:
            compared["phone"] = phone_normalise(compared["phone"])
        if "email" in compared:
            compared["email"] = compared["email"].strip().lower()
        unchanged = all(getattr(existing, k) == v for k, v in compared.items())
        if unchanged:
            return "duplicate", existing.code
        return "updated", customer_update(customer=existing, actor=actor, **fields).code

    def _create(self, data: dict) -> Customer:
        address = None
        if data.get("street"):
            address_data = AddressSerializer(
                data={
                    "recipient": data.get("name", ""),
                    "phone": data.get("phone", ""),
                    **{k: data.get(k, "") for k in ADDRESS},
                }
            )
            if not address_data.is_valid():
                raise ValidationError(address_data.errors)
            address = dict(address_data.validated_data)
        serializer = CustomerCreateSerializer(
            data={k: v for k, v in data.items() if k not in (*ADDRESS, "language", "note")}
        )
        serializer.is_valid(raise_exception=True)
        customer = customer_create(**serializer.validated_data, address=address)
        extra = {k: data[k] for k in ("language", "note") if k in data}
        if extra:
            changes = CustomerUpdateSerializer(data=extra, partial=True)
            changes.is_valid(raise_exception=True)
            customer = customer_update(customer=customer, **changes.validated_data)
        return customer


class CustomerExporter(Exporter):
    """Active customers (merged ones only with `show_merged`), with their
    default address."""

    key = "customers"
    title = _("Export customers")
    permission = "crm.view_customer"
    domain = "crm"
    columns = [*CustomerImporter.columns, "marketing_consent", "created_at"]
    filterset_class = CustomerFilter

    def queryset(self):
        return customer_list().order_by("code")

    def filtered(self, parameters):
        queryset = super().filtered(parameters)
        if str(parameters.get("show_merged", "")).lower() not in ("true", "yes", "1"):
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset

    def rows(self, queryset):
        for customer in queryset.iterator(chunk_size=2000):
            address = customer.default_address
            yield {
                **{c: getattr(customer, c) for c in ("code", "name", "kind", "phone", "email")},
                "tier": customer.tier,
                "language": customer.language,
                "note": customer.note,
                **{k: getattr(address, k, "") if address else "" for k in ADDRESS},
                "marketing_consent": customer.marketing_consent,
                "created_at": customer.created_at,
            }
