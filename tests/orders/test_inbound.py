"""Inbound channel connectors: a marketplace and a web store push their own
order messages to /api/v1/channels/{code}/inbound/ (orders.connectors,
orders.services.inbound)."""

import copy
import hashlib
import hmac
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import Customer
from orders.connectors.marketplace import marketplace_signature
from orders.models import InboundMessage, Order, Payment, SalesChannel
from orders.services.inbound import channel_connector_set, inbound_retry_held
from tests.factories import CustomerFactory, ProductFactory, SalesChannelFactory

URL = "/api/v1/channels/{code}/inbound/"


def trade_created(tid="TB1001", msg_id=None, phone="13800138000", sku="TEA-1", num=2):
    return {
        "msg_id": msg_id or f"{tid}-created",
        "topic": "TRADE_CREATED",
        "sent_at": "2026-11-27 10:15:02",
        "trade": {
            "tid": tid,
            "buyer_nick": "tea_lover_88",
            "created": "2026-11-27 10:14:58",
            "receiver_name": "王芳",
            "receiver_mobile": phone,
            "receiver_state": "上海市",
            "receiver_city": "上海市",
            "receiver_district": "浦东新区",
            "receiver_address": "世纪大道100号",
            "receiver_zip": "200120",
            "post_fee": "10.00",
            "orders": [
                {"oid": "1", "outer_sku_id": sku, "num": num, "price": "100.00"},
                {"oid": "2", "outer_sku_id": "CUP-1", "num": 1, "price": "20.00"},
            ],
        },
    }


def trade_paid(tid="TB1001", msg_id=None, payment="230.00", alipay_no="ALI-1"):
    return {
        "msg_id": msg_id or f"{tid}-paid",
        "topic": "TRADE_PAID",
        "trade": {"tid": tid, "payment": payment, "pay_time": "", "alipay_no": alipay_no},
    }


def store_order(order_id=5001, email="li.lei@example.com", paid=False):
    body = {
        "id": order_id,
        "email": email,
        "created_at": "2026-11-27T11:02:10+08:00",
        "currency": "CNY",
        "financial_status": "paid" if paid else "pending",
        "total_price": "212.00",
        "shipping_total": "12.00",
        "customer": {"first_name": "雷", "last_name": "李"},
        "shipping_address": {
            "name": "李雷",
            "phone": "13900139000",
            "city": "北京市",
            "address1": "中关村大街1号",
            "zip": "100080",
        },
        "line_items": [{"sku": "TEA-1", "quantity": 2, "price": "100.00"}],
    }
    if paid:
        body["payment"] = {"gateway": "wechat_pay", "amount": "212.00", "transaction_id": "WX-1"}
    return copy.deepcopy(body)


