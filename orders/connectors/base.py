"""What every inbound connector does, and the registry of connectors.

A connector knows one family of channel payloads. It checks that a request
really comes from the channel (`authenticate`: a signature or a token made
with the channel's inbound secret), reads the envelope (`parse`: message id,
topic, the channel order number) and maps the channel's own order to ours
(`order_data`, `payment_data`, `cancel_reason`). It writes nothing: the
service orders.services.inbound stores the message and applies it.

Mapping errors name the field in the channel's own payload
(`orders[1].outer_sku_id`), so the channel's developers can find it.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from inventory.models import Product
from orders.models import InboundMessage, SalesChannel

Kind = InboundMessage.Kind
MAX_BODY_BYTES = 1_000_000


class InboundInvalid(DomainError):
    """The message cannot be read or mapped (bad JSON, a missing field, an unknown SKU)."""

    status_code = 422
    code = "invalid_payload"


class InboundUnauthorised(DomainError):
    """The signature or token is missing or wrong."""

    status_code = 401
    code = "authentication_failed"


@dataclass
class ParsedMessage:
    """A message's envelope: who, what, about which channel order."""

    message_id: str
    topic: str
    kind: str
    external_ref: str
    payload: dict


@dataclass
class LineData:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    field: str  # where the line is in the channel's payload, for errors
    product: Product | None = None


@dataclass
class OrderData:
    """The channel order in our terms (orders.services.intake.order_create)."""

    customer: dict
    shipping_address: dict
    lines: list[LineData]
    currency: str = ""
    shipping_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    placed_at: datetime | None = None
    promised_date: date | None = None
    note: str = ""
    # Paid already when it was created (a message that carries both).
    payment: "PaymentData | None" = None


@dataclass
class PaymentData:
    amount: Decimal
    method: str
    reference: str = ""
    paid_at: datetime | None = None
    extra: dict = field(default_factory=dict)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def load_json(body: bytes) -> dict:
    if len(body) > MAX_BODY_BYTES:
        raise InboundInvalid(_("The message is larger than 1 MB."), field="body")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InboundInvalid(_("The body is not valid JSON."), field="body") from None
    if not isinstance(data, dict):
        raise InboundInvalid(_("The body must be a JSON object."), field="body")
    return data


