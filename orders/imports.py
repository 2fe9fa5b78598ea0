"""Import and export of orders: one row per order line; consecutive rows with
the same channel and channel order number form one order (see
erp.core.imports and erp.core.transfers)."""

from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from erp.core.imports import Importer, UnitError
from erp.core.transfers import Exporter
from orders.filters import OrderFilter
from orders.models import OrderLine
from orders.selectors import order_list
from orders.serializers import OrderCreateSerializer, OrderLineInputSerializer
from orders.services import order_create


def _split_message(first: int) -> str:
    return gettext(
        "The rows of one order must follow each other; this order began at row %(row)s."
    ) % {"row": first}


class _RememberedSlugField(serializers.SlugRelatedField):
    """Looks each value up once per import (the context's `remembered` dict),
    not once per line: 100,000 lines often name a few hundred SKUs. Only
    found records are remembered, and at most MAX of them."""

    MAX = 20_000

    def to_internal_value(self, data):
        remembered = self.context.get("remembered")
        if remembered is None:
            return super().to_internal_value(data)
        key = (self.slug_field, str(data))
        found = remembered.get(key)
        if found is None:
            found = super().to_internal_value(data)
            if len(remembered) < self.MAX:
                remembered[key] = found
        return found


class _LineSerializer(OrderLineInputSerializer):
    sku = _RememberedSlugField(
        slug_field="sku",
        queryset=OrderLineInputSerializer().fields["sku"].queryset,
        error_messages=OrderLineInputSerializer().fields["sku"].error_messages,
    )


class _OrderSerializer(OrderCreateSerializer):
    """The API's order serializer, with SKUs and channels remembered."""

    channel = _RememberedSlugField(
        slug_field="code", queryset=OrderCreateSerializer().fields["channel"].queryset
    )
    lines = _LineSerializer(many=True, allow_empty=False, max_length=500)


ADDRESS = ("recipient", "province", "city", "district", "street", "postcode")


class OrderImporter(Importer):
    key = "orders"
    title = _("Import orders")
    permission = "orders.add_order"
    domain = "orders"
    columns = [
        "channel",
        "external_ref",
        "customer_name",
        "phone",
        "email",
        "recipient",
        "province",
        "city",
        "district",
        "street",
        "postcode",
        "promised_date",
        "sku",
        "quantity",
        "unit_price",
        "discount",
        "currency",
        "shipping_total",
        "tax_total",
    ]
    required = [
        "channel",
        "external_ref",
        "customer_name",
        "city",
        "street",
        "sku",
        "quantity",
        "unit_price",
    ]
    example = [
        {
            "channel": "TMALL",
            "external_ref": "TM20261122000123",
            "customer_name": "王芳",
            "phone": "13800138000",
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": "世纪大道100号",
            "promised_date": "2026-11-28",
            "sku": "TEA-LJ-250",
            "quantity": "2",
            "unit_price": "168.00",
        },
        {
            "channel": "TMALL",
            "external_ref": "TM20261122000123",
            "sku": "CUP-01",
            "quantity": "4",
            "unit_price": "18.00",
        },
    ]

    def __init__(self):
        self.remembered = {}

    def iter_units(self, rows):
        """The rows of one order follow each other; the file is streamed, so
        only the key and first row of each order seen is remembered, to
        refuse an order whose rows are split apart rather than import half."""
        first_row: dict[tuple[str, str], int] = {}
        key, numbers, group = None, [], []
        for number, row in rows:
            row_key = (
                row.get("channel", "").upper(),
                row.get("external_ref", "") or f"row-{number}",
            )
            if row_key != key and group:
                yield numbers, group
                key, numbers, group = None, [], []
            if row_key != key and row_key in first_row:
                yield [number], UnitError({"external_ref": [_split_message(first_row[row_key])]})
                continue
            if row_key != key:
                key = row_key
                first_row[key] = number
            numbers.append(number)
            group.append(row)
        if group:
            yield numbers, group

    def write(self, rows, *, actor):
        head = rows[0]
        body = {
            "channel": head.get("channel", "").upper(),
            "external_ref": head.get("external_ref", ""),
            "customer": {
                "name": head.get("customer_name", ""),
                "phone": head.get("phone", ""),
                "email": head.get("email", ""),
            },
            "shipping_address": {
                **{k: head.get(k, "") for k in ADDRESS},
                "recipient": head.get("recipient") or head.get("customer_name", ""),
                "phone": head.get("phone", ""),
            },
            "promised_date": head.get("promised_date") or None,
            **{k: head[k] for k in ("currency", "shipping_total", "tax_total") if head.get(k)},
            "lines": [
                {k: row.get(k) for k in ("sku", "quantity", "unit_price") if row.get(k) != ""}
                | ({"discount": row["discount"]} if row.get("discount") else {})
                for row in rows
            ],
        }
        serializer = _OrderSerializer(data=body, context={"remembered": self.remembered})
        serializer.is_valid(raise_exception=True)
        order, created = order_create(actor=actor, **serializer.service_kwargs())
        return ("created" if created else "duplicate"), order.number


class OrderExporter(Exporter):
    """One row per order line, in the import's columns (an order without a
    channel order number gets its own number there, so its lines stay one
    order when imported), then our number, status and totals for reading."""

    key = "orders"
    title = _("Export orders")
    permission = "orders.view_order"
    domain = "orders"
    columns = [*OrderImporter.columns, "number", "status", "placed_at", "line_total"]
    filterset_class = OrderFilter

    def queryset(self):
        return order_list().order_by("pk")

    def total(self, queryset) -> int:
        return OrderLine.objects.filter(order__in=queryset.values("pk")).count()

    def rows(self, queryset):
        lines = Prefetch(
            "lines", queryset=OrderLine.objects.order_by("line_no").select_related("product")
        )
        for order in queryset.prefetch_related(lines).iterator(chunk_size=500):
            address = order.shipping_address or {}
            head = {
                "channel": order.channel.code,
                "external_ref": order.external_ref or order.number,
                "customer_name": order.customer.name,
                "phone": order.customer.phone,
                "email": order.customer.email,
                **{k: address.get(k, "") for k in ADDRESS},
                "promised_date": order.promised_date,
                "currency": order.currency,
                "shipping_total": order.shipping_total,
                "tax_total": order.tax_total,
                "number": order.number,
                "status": order.status,
                "placed_at": order.placed_at,
            }
            for line in order.lines.all():
                yield {
                    **head,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount": line.discount or "",
                    "line_total": line.line_total,
                }