def post_marketplace(client, channel, body, secret=None, raw=None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    headers = {}
    if secret is not False:
        headers["HTTP_X_CHANNEL_SIGNATURE"] = marketplace_signature(
            secret or channel.inbound_secret, data
        )
    return client.generic(
        "POST", URL.format(code=channel.code), data, content_type="application/json", **headers
    )


def post_store(client, channel, body, topic="orders/create", message_id=None, token=None):
    headers = {"HTTP_X_STORE_TOPIC": topic}
    if token is not False:
        headers["HTTP_X_STORE_TOKEN"] = token or channel.inbound_secret
    if message_id:
        headers["HTTP_X_STORE_MESSAGE_ID"] = message_id
    return client.generic(
        "POST",
        URL.format(code=channel.code),
        json.dumps(body).encode(),
        content_type="application/json",
        **headers,
    )


# --- fixtures ------------------------------------------------------------------


@pytest.fixture
def market(world):
    channel = SalesChannelFactory(code="TMALL", kind=SalesChannel.Kind.MARKETPLACE)
    channel, _secret = channel_connector_set(channel=channel, connector="marketplace")
    return channel


@pytest.fixture
def store(world):
    channel, _secret = channel_connector_set(channel=world["channel"], connector="web_store")
    return channel


@pytest.fixture
def api():
    return APIClient()


# --- marketplace -----------------------------------------------------------------


def test_marketplace_trade_created_makes_an_order_with_the_mapped_lines(api, market):
    response = post_marketplace(api, market, trade_created())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "applied"
    assert body["duplicate"] is False
    order = Order.objects.get(number=body["order"])
    assert order.channel == market
    assert order.external_ref == "TB1001"
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [
        ("TEA-1", 2),
        ("CUP-1", 1),
    ]
    assert order.total == Decimal("230.00")  # 200 + 20 + 10 shipping
    assert order.customer.phone == "13800138000"
    assert order.shipping_address["street"] == "世纪大道100号"
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.APPLIED
    assert message.order == order


def test_the_signature_is_an_hmac_of_the_raw_body_with_the_channel_secret(api, market):
    raw = json.dumps(trade_created()).encode()
    expected = "sha256=" + hmac.new(market.inbound_secret.encode(), raw, hashlib.sha256).hexdigest()
    assert marketplace_signature(market.inbound_secret, raw) == expected
    response = api.generic(
        "POST",
        URL.format(code="TMALL"),
        raw,
        content_type="application/json",
        HTTP_X_CHANNEL_SIGNATURE=expected,
    )
    assert response.status_code == 201


def test_wrong_or_missing_signature_is_401_and_nothing_is_stored(api, market):
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    wrong = post_marketplace(api, market, trade_created(), secret="not-the-secret-at-all")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "authentication_failed"
    assert "signature" in wrong.json()["error"]["message"].lower()
    missing = post_marketplace(api, market, trade_created(), secret=False)
    assert missing.status_code == 401
    assert "X-Channel-Signature" in missing.json()["error"]["message"]
    # A body changed after signing no longer matches.
    raw = json.dumps(trade_created()).encode()
    tampered = api.generic(
        "POST",
        URL.format(code="TMALL"),
        raw.replace(b'"num": 2', b'"num": 9'),
        content_type="application/json",
        HTTP_X_CHANNEL_SIGNATURE=marketplace_signature(market.inbound_secret, raw),
    )
    assert tampered.status_code == 401
    assert InboundMessage.objects.count() == 0
    assert Order.objects.count() == 0


def test_unknown_channel_is_404_and_channel_without_connector_409(api, world):
    response = post_store(api, world["channel"], store_order(), token="x" * 20)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connector_missing"
    response = api.post(URL.format(code="NOPE"), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_same_message_twice_is_stored_once_and_applied_once(api, market):
    first = post_marketplace(api, market, trade_created())
    again = post_marketplace(api, market, trade_created())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["order"] == first.json()["order"]
    assert InboundMessage.objects.count() == 1
    assert Order.objects.count() == 1


def test_same_order_under_a_new_message_id_returns_the_existing_order(api, market):
    first = post_marketplace(api, market, trade_created(msg_id="A"))
    second = post_marketplace(api, market, trade_created(msg_id="B"))
    assert second.status_code == 201
    assert second.json()["order"] == first.json()["order"]
    assert Order.objects.count() == 1
    assert InboundMessage.objects.count() == 2


def test_paid_before_created_is_held_then_applied_once_when_the_order_arrives(api, market):
    paid = post_marketplace(api, market, trade_paid())
    assert paid.status_code == 202, paid.content
    assert paid.json()["status"] == "held"
    assert "TB1001" in paid.json()["held_reason"]
    assert Order.objects.count() == 0

    created = post_marketplace(api, market, trade_created())
    assert created.status_code == 201
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert [(p.amount, p.reference) for p in order.payments.all()] == [(Decimal("230.00"), "ALI-1")]
    held = InboundMessage.objects.get(message_id="TB1001-paid")
    assert held.status == InboundMessage.Status.APPLIED
    assert held.order == order
    assert held.held_reason == ""

    # The periodic retry and the same paid message again change nothing.
    assert inbound_retry_held() == {"applied": 0, "held": 0, "expired": 0, "failed": 0}
    again = post_marketplace(api, market, trade_paid())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert order.payments.count() == 1


def test_paid_news_under_two_message_ids_pays_once(api, market):
    post_marketplace(api, market, trade_created())
    assert post_marketplace(api, market, trade_paid(msg_id="P1")).status_code == 201
    assert post_marketplace(api, market, trade_paid(msg_id="P2")).status_code == 201
    assert Payment.objects.count() == 1


def test_a_held_message_is_given_up_visibly_after_the_configured_time(api, market, settings):
    settings.INBOUND_HOLD_HOURS = 2
    post_marketplace(api, market, trade_paid(tid="NEVER"))
    assert inbound_retry_held()["held"] == 1  # still waiting
    later = timezone.now() + timedelta(hours=3)
    assert inbound_retry_held(now=later)["expired"] == 1
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.EXPIRED
    assert "NEVER" in message.error
    assert inbound_retry_held(now=later)["expired"] == 0  # safe twice


def test_unknown_sku_is_stored_as_failed_naming_the_field_and_writes_nothing(api, market):
    response = post_marketplace(api, market, trade_created(sku="NOPE-9"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert list(error["fields"]) == ["trade.orders[0].outer_sku_id"]
    assert "NOPE-9" in error["message"]
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.FAILED
    assert message.error_field == "trade.orders[0].outer_sku_id"
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_failed_message_sent_again_after_the_fix_is_applied(api, market, world):
    assert post_marketplace(api, market, trade_created(sku="NEW-1")).status_code == 422
    ProductFactory(sku="NEW-1")
    response = post_marketplace(api, market, trade_created(sku="NEW-1"))
    assert response.status_code == 201
    assert response.json()["duplicate"] is False  # the same message, applied this time
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.APPLIED
    assert message.attempts == 2


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({"topic": "TRADE_CREATED", "trade": {"tid": "X"}}).encode(), "msg_id"),
    ],
)
def test_bad_payloads_answer_422_naming_the_field(api, market, raw, field):
    response = post_marketplace(api, market, None, raw=raw)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert InboundMessage.objects.get().status == InboundMessage.Status.FAILED


def test_bad_quantity_and_payment_exceeding_total(api, market):
    body = trade_created()
    body["trade"]["orders"][1]["num"] = "lots"
    response = post_marketplace(api, market, body)
    assert response.status_code == 422
    assert "trade.orders[1].num" in response.json()["error"]["fields"]

    post_marketplace(api, market, trade_created(tid="T2"))
    too_much = post_marketplace(api, market, trade_paid(tid="T2", payment="999.00"))
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "payment_exceeds_total"
    assert Payment.objects.count() == 0


def test_two_orders_of_one_buyer_give_one_customer(api, market):
    post_marketplace(api, market, trade_created(tid="T1"))
    post_marketplace(api, market, trade_created(tid="T2"))
    assert Order.objects.count() == 2
    assert Customer.objects.filter(phone="13800138000").count() == 1
    assert Order.objects.values("customer").distinct().count() == 1


def test_trade_closed_cancels_and_other_topics_are_ignored(api, market):
    post_marketplace(api, market, trade_created())
    closed = {
        "msg_id": "C1",
        "topic": "TRADE_CLOSED",
        "trade": {"tid": "TB1001", "close_reason": "buyer changed mind"},
    }
    assert post_marketplace(api, market, closed).status_code == 201
    assert Order.objects.get().status == Order.Status.CANCELLED
    other = {"msg_id": "R1", "topic": "TRADE_RATED", "trade": {"tid": "TB1001"}}
    response = post_marketplace(api, market, other)
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"


# --- web store -------------------------------------------------------------------


def test_web_store_order_matches_an_existing_customer_by_email(api, store):
    known = CustomerFactory(email="li.lei@example.com", phone="")
    response = post_store(api, store, store_order(), message_id="m-1")
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["order"])
    assert order.customer == known
    assert order.external_ref == "5001"
    assert order.total == Decimal("212.00")
    assert order.shipping_address["street"] == "中关村大街1号"
    assert Customer.objects.count() == 1