class Reader:
    """Reads typed values from a channel's JSON; every failure names its field."""

    def __init__(self, data, prefix: str = ""):
        self.data = data if isinstance(data, dict) else {}
        self.prefix = prefix

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def raw(self, name: str, *, required: bool = True):
        value = self.data.get(name)
        if required and (value is None or value == ""):
            raise InboundInvalid(
                _("%(field)s is missing.") % {"field": self.path(name)}, field=self.path(name)
            )
        return value

    def text(self, name: str, *, required: bool = True, max_length: int = 200) -> str:
        value = self.raw(name, required=required)
        if value is None:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InboundInvalid(
                _("%(field)s must be text.") % {"field": self.path(name)}, field=self.path(name)
            )
        return str(value).strip()[:max_length]

    def obj(self, name: str, *, required: bool = True) -> "Reader":
        value = self.raw(name, required=required)
        if value is not None and not isinstance(value, dict):
            raise InboundInvalid(
                _("%(field)s must be an object.") % {"field": self.path(name)},
                field=self.path(name),
            )
        return Reader(value or {}, self.path(name))

    def items(self, name: str) -> list["Reader"]:
        value = self.raw(name)
        if not isinstance(value, list) or not value:
            raise InboundInvalid(
                _("%(field)s must be a list with at least one entry.") % {"field": self.path(name)},
                field=self.path(name),
            )
        if len(value) > 500:
            raise InboundInvalid(
                _("%(field)s has more than 500 entries.") % {"field": self.path(name)},
                field=self.path(name),
            )
        return [Reader(item, f"{self.path(name)}[{i}]") for i, item in enumerate(value)]

    def decimal(self, name: str, *, required: bool = True, default: str = "0") -> Decimal:
        value = self.raw(name, required=required)
        if value is None or value == "":
            return Decimal(default)
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidOperation
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount > Decimal("1e10"):
            raise InboundInvalid(
                _("%(field)s must be an amount of money.") % {"field": self.path(name)},
                field=self.path(name),
            )
        return amount.quantize(Decimal("0.01"))

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100_000:
            raise InboundInvalid(
                _("%(field)s must be a whole number from 1 to 100000.")
                % {"field": self.path(name)},
                field=self.path(name),
            )
        return value

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        """A time: ISO 8601, or 'YYYY-MM-DD HH:MM:SS' in the local time zone."""
        value = self.raw(name, required=required)
        if value is None or value == "":
            return None
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed, but no such day or hour
            parsed = None
        if parsed is None:
            raise InboundInvalid(
                _("%(field)s must be a date and time.") % {"field": self.path(name)},
                field=self.path(name),
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed

    def day(self, name: str) -> date | None:
        value = self.raw(name, required=False)
        if value is None or value == "":
            return None
        try:
            parsed = parse_date(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise InboundInvalid(
                _("%(field)s must be a date (YYYY-MM-DD).") % {"field": self.path(name)},
                field=self.path(name),
            )
        return parsed


class Connector:
    """One family of channel payloads. Subclasses set `kind` and implement the
    four methods below; `register` adds them to the registry."""

    kind: str = ""
    # The headers the channel sends, for the documentation and the schema.
    auth_header: str = ""

    def authenticate(self, *, channel: SalesChannel, body: bytes, headers) -> None:
        raise NotImplementedError

    def parse(self, *, body: bytes, headers) -> ParsedMessage:
        raise NotImplementedError

    def order_data(self, payload: dict) -> OrderData:
        raise NotImplementedError

    def payment_data(self, payload: dict) -> PaymentData:
        raise NotImplementedError

    def cancel_reason(self, payload: dict) -> str:
        return _("Cancelled by the channel.")


CONNECTORS: dict[str, Connector] = {}


def register(cls: type[Connector]) -> type[Connector]:
    CONNECTORS[cls.kind] = cls()
    return cls


def connector_for(kind: str) -> Connector | None:
    return CONNECTORS.get(kind or "")


# Above this an order's amounts no longer fit its columns (14 digits).
MAX_ORDER_VALUE = Decimal("1000000000")


def amounts_check(data: OrderData, lines_field: str) -> None:
    """Refuse amounts too large to store, naming the line (or the lines)."""
    total = data.shipping_total + data.tax_total
    for line in data.lines:
        value = line.unit_price * line.quantity
        if value >= MAX_ORDER_VALUE:
            raise InboundInvalid(_("This line's value is too large."), field=line.field)
        total += value
    if total >= MAX_ORDER_VALUE:
        raise InboundInvalid(_("The order's value is too large."), field=lines_field)


def lines_read(
    parent: "Reader", key: str, *, sku: str, quantity: str, price: str, discount: str
) -> list[LineData]:
    """The order lines under `parent[key]`, read with the channel's own field
    names, their products resolved by SKU. A discount above its line's value
    is refused, naming the channel's field."""
    lines = [
        LineData(
            sku=item.text(sku, max_length=40),
            quantity=item.integer(quantity),
            unit_price=item.decimal(price),
            discount=item.decimal(discount, required=False),
            field=item.prefix,
        )
        for item in parent.items(key)
    ]
    for line in lines:
        if line.discount > line.unit_price * line.quantity:
            raise InboundInvalid(
                _("The discount cannot exceed the line's value."),
                field=f"{line.field}.{discount}",
            )
    products_resolve(lines, sku)
    return lines


def products_resolve(lines: list[LineData], sku_field: str) -> None:
    """Every line's product, by SKU, in one query; an unknown or inactive SKU
    is refused naming the line's field."""
    wanted = {line.sku.upper() for line in lines}
    found = {p.sku: p for p in Product.objects.filter(sku__in=wanted, active=True)}
    for line in lines:
        line.product = found.get(line.sku.upper())
        if line.product is None:
            name = f"{line.field}.{sku_field}"
            raise InboundInvalid(
                _("Unknown SKU %(sku)s at %(field)s.") % {"sku": line.sku, "field": name},
                field=name,
            )
