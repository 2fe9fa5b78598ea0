"""Customer notifications: each trigger sends exactly one message per event,
in the customer's language, after the transaction commits (none for a
rolled-back change), with the portal link; SMS through an HTTP provider
(a real local HTTP server here, not a mock); marketing opt-out does not stop
transactional messages; staff see what was sent."""

import json
import logging
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from aftersales.models import CustomerNotice, Ticket
from aftersales.services.tickets import ticket_create, ticket_note, ticket_reply, ticket_resolve
from crm.models import Contact, Customer, Tag
from crm.services.campaigns import campaign_create, campaign_send
from crm.services.segments import segment_create
from erp.core.models import Notification
from erp.core.notifications import notification_deliver
from erp.core.tasks import deliver_notification
from erp.portal.access import portal_url
from erp.portal.notifications import Event, notify_customer
from logistics.models import Shipment, ShipmentException
from logistics.services import (
    exception_open,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_for_update,
    shipment_transition,
)
from orders.models import Order
from orders.services import order_confirm
from orders.signals import order_status_changed
from tests.factories import CustomerFactory
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401  (shared fixtures)
from tests.orders.conftest import place, stock, world  # noqa: F401

# The shared fixtures are imported above and taken as arguments below.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db

HTTP_BACKEND = "erp.core.notifications.HttpProviderBackend"


def sent(event, *, channel=None):
    rows = Notification.objects.filter(key__startswith=f"customer:{event}:")
    return rows.filter(channel=channel) if channel else rows


@pytest.fixture
def customer_order(stock, place):
    """An order of 2 TEA-1 placed by 王芳 (phone 13800000001), pending, for
    whatever language and addresses a test gives her."""

    def make(*, language="zh-hans", email="wang.fang@example.com", phone="13800000001"):
        stock("sh", "tea", 10)
        order = place(("tea", 2), phone=phone or "13800000001")
        Customer.objects.filter(pk=order.customer_id).update(
            language=language, email=email, phone=phone
        )
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def dispatched(customer_order, world, weighed, carrier, packed, django_capture_on_commit_callbacks):
    """A confirmed order whose one shipment left with SF, tracking number SF42."""

    def make(**customer):
        order = customer_order(**customer)
        order_confirm(order=order)
        shipment = shipment_create(order=order, warehouse=world["sh"])
        packed(shipment)
        with django_capture_on_commit_callbacks(execute=True):
            shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF42")
        return shipment

    return make


def move(shipment, status):
    with transaction.atomic():
        locked = shipment_for_update(shipment.pk)
        shipment_transition(shipment=locked, to_status=status)


# --- Order confirmed: once, in the customer's language, after commit ----------


def test_order_confirmed_once_in_chinese_with_the_portal_link(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order(language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)

    (note,) = sent(Event.ORDER_CONFIRMED)
    assert note.channel == "email" and note.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang.fang@example.com"]
    assert message.subject == f"您的订单 {order.number} 已确认"
    assert "王芳，您好" in message.body and "× 2" in message.body
    assert portal_url(order) in message.body and order.tracking_token in portal_url(order)

    # The signal again (a retried receiver), the task run again: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        order_status_changed.send(
            sender=Order, order_id=order.pk, from_status="pending", to_status="confirmed"
        )
    notify_customer.apply(args=[Event.ORDER_CONFIRMED, order.pk])
    assert sent(Event.ORDER_CONFIRMED).count() == 1 and len(mail.outbox) == 1