def test_web_store_paid_on_create_records_the_payment(api, store):
    response = post_store(api, store, store_order(paid=True), message_id="m-1")
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.payments.get().method == "wechat_pay"


def test_web_store_paid_before_create_is_held(api, store):
    paid = store_order()
    paid["payment"] = {"gateway": "alipay", "amount": "212.00", "transaction_id": "A-9"}
    assert post_store(api, store, paid, topic="orders/paid", message_id="p").status_code == 202
    assert post_store(api, store, store_order(), message_id="c").status_code == 201
    assert Order.objects.get().payment_status == Order.PaymentStatus.PAID


def test_web_store_token_is_checked(api, store):
    assert post_store(api, store, store_order(), token="wrong-token-123456").status_code == 401
    response = post_store(api, store, store_order(), token=False)
    assert response.status_code == 401
    assert "X-Store-Token" in response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"]
    assert InboundMessage.objects.count() == 0


def test_web_store_without_message_id_dedups_by_content(api, store):
    assert post_store(api, store, store_order()).status_code == 201
    again = post_store(api, store, store_order())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    missing_topic = api.generic(
        "POST",
        URL.format(code=store.code),
        json.dumps(store_order()).encode(),
        content_type="application/json",
        HTTP_X_STORE_TOKEN=store.inbound_secret,
    )
    assert missing_topic.status_code == 422
    assert "X-Store-Topic" in missing_topic.json()["error"]["fields"]


def test_web_store_missing_shipping_city_names_the_field(api, store):
    body = store_order()
    del body["shipping_address"]["city"]
    response = post_store(api, store, body, message_id="x")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["shipping_address.city"]


