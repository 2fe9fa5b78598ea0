"""Web-store connector: a Shopify/WooCommerce-style shop posts order webhooks.

    POST /api/v1/channels/{code}/inbound/
    X-Store-Token: <the channel's inbound secret>
    X-Store-Topic: orders/create | orders/paid | orders/cancelled
    X-Store-Message-Id: <unique per message; a retry sends the same id>

The body is the store's order: id, email, created_at, currency, customer,
shipping_address, line_items[] (sku, quantity, price, total_discount),
shipping_total, tax_total, financial_status. orders/paid adds a `payment`
object (gateway, amount, transaction_id, processed_at); an orders/create
whose financial_status is already "paid" creates the order and records the
payment at once. orders/cancelled carries id and cancel_reason.
"""

import hmac

from django.utils.translation import gettext as _

from orders.connectors.base import (
    Connector,
    InboundInvalid,
    InboundUnauthorised,
    Kind,
    OrderData,
    ParsedMessage,
    PaymentData,
    Reader,
    amounts_check,
    body_digest,
    lines_read,
    load_json,
    register,
)
from orders.models import ConnectorKind

TOKEN_HEADER = "X-Store-Token"  # noqa: S105  (a header name, not a secret)
TOPIC_HEADER = "X-Store-Topic"
MESSAGE_ID_HEADER = "X-Store-Message-Id"
TOPICS = {
    "orders/create": Kind.ORDER_CREATED,
    "orders/paid": Kind.ORDER_PAID,
    "orders/cancelled": Kind.ORDER_CANCELLED,
}


@register
class WebStoreConnector(Connector):
    kind = ConnectorKind.WEB_STORE
    auth_header = TOKEN_HEADER

    def authenticate(self, *, channel, body, headers) -> None:
        sent = (headers.get(TOKEN_HEADER) or "").strip()
        if not sent:
            raise InboundUnauthorised(
                _("Send the channel's token in the %(header)s header.") % {"header": TOKEN_HEADER}
            )
        if not hmac.compare_digest(sent.encode(), channel.inbound_secret.encode()):
            raise InboundUnauthorised(_("The token is not this channel's token."))

    def parse(self, *, body, headers) -> ParsedMessage:
        topic = (headers.get(TOPIC_HEADER) or "").strip().lower()[:60]
        if not topic:
            raise InboundInvalid(
                _("Name the topic in the %(header)s header.") % {"header": TOPIC_HEADER},
                field=TOPIC_HEADER,
            )
        data = Reader(load_json(body))
        # Without an id a message is known by its content: the same body again
        # is the same message.
        message_id = (headers.get(MESSAGE_ID_HEADER) or "").strip()[:100]
        return ParsedMessage(
            message_id=message_id or f"sha256:{body_digest(topic.encode() + b' ' + body)[:64]}",
            topic=topic,
            kind=TOPICS.get(topic, Kind.OTHER),
            external_ref=data.text("id", max_length=64),
            payload=data.data,
        )

    def order_data(self, payload) -> OrderData:
        order = Reader(payload)
        buyer = order.obj("customer", required=False)
        ship = order.obj("shipping_address")
        email = order.text("email", required=False, max_length=254)
        phone = buyer.text("phone", required=False, max_length=30)
        if not email and not phone:
            raise InboundInvalid(_("Give the buyer's email or customer.phone."), field="email")
        recipient = ship.text("name", max_length=100)
        name = " ".join(
            x
            for x in (
                buyer.text("last_name", required=False, max_length=50),
                buyer.text("first_name", required=False, max_length=50),
            )
            if x
        )
        lines = lines_read(
            order,
            "line_items",
            sku="sku",
            quantity="quantity",
            price="price",
            discount="total_discount",
        )
        street = " ".join(
            x
            for x in (
                ship.text("address1", max_length=150),
                ship.text("address2", required=False, max_length=100),
            )
            if x
        )
        currency = order.text("currency", required=False, max_length=3).upper() or ""
        if currency and (len(currency) != 3 or not currency.isalpha()):
            raise InboundInvalid(_("currency must be a 3-letter code."), field="currency")
        data = OrderData(
            customer={"name": name or recipient, "email": email, "phone": phone},
            shipping_address={
                "recipient": recipient,
                "phone": ship.text("phone", required=False, max_length=30),
                "province": ship.text("province", required=False, max_length=50),
                "city": ship.text("city", max_length=50),
                "district": ship.text("district", required=False, max_length=50),
                "street": street,
                "postcode": ship.text("zip", required=False, max_length=10),
            },
            lines=lines,
            currency=currency,
            shipping_total=order.decimal("shipping_total", required=False),
            tax_total=order.decimal("tax_total", required=False),
            placed_at=order.moment("created_at", required=False),
            promised_date=order.day("deliver_by"),
            note=order.text("note", required=False, max_length=300),
        )
        amounts_check(data, "line_items")
        if order.text("financial_status", required=False, max_length=30).lower() == "paid":
            data.payment = self.payment_data(payload)
        return data

    def payment_data(self, payload) -> PaymentData:
        order = Reader(payload)
        payment = order.obj("payment", required=False)
        amount = (
            payment.decimal("amount")
            if payment.data.get("amount") not in (None, "")
            else order.decimal("total_price")
        )
        return PaymentData(
            amount=amount,
            method=payment.text("gateway", required=False, max_length=30) or "web_store",
            reference=payment.text("transaction_id", required=False, max_length=64),
            paid_at=payment.moment("processed_at", required=False),
        )

    def cancel_reason(self, payload) -> str:
        reason = Reader(payload).text("cancel_reason", required=False, max_length=200)
        return _("Cancelled in the web store: %(reason)s") % {
            "reason": reason or _("no reason given")
        }
