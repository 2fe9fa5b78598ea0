"""Import of orders: one row per order line; rows with the same channel and
channel order number form one order (see erp.core.imports)."""

from django.utils.translation import gettext_lazy as _

from erp.core.imports import Importer
from orders.serializers import OrderCreateSerializer
from orders.services import order_create

ADDRESS = ("recipient", "province", "city", "district", "street", "postcode")


class OrderImporter(Importer):
    key = "orders"
    title = _("Import orders")
    permission = "orders.add_order"
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

    def units(self, rows):
        groups: dict[tuple[str, str], list] = {}
        for number, row in rows:
            key = (row.get("channel", "").upper(), row.get("external_ref", "") or f"row-{number}")
            groups.setdefault(key, []).append((number, row))
        return [([n for n, _r in group], [r for _n, r in group]) for group in groups.values()]

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
            "lines": [
                {k: row.get(k) for k in ("sku", "quantity", "unit_price") if row.get(k) != ""}
                | ({"discount": row["discount"]} if row.get("discount") else {})
                for row in rows
            ],
        }
        serializer = OrderCreateSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        order, created = order_create(actor=actor, **serializer.service_kwargs())
        return ("created" if created else "duplicate"), order.number