# --- secrets -----------------------------------------------------------------------


def test_rotating_the_secret_refuses_the_old_one(api, store):
    old = store.inbound_secret
    channel, new = channel_connector_set(channel=store, connector="web_store", rotate=True)
    assert new and new != old and channel.inbound_secret == new
    assert post_store(api, channel, store_order(), token=old).status_code == 401
    assert post_store(api, channel, store_order(), token=new).status_code == 201


def test_management_command_sets_connector_and_prints_secret_once(world):
    out = io.StringIO()
    call_command("channel_connector", "web", "web_store", stdout=out)
    channel = SalesChannel.objects.get(code="WEB")
    assert channel.connector == "web_store"
    assert f"secret: {channel.inbound_secret}" in out.getvalue()
    out = io.StringIO()
    call_command("channel_connector", "WEB", "web_store", stdout=out)
    assert "secret" not in out.getvalue()  # kept, not shown again
    with pytest.raises(CommandError):
        call_command("channel_connector", "WEB", "carrier-pigeon")


# --- garbage in, 4xx out ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t.update(created="2026-13-45 25:61:00"), "trade.created"),
        (lambda t: t["orders"][0].update(price="1e20"), "trade.orders[0].price"),
        (lambda t: t["orders"][0].update(price="99999999", num=99999), "trade.orders[0]"),
        (lambda t: t["orders"][0].update(num=True), "trade.orders[0].num"),
        (lambda t: t.update(orders=[]), "trade.orders"),
        (lambda t: t.update(orders=["x"]), "trade.orders[0].outer_sku_id"),
        (lambda t: t.update(receiver_mobile="not a phone"), "phone"),
    ],
)
def test_garbage_fields_are_refused_naming_them(api, market, change, field):
    body = trade_created()
    change(body["trade"])
    response = post_marketplace(api, market, body)
    assert 400 <= response.status_code < 500, response.content
    assert field in response.json()["error"]["fields"]
    assert Order.objects.count() == 0


def test_other_methods_and_oauth_tokens_get_no_way_in(api, market, integration):
    assert api.get(URL.format(code="TMALL")).status_code == 401
    bearer = integration("orders:write")
    response = bearer.post(URL.format(code="TMALL"), trade_created(), format="json")
    assert response.status_code == 401  # a channel signs; an OAuth token is not enough
    assert InboundMessage.objects.count() == 0


def test_the_periodic_task_applies_held_messages_and_is_on_the_beat(api, market, world):
    from django.conf import settings

    from orders.services import LineInput, order_create
    from orders.tasks import inbound_retry_held as task

    assert settings.CELERY_BEAT_SCHEDULE["retry-held-inbound"]["task"] == task.name
    post_marketplace(api, market, trade_paid(payment="200.00"))
    assert market.inbound_messages.get().status == InboundMessage.Status.HELD
    # The order arrives another way: a clerk typed it in with the channel's number.
    order_create(
        channel=market,
        external_ref="TB1001",
        customer={"name": "王芳", "phone": "13800138000"},
        shipping_address={"recipient": "王芳", "city": "上海市", "street": "世纪大道100号"},
        lines=[LineInput(product=world["tea"], quantity=2, unit_price=Decimal("100"))],
    )
    assert task.delay().get() == {"applied": 1, "held": 0, "expired": 0, "failed": 0}
    assert Order.objects.get().payment_status == Order.PaymentStatus.PAID
    assert task.delay().get() == {"applied": 0, "held": 0, "expired": 0, "failed": 0}


def test_a_message_stored_but_not_applied_is_applied_when_sent_again(api, market, monkeypatch):
    """Review fix: a call that broke off after storing the message (a
    database error, a killed worker) left it "received"; the channel's retry
    was answered "duplicate" and the order never came."""
    from orders.services import inbound

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(inbound, "order_create", broken)
    api.raise_request_exception = False
    assert post_marketplace(api, market, trade_created()).status_code == 500
    message = InboundMessage.objects.get()
    assert message.status == InboundMessage.Status.RECEIVED and not Order.objects.exists()
    monkeypatch.undo()
    again = post_marketplace(api, market, trade_created())
    assert again.status_code == 201, again.content
    assert again.json()["duplicate"] is False and again.json()["status"] == "applied"
    assert Order.objects.count() == 1 and InboundMessage.objects.count() == 1
    # ... and once applied, a third copy is a duplicate.
    third = post_marketplace(api, market, trade_created())
    assert third.status_code == 200 and third.json()["duplicate"] is True
    assert Order.objects.count() == 1
