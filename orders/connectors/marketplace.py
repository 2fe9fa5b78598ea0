"""Marketplace connector: a Tmall/JD-style shop pushes signed trade messages.

    POST /api/v1/channels/{code}/inbound/
    X-Channel-Signature: sha256=<hex HMAC-SHA256 of the raw body, key = inbound secret>

    {"msg_id": "...", "topic": "TRADE_CREATED" | "TRADE_PAID" | "TRADE_CLOSED" | ...,
     "sent_at": "2026-11-27 10:15:00", "trade": {"tid": "...", ...}}

TRADE_CREATED carries the whole trade (buyer, receiver_*, orders[] with
outer_sku_id / num / price / discount_fee); TRADE_PAID carries tid, payment,
pay_time and the payment's alipay_no; TRADE_CLOSED carries tid and
close_reason. Other topics are stored and ignored.
"""

import hashlib
import hmac

from django.utils.translation import gettext as _

from orders.connectors.base import (
    Connector,
    InboundUnauthorised,
    Kind,
    OrderData,
    ParsedMessage,
    PaymentData,
    Reader,
    amounts_check,
    lines_read,
    load_json,
    register,
)
from orders.models import ConnectorKind

SIGNATURE_HEADER = "X-Channel-Signature"
TOPICS = {
    "TRADE_CREATED": Kind.ORDER_CREATED,
    "TRADE_PAID": Kind.ORDER_PAID,
    "TRADE_BUYER_PAY": Kind.ORDER_PAID,
    "TRADE_CLOSED": Kind.ORDER_CANCELLED,
}


def marketplace_signature(secret: str, body: bytes) -> str:
    """The header value a marketplace sends: sha256=<hex>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register
class MarketplaceConnector(Connector):
    kind = ConnectorKind.MARKETPLACE
    auth_header = SIGNATURE_HEADER

    def authenticate(self, *, channel, body, headers) -> None:
        sent = (headers.get(SIGNATURE_HEADER) or "").strip()
        if not sent:
            raise InboundUnauthorised(
                _("Sign the body: %(header)s: sha256=<HMAC-SHA256 of the body in hex>.")
                % {"header": SIGNATURE_HEADER}
            )
        if not sent.startswith("sha256="):
            sent = "sha256=" + sent
        expected = marketplace_signature(channel.inbound_secret, body)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise InboundUnauthorised(
                _("The signature does not match the body and this channel's secret.")
            )

    def parse(self, *, body, headers) -> ParsedMessage:
        data = Reader(load_json(body))
        topic = data.text("topic", max_length=60).upper()
        trade = data.obj("trade")
        return ParsedMessage(
            message_id=data.text("msg_id", max_length=100),
            topic=topic,
            kind=TOPICS.get(topic, Kind.OTHER),
            external_ref=trade.text("tid", max_length=64),
            payload=data.data,
        )

    def order_data(self, payload) -> OrderData:
        trade = Reader(payload).obj("trade")
        phone = trade.text("receiver_mobile", max_length=30)
        name = trade.text("receiver_name", max_length=100)
        lines = lines_read(
            trade,
            "orders",
            sku="outer_sku_id",
            quantity="num",
            price="price",
            discount="discount_fee",
        )
        buyer_message = trade.text("buyer_message", required=False, max_length=300)
        nick = trade.text("buyer_nick", required=False, max_length=60)
        note = " / ".join(
            x for x in (nick and _("buyer %(nick)s") % {"nick": nick}, buyer_message) if x
        )
        data = OrderData(
            customer={"name": name, "phone": phone},
            shipping_address={
                "recipient": name,
                "phone": phone,
                "province": trade.text("receiver_state", required=False, max_length=50),
                "city": trade.text("receiver_city", max_length=50),
                "district": trade.text("receiver_district", required=False, max_length=50),
                "street": trade.text("receiver_address", max_length=200),
                "postcode": trade.text("receiver_zip", required=False, max_length=10),
            },
            lines=lines,
            currency="CNY",
            shipping_total=trade.decimal("post_fee", required=False),
            placed_at=trade.moment("created", required=False),
            note=note,
        )
        amounts_check(data, "trade.orders")
        return data

    def payment_data(self, payload) -> PaymentData:
        trade = Reader(payload).obj("trade")
        return PaymentData(
            amount=trade.decimal("payment"),
            method="alipay",
            reference=trade.text("alipay_no", required=False, max_length=64),
            paid_at=trade.moment("pay_time", required=False),
        )

    def cancel_reason(self, payload) -> str:
        trade = Reader(payload).obj("trade")
        reason = trade.text("close_reason", required=False, max_length=200)
        return _("Closed on the marketplace: %(reason)s") % {
            "reason": reason or _("no reason given")
        }