def test_an_english_customer_is_written_in_english(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    (message,) = mail.outbox
    assert message.subject == f"Your order {order.number} is confirmed"
    assert "Dear 王芳" in message.body and "Total: 200.00 CNY" in message.body
    assert portal_url(order) in message.body
    assert "您的订单" not in message.body and "确认" not in message.subject


def test_a_rolled_back_confirmation_sends_nothing(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        order_confirm(order=order)
        raise RuntimeError("the request failed after the confirmation")
    assert callbacks == []
    assert not Notification.objects.exists() and mail.outbox == []
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_real_transactions_only_a_committed_change_notifies(customer_order):
    """Without the test's wrapping transaction: on_commit runs for real."""
    order = customer_order()
    with pytest.raises(RuntimeError), transaction.atomic():
        order_confirm(order=order)
        assert not Notification.objects.exists()  # nothing before the commit
        raise RuntimeError("rolled back")
    assert not Notification.objects.exists() and mail.outbox == []

    order_confirm(order=order)  # commits
    assert sent(Event.ORDER_CONFIRMED).get().status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_a_release_from_hold_does_not_confirm_again(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order()
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
        order_status_changed.send(
            sender=Order, order_id=order.pk, from_status="on_hold", to_status="confirmed"
        )
    assert sent(Event.ORDER_CONFIRMED).count() == 1 and len(mail.outbox) == 1


# --- Shipments ----------------------------------------------------------------


def test_shipped_carries_carrier_tracking_number_and_portal_link_by_email_and_sms(
    dispatched, caplog
):
    caplog.set_level(logging.INFO, logger="erp.notifications")
    shipment = dispatched(language="zh-hans")
    order = shipment.order
    email = sent(Event.SHIPPED, channel="email").get()
    sms = sent(Event.SHIPPED, channel="sms").get()  # shipped goes by SMS too
    assert sent(Event.SHIPPED).count() == 2
    shipped = [m for m in mail.outbox if "已发货" in m.subject]
    assert len(shipped) == 1
    body = shipped[0].body
    assert "顺丰速运" in body and "运单号：SF42" in body and portal_url(order) in body
    assert "https://www.sf-express.com/track?no=SF42" in body
    assert sms.recipient == "13800000001" and sms.status == Notification.Status.SENT
    assert "SF42" in sms.body and portal_url(order) in sms.body and len(sms.body) < len(body)
    assert email.subject == sms.subject == f"您的订单 {order.number} 已发货"
    # Development: the SMS went to the console backend, which without DEBUG
    # logs the masked number and the subject, never the body.
    assert f"sms to ***0001: {sms.subject}" in caplog.text
    assert portal_url(order) not in caplog.text

    notify_customer.apply(args=[Event.SHIPPED, shipment.pk])
    assert sent(Event.SHIPPED).count() == 2 and len(shipped) == 1


def test_out_for_delivery_to_a_phone_only_customer_is_one_sms(
    dispatched, django_capture_on_commit_callbacks
):
    shipment = dispatched(language="en", email="")
    with django_capture_on_commit_callbacks(execute=True):
        move(shipment, Shipment.Status.OUT_FOR_DELIVERY)
    (sms,) = sent(Event.OUT_FOR_DELIVERY)
    assert sms.channel == "sms" and sms.recipient == "13800000001"
    assert sms.body.startswith(f"Your order {shipment.order.number} is out for delivery")
    assert portal_url(shipment.order) in sms.body
    assert mail.outbox == []  # no e-mail address, nothing mailed
    with django_capture_on_commit_callbacks(execute=True):
        from logistics.signals import shipment_status_changed

        shipment_status_changed.send(
            sender=Shipment,
            shipment_id=shipment.pk,
            order_id=shipment.order_id,
            from_status="in_transit",
            to_status="out_for_delivery",
        )
    assert sent(Event.OUT_FOR_DELIVERY).count() == 1


def test_delivered_names_who_signed_and_an_overtaken_message_is_not_sent(
    dispatched, django_capture_on_commit_callbacks
):
    shipment = dispatched(language="zh-hans")
    mail.outbox.clear()
    # Out for delivery and delivered reach us in one go (a carrier's batch):
    # the customer hears of the delivery only.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        move(shipment, Shipment.Status.OUT_FOR_DELIVERY)
        shipment_deliver(shipment=shipment, recipient_name="门卫李师傅")
    assert not sent(Event.OUT_FOR_DELIVERY).exists()
    assert sent(Event.DELIVERED).count() == 1
    (message,) = mail.outbox
    assert message.subject == f"您的订单 {shipment.order.number} 已签收"
    assert "由 门卫李师傅 签收" in message.body and "已全部送达" in message.body
    assert portal_url(shipment.order) in message.body and "申请退换货" in message.body


def test_an_exception_apologises_and_says_what_happens_next_once(
    dispatched, django_capture_on_commit_callbacks
):
    shipment = dispatched(language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exception, _created = exception_open(
            shipment=shipment, kind=ShipmentException.Kind.FAILED_ATTEMPT, details="无人在家"
        )
    assert sent(Event.SHIPMENT_EXCEPTION).get().channel == "email"
    (message,) = mail.outbox  # one message: after-sales no longer sends its own notice
    assert not CustomerNotice.objects.exists()
    assert message.subject == f"About the delivery of your order {shipment.order.number}"
    assert "We are sorry" in message.body and "What happens next" in message.body
    assert "try again on the next working day" in message.body
    assert "SF42" in message.body and portal_url(shipment.order) in message.body
    assert "无人在家" not in message.body  # staff's details stay with staff
    # The exception's ticket opened too (a system ticket: no acknowledgement).
    assert Ticket.objects.get(shipment_exception=exception).channel == "system"
    assert not sent(Event.TICKET_CREATED).exists()

    notify_customer.apply(args=[Event.SHIPMENT_EXCEPTION, exception.pk])
    assert sent(Event.SHIPMENT_EXCEPTION).count() == 1 and len(mail.outbox) == 1


def test_damage_in_chinese_and_cold_chain_problems_stay_with_staff(
    dispatched, django_capture_on_commit_callbacks
):
    shipment = dispatched(language="zh-hans")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exception_open(shipment=shipment, kind=ShipmentException.Kind.TEMPERATURE)
    assert not sent(Event.SHIPMENT_EXCEPTION).exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        exception_open(shipment=shipment, kind=ShipmentException.Kind.DAMAGED, details="外箱压坏")
    (message,) = mail.outbox
    assert "非常抱歉" in message.body and "后续安排" in message.body
    assert "补发或退款" in message.body


# --- Tickets ------------------------------------------------------------------


@pytest.fixture
def agent(make_user):
    return make_user("aftersales_agent", username="ann", email="ann@example.com")


def open_ticket(customer, capture, **kwargs):
    with capture(execute=True):
        return ticket_create(
            customer=customer,
            subject="茶叶受潮",
            kind="complaint",
            channel="phone",
            description="包装破损",
            **kwargs,
        )


def test_ticket_created_reply_and_resolution_each_once_with_survey_and_link(
    customer_order, agent, django_capture_on_commit_callbacks
):
    order = customer_order(language="zh-hans")
    capture = django_capture_on_commit_callbacks
    ticket = open_ticket(order.customer, capture, order=order)
    (created,) = sent(Event.TICKET_CREATED)
    assert created.subject == f"[{ticket.number}] 我们已收到您的请求"
    # The request's page under the order's secret link.
    assert f"{portal_url(order)}tickets/{ticket.number}/" in created.body

    with capture(execute=True):
        ticket_note(ticket=ticket, body="先查库存", actor=agent)
        reply = ticket_reply(ticket=ticket, body="请提供照片。", actor=agent)
    (answer,) = sent(Event.TICKET_REPLY)
    assert answer.key == f"customer:ticket_reply:{reply.pk}"
    assert answer.body.startswith("请提供照片。") and portal_url(order) in answer.body
    assert not any("先查库存" in n.body for n in Notification.objects.all())  # notes never

    with capture(execute=True):
        ticket_resolve(ticket=ticket, summary="已为您补发一盒新茶。", actor=agent)
    (resolved,) = sent(Event.TICKET_RESOLVED)
    ticket.refresh_from_db()
    assert "已为您补发一盒新茶。" in resolved.body and "评价服务" in resolved.body
    assert f"/aftersales/survey/{ticket.feedback.token}/" in resolved.body
    assert portal_url(order) in resolved.body

    notify_customer.apply(args=[Event.TICKET_REPLY, reply.pk])
    notify_customer.apply(args=[Event.TICKET_CREATED, ticket.pk])
    assert sent(Event.TICKET_CREATED).count() == sent(Event.TICKET_REPLY).count() == 1
    to_customer = [m for m in mail.outbox if m.to == ["wang.fang@example.com"]]
    assert len(to_customer) == 3  # received, reply, resolved


def test_ticket_messages_in_english_for_an_english_customer(
    agent, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="li@example.com", language="en")
    ticket = open_ticket(customer, django_capture_on_commit_callbacks)
    (created,) = sent(Event.TICKET_CREATED)
    assert created.subject == f"[{ticket.number}] We received your request"
    assert "/track/account/" in created.body  # no order: their portal account
    with django_capture_on_commit_callbacks(execute=True):
        ticket_resolve(ticket=ticket, summary="Refunded.", actor=agent)
    resolved = sent(Event.TICKET_RESOLVED).get()
    assert "is resolved" in resolved.body and "Rate our service" in resolved.body


def test_a_rolled_back_reply_sends_nothing(agent, django_capture_on_commit_callbacks):
    ticket = open_ticket(
        CustomerFactory(email="li@example.com"), django_capture_on_commit_callbacks
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ticket_reply(ticket=ticket, body="马上处理", actor=agent)
        raise RuntimeError
    assert not sent(Event.TICKET_REPLY).exists()


def test_a_company_without_an_address_is_written_at_its_primary_contact(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order(email="", phone="")
    company = order.customer
    company.kind = Customer.Kind.COMPANY
    company.save(update_fields=["kind"])
    Contact.objects.create(customer=company, name="采购 刘", email="buyer@example.com")
    Contact.objects.create(
        customer=company, name="收货 周", email="dock@example.com", is_primary=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    assert sent(Event.ORDER_CONFIRMED).get().recipient == "dock@example.com"


def test_a_customer_without_any_address_is_recorded_as_skipped(
    customer_order, django_capture_on_commit_callbacks
):
    order = customer_order(email="", phone="")
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    note = sent(Event.ORDER_CONFIRMED).get()
    assert note.status == Notification.Status.SKIPPED and note.recipient == ""
    assert mail.outbox == []


# --- Preferences: transactional messages ignore the marketing opt-out --------


def test_marketing_opt_out_stops_campaigns_not_order_messages(
    customer_order, make_user, django_capture_on_commit_callbacks
):
    order = customer_order(language="zh-hans")
    customer = order.customer
    customer.marketing_consent, customer.consent_at = False, timezone.now()  # opted out
    customer.save(update_fields=["marketing_consent", "consent_at"])
    fan = CustomerFactory(email="fan@example.com", marketing_consent=True)
    tag = Tag.objects.create(name="tea-lovers")
    customer.tags.add(tag)
    fan.tags.add(tag)
    segment = segment_create(name="Tea lovers", filters={"tags": ["tea-lovers"]})
    campaign = campaign_create(
        name="Autumn tea", segment=segment, channel="email", subject="新茶", message="新茶上市"
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(campaign=campaign, actor=make_user("account_manager"))
        order_confirm(order=order)

    campaign_mail = [m.to for m in mail.outbox if m.subject == "新茶"]
    assert campaign_mail == [["fan@example.com"]]  # the campaign respects the opt-out
    assert sent(Event.ORDER_CONFIRMED).get().recipient == "wang.fang@example.com"


# --- SMS through an HTTP provider (a real local server) ----------------------


class Provider:
    """A tiny SMS provider on 127.0.0.1: records each POST and answers `status`."""

    def __init__(self):
        self.requests, self.status, self.delay = [], 200, 0.0
        self.statuses = []  # answers to give first, one per request, then `status`
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                provider.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                if provider.delay:
                    threading.Event().wait(provider.delay)
                status = provider.statuses.pop(0) if provider.statuses else provider.status
                answer = json.dumps({"ok": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"


@contextmanager
def running(provider):
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()
        thread.join(5)


@pytest.fixture
def provider(settings):
    provider = Provider()
    settings.NOTIFICATION_BACKENDS = {**settings.NOTIFICATION_BACKENDS, "sms": HTTP_BACKEND}
    settings.NOTIFICATION_HTTP = {
        **settings.NOTIFICATION_HTTP,
        "sms": {"url": provider.url, "token": "t0ken", "header": "Authorization", "timeout": 2},
    }
    with running(provider):
        yield provider


def test_the_http_sms_backend_posts_the_message_as_json_with_the_token(
    provider, customer_order, django_capture_on_commit_callbacks
):
    order = customer_order(language="zh-hans", email="")  # phone only: SMS
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    note = sent(Event.ORDER_CONFIRMED).get()
    assert note.channel == "sms" and note.status == Notification.Status.SENT
    (request,) = provider.requests
    assert request["path"] == "/v1/sms"
    assert request["headers"]["Authorization"] == "Bearer t0ken"
    assert request["headers"]["Idempotency-Key"] == note.key
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["json"] == {
        "id": f"customer:order_confirmed:{order.pk}",
        "channel": "sms",
        "to": "13800000001",
        "subject": f"您的订单 {order.number} 已确认",
        "body": f"您的订单{order.number}已确认，正在备货。订单查询：{portal_url(order)}",
    }


def test_a_failing_provider_leaves_the_notification_failed_after_the_retries(
    provider, customer_order, django_capture_on_commit_callbacks
):
    provider.status = 503
    order = customer_order(email="")
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)  # the delivery task fails and asks for a retry
    note = sent(Event.ORDER_CONFIRMED).get()
    assert note.status == Notification.Status.FAILED and "503" in note.error
    assert len(provider.requests) == 1

    # The retry the worker runs later (eager here: run by hand) fails again
    # and asks for the next one, 2 minutes on.
    with pytest.raises(Retry) as retry:
        deliver_notification.apply(args=[note.pk], retries=1)
    assert retry.value.when == 120
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED and len(provider.requests) == 2
    assert {r["headers"]["Idempotency-Key"] for r in provider.requests} == {note.key}

    provider.status = 200  # the provider is back: the next retry sends it
    assert deliver_notification.apply(args=[note.pk], retries=2).get() == "sent"
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT and note.error == "" and note.sent_at
    assert len(provider.requests) == 3
    notification_deliver(notification_id=note.pk)  # sent: never again
    assert len(provider.requests) == 3


def test_timeouts_and_refused_connections_fail_without_sending(provider, settings):
    note = Notification.objects.create(
        key="customer:test:1", channel="sms", recipient="13800000009", subject="s", body="b"
    )
    provider.delay = 1.0  # answers after the backend gave up
    settings.NOTIFICATION_HTTP = {"sms": {"url": provider.url, "timeout": 0.2}}
    failed = notification_deliver(notification_id=note.pk)
    assert failed.status == Notification.Status.FAILED and "timed out" in failed.error

    closed = Provider()
    closed.server.server_close()  # nobody listens there any more
    settings.NOTIFICATION_HTTP = {"sms": {"url": closed.url}}
    failed = notification_deliver(notification_id=note.pk)
    assert failed.status == Notification.Status.FAILED and "unreachable" in failed.error

    # Configured nowhere: failed (and retried) rather than lost as "sent".
    settings.NOTIFICATION_HTTP = {}
    failed = notification_deliver(notification_id=note.pk)
    assert failed.status == Notification.Status.FAILED and "no provider URL" in failed.error


def test_app_push_goes_to_the_customer_code_with_the_providers_own_header(
    provider, settings, customer_order, django_capture_on_commit_callbacks
):
    settings.NOTIFY_CUSTOMER_PUSH = True
    settings.NOTIFICATION_BACKENDS = {**settings.NOTIFICATION_BACKENDS, "push": HTTP_BACKEND}
    settings.NOTIFICATION_HTTP = {
        **settings.NOTIFICATION_HTTP,
        "push": {"url": provider.url, "token": "k3y", "header": "X-Api-Key", "timeout": 2},
    }
    order = customer_order(language="en")  # e-mail, and the push
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    push = sent(Event.ORDER_CONFIRMED, channel="push").get()
    assert push.key == f"customer:order_confirmed:{order.pk}:push"
    assert push.status == Notification.Status.SENT and len(mail.outbox) == 1
    (request,) = provider.requests
    assert request["headers"]["X-Api-Key"] == "k3y" and "Authorization" not in request["headers"]
    assert request["json"]["channel"] == "push"
    assert request["json"]["to"] == order.customer.code
    assert request["json"]["body"].startswith(f"Your order {order.number} is confirmed")


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_composes_delivers_and_retries_through_the_broker(
    provider, customer_order, monkeypatch
):
    """The whole way with a Celery worker on the Redis broker: the commit
    queues the composing task, which queues the delivery; the provider's
    first answer is 503, the retry (after 0 s here) gets it through."""
    from celery.contrib.testing.worker import start_worker

    from erp.celery import app

    provider.statuses = [503]
    monkeypatch.setattr(deliver_notification, "default_retry_delay", 0)
    order = customer_order(email="")  # phone only: SMS through the provider
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            order_confirm(order=order)  # commits: the signal queues portal.notify_customer
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not sent(Event.ORDER_CONFIRMED).filter(
                status=Notification.Status.SENT
            ):
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    note = sent(Event.ORDER_CONFIRMED).get()
    assert note.status == Notification.Status.SENT and note.channel == "sms"
    assert [r["json"]["id"] for r in provider.requests] == [note.key, note.key]


# --- Staff see what was sent -------------------------------------------------


def test_staff_list_shows_customer_notifications_with_status_and_filters(
    customer_order,
    role_client,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    order = customer_order(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        order_confirm(order=order)
    Notification.objects.create(  # a staff notice: not a customer notification
        key="care:1",
        channel="email",
        recipient="staff@example.com",
        subject="Call the VIP",
        body="x",
    )
    failed = Notification.objects.create(
        key="customer:shipped:999",
        channel="sms",
        recipient="13900000000",
        subject="Your order X has shipped",
        body="secret body",
        status=Notification.Status.FAILED,
        error="provider answered 503",
    )
    agent = role_client("aftersales_agent")
    with django_assert_max_num_queries(7):  # however many rows: no query per row
        page = agent.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Your order {order.number} is confirmed" in html and "wang.fang@example.com" in html
    assert "Your order X has shipped" in html and "provider answered 503" in html
    assert "Call the VIP" not in html  # staff notices are not listed
    assert "secret body" not in html and "Dear" not in html  # bodies are never shown

    only_failed = agent.get("/notifications/", {"status": "failed"}).content.decode()
    assert failed.subject in only_failed and order.number not in only_failed
    shipped = agent.get("/notifications/", {"event": "shipped", "channel": "sms"})
    assert failed.subject in shipped.content.decode()
    confirmed = agent.get("/notifications/", {"event": Event.ORDER_CONFIRMED}).content.decode()
    assert order.number in confirmed and failed.subject not in confirmed

    assert role_client("admin").get("/notifications/").status_code == 200
    assert role_client("warehouse").get("/notifications/").status_code == 403
