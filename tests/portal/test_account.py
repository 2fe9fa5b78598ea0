"""Customer sign-in to the portal with a one-time code, and "My orders"."""

import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.models import Ticket
from aftersales.services.returns import return_request_create
from aftersales.services.tickets import ticket_create
from crm.models import Contact
from crm.services.customers import contact_create, customer_create, customer_update
from crm.services.merge import customer_merge, customer_merge_undo
from erp.core.models import Notification
from erp.portal import otp
from tests.aftersales.conftest import delivered  # noqa: F401  (shared fixtures)
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401
from tests.portal.seed import SECRETS, order_a, order_b  # noqa: F401

LOGIN = "/track/account/sign-in/"
CODE = "/track/account/code/"
HOME = "/track/account/"
LOGOUT = "/track/account/sign-out/"


class RecordingSms:
    """An SMS backend that keeps what it was given (the gateway's stand-in)."""

    sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        RecordingSms.sent.append(notification)


@pytest.fixture(autouse=True)
def backends(settings):
    RecordingSms.sent = []
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "tests.portal.test_account.RecordingSms",
    }
    return RecordingSms.sent


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """POST the sign-in form; notifications are delivered as after a commit."""

    def post(client, address, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LOGIN, {"address": address}, **extra)

    return post


class Clock:
    """timezone.now() moved forward by hand (cache expiry is not involved:
    codes and portal sessions carry their own deadlines)."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def advance(self, **delta):
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def browser(language: str = "en") -> Client:
    """A visitor who chose `language` with the language switch."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def enter(client, code):
    return client.post(CODE, {"code": code})


@pytest.fixture
def wang(place):  # noqa: F811
    """王芳 (English speaker, e-mail and phone) with two orders."""
    first = place(("tea", 1), phone="13800000001")
    second = place(("cup", 2), phone="13800000001")
    customer = customer_update(
        customer=first.customer, email="wang.fang@example.com", language="en"
    )
    return {"customer": customer, "orders": [first, second]}


@pytest.fixture
def li(place):  # noqa: F811
    """李雷, another customer, with one order."""
    order = place(("tea", 1), phone="13900000002")
    customer = customer_update(customer=order.customer, name="李雷", email="li.lei@example.com")
    return {"customer": customer, "orders": [order]}


@pytest.fixture
def acme(world, place):  # noqa: F811
    """A company customer with one order and two contacts (one inactive)."""
    company = customer_create(
        name="上海晨光贸易有限公司", kind="company", phone="02155550000", email="buy@acme.example"
    )
    order = place(("cup", 5), phone="02155550000")
    assert order.customer == company
    zhao = contact_create(customer=company, name="赵敏", email="zhao.min@acme.example")
    gone = contact_create(customer=company, name="钱进", phone="13700000009", role="finance")
    Contact.objects.filter(pk=gone.pk).update(active=False)
    return {"customer": company, "orders": [order], "contact": zhao}


def sign_in(client, ask, address, outbox):
    """Sign in through the pages with the code that arrived."""
    assert ask(client, address).status_code == 302
    message = outbox[-1]
    body = message.body
    response = enter(client, code_in(body))
    assert response.status_code == 302 and response["Location"] == HOME
    return response


# --- Codes --------------------------------------------------------------------------


def test_code_by_email_sent_once_in_the_customers_language(
    wang, ask, mailoutbox, backends, monkeypatch
):
    rendered_in = []
    real_render = otp.render_to_string

    def render_spy(*args, **kwargs):
        rendered_in.append(translation.get_language())
        return real_render(*args, **kwargs)

    monkeypatch.setattr(otp, "render_to_string", render_spy)
    client = Client()
    response = ask(client, "  Wang.Fang@Example.com ", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302 and response["Location"] == CODE

    assert len(mailoutbox) == 1 and backends == []
    message = mailoutbox[0]
    assert message.to == ["wang.fang@example.com"]
    assert rendered_in == ["en"]  # the customer's language, not the visitor's
    assert message.subject == "Your sign-in code"
    assert "valid for 10 minutes" in message.body
    code = code_in(message.body)
    notification = Notification.objects.get(key__startswith="portal-signin:")
    assert notification.status == Notification.Status.SENT and notification.channel == "email"
    # Once delivered, the code is not kept readable in the row.
    assert code not in notification.body and notification.body == "[redacted]"
    page = client.get(CODE).content.decode()
    assert code not in page and "w***@example.com" in page


def test_code_by_sms_for_a_phone_number_in_the_customers_language(
    li, ask, mailoutbox, backends, monkeypatch
):
    rendered_in = []
    real_render = otp.render_to_string
    monkeypatch.setattr(
        otp,
        "render_to_string",
        lambda *a, **k: rendered_in.append(translation.get_language()) or real_render(*a, **k),
    )
    client = browser("en")
    assert ask(client, "+86 139-0000-0002").status_code == 302
    assert mailoutbox == []
    assert [n.recipient for n in backends] == ["13900000002"]
    assert rendered_in == ["zh-hans"]  # 李雷's language, though the visitor reads English
    assert re.search(r"\b\d{6}\b", backends[0].body)


def test_asking_again_within_a_minute_sends_nothing_new(
    wang, ask, mailoutbox, clock, django_capture_on_commit_callbacks
):
    client = browser()
    ask(client, "wang.fang@example.com")
    ask(client, "wang.fang@example.com")
    response = client.post(CODE, {"resend": "1"}, follow=True)
    assert "please wait a minute" in response.content.decode()
    assert len(mailoutbox) == 1
    first = code_in(mailoutbox[0].body)

    clock.advance(seconds=61)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE, {"resend": "1"})
    assert len(mailoutbox) == 2
    second = code_in(mailoutbox[1].body)
    if first != second:  # the new code replaces the old one
        response = enter(client, first)
        assert response.status_code in (200, 302) and HOME not in response.get("Location", "")
    assert enter(client, second)["Location"] == HOME


def test_wrong_codes_are_refused_and_tries_are_limited(wang, ask, mailoutbox, backends, caplog):
    caplog.set_level(logging.INFO, logger="erp.security")
    client = browser()
    ask(client, "13800000001")
    code = code_in(backends[0].body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        response = enter(client, wrong)
        assert response.status_code == 200
        assert f"This code is not right. {left} tr" in response.content.decode()
    response = enter(client, wrong)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "Too many wrong codes" in client.get(LOGIN).content.decode()
    pending = {"challenge": "gone", "channel": "sms", "address": "13800000001"}
    assert enter(client, code)["Location"] == LOGIN  # nothing pending any more
    assert otp.SESSION_CUSTOMER not in client.session
    with pytest.raises(otp.SignInExpired):  # the code itself is dead too
        otp.signin_code_verify(pending=pending, code=code, request=None)
    assert client.get(HOME)["Location"] == LOGIN
    assert "portal_signin_failed" in caplog.text and code not in caplog.text


def test_an_expired_code_is_refused(wang, ask, mailoutbox, clock):
    client = browser()
    ask(client, "wang.fang@example.com")
    clock.advance(minutes=10, seconds=1)
    response = enter(client, code_in(mailoutbox[0].body))
    assert response["Location"] == LOGIN
    assert otp.SESSION_CUSTOMER not in client.session
    assert "This code has expired" in client.get(LOGIN).content.decode()


def test_an_unknown_address_answers_the_same_and_sends_nothing(
    wang, acme, ask, mailoutbox, backends
):
    known, unknown = browser(), browser()
    a = ask(known, "wang.fang@example.com")
    b = ask(unknown, "wong.fang@example.com")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a = known.get(CODE).content.decode()
    page_b = unknown.get(CODE).content.decode()
    assert len(mailoutbox) == 1 and backends == []
    assert Notification.objects.count() == 1

    def same(html):  # the masked address and the CSRF token differ, nothing else
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return html.replace("w***@example.com", "ADDRESS")

    assert same(page_a) == same(page_b)
    wrong_a = enter(known, "000000").content.decode()
    wrong_b = enter(unknown, "000000").content.decode()
    if code_in(mailoutbox[0].body) != "000000":
        assert same(wrong_a) == same(wrong_b)
        assert "This code is not right. 4 tries left." in wrong_b
    # Phone numbers nobody has, and contacts made inactive, get nothing either.
    assert ask(Client(), "13700000009").status_code == 302
    assert ask(Client(), "13311112222")["Location"] == CODE
    assert len(mailoutbox) == 1 and backends == []


def test_codes_asked_for_are_limited_per_ip_and_per_address(wang, ask, mailoutbox, settings, clock):
    settings.PORTAL_SIGNIN_RESEND_SECONDS = 0
    settings.PORTAL_SIGNIN_CODES_PER_ADDRESS = 2
    client = browser()
    for _attempt in range(2):
        assert ask(client, "wang.fang@example.com").status_code == 302
        clock.advance(seconds=1)
    response = ask(client, "wang.fang@example.com")
    assert response.status_code == 200 and "Too many attempts" in response.content.decode()
    # An unknown address is limited the same way.
    for _attempt in range(2):
        assert ask(client, "nobody@example.com").status_code == 302
    assert ask(client, "nobody@example.com").status_code == 200
    assert len(mailoutbox) == 2

    settings.PORTAL_SIGNIN_REQUESTS_PER_IP = 7  # 6 asked already from 127.0.0.1
    assert ask(client, "other@example.com").status_code == 302
    response = ask(Client(), "another@example.com")
    assert response.status_code == 200  # the address is new, the IP is not
    other_ip = ask(Client(), "another@example.com", REMOTE_ADDR="10.0.0.8")
    assert other_ip.status_code == 302


def test_a_malformed_address_is_refused_by_the_form(db, ask, mailoutbox):
    response = ask(browser(), "not an address")
    assert response.status_code == 200
    assert "Enter a valid e-mail address or mobile number." in response.content.decode()


# --- The portal session --------------------------------------------------------------


def test_sign_in_rotates_the_session_key_and_is_no_staff_login(wang, ask, mailoutbox):
    client = Client()
    ask(client, "wang.fang@example.com")
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert enter(client, code_in(mailoutbox[0].body))["Location"] == HOME
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before != after
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        assert not DbSessionStore().exists(before)
    session = client.session
    assert session[otp.SESSION_CUSTOMER] == wang["customer"].pk
    assert "_auth_user_id" not in session
    staff_page = client.get(reverse("orders:order-list"))
    assert staff_page.status_code == 302 and "/accounts/login/" in staff_page["Location"]


def test_sign_out_ends_the_portal_session(wang, ask, mailoutbox):
    client = Client()
    sign_in(client, ask, "wang.fang@example.com", mailoutbox)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(LOGOUT)["Location"] == HOME  # a GET changes nothing
    assert client.get(HOME).status_code == 200
    response = client.post(LOGOUT)
    assert response["Location"] == LOGIN
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert otp.SESSION_CUSTOMER not in client.session
    assert client.get(HOME)["Location"] == LOGIN


def test_the_portal_session_ends_after_its_time(wang, ask, mailoutbox, clock, settings):
    client = Client()
    sign_in(client, ask, "wang.fang@example.com", mailoutbox)
    clock.advance(seconds=settings.PORTAL_SESSION_SECONDS - 5)
    assert client.get(HOME).status_code == 200
    clock.advance(seconds=10)
    assert client.get(HOME)["Location"] == LOGIN
    assert otp.SESSION_CUSTOMER not in client.session


def test_sign_in_and_failures_are_logged_without_codes(wang, ask, mailoutbox, caplog):
    caplog.set_level(logging.INFO, logger="erp.security")
    client = Client()
    ask(client, "wang.fang@example.com")
    ask(Client(), "nobody@example.com")
    code = code_in(mailoutbox[0].body)
    enter(client, "000000" if code != "000000" else "111111")
    enter(client, code)
    client.post(LOGOUT)
    text = caplog.text
    for event in ("portal_signin_code", "portal_signin_failed", "portal_signin ", "portal_signout"):
        assert event in text, event
    assert f"customer={wang['customer'].code}" in text
    assert code not in text and "wang.fang@example.com" not in text
    assert "nobody@example.com" not in text


# --- My orders -----------------------------------------------------------------------


def test_a_customer_sees_their_own_orders_and_nothing_of_anybody_else(
    wang, li, acme, ask, mailoutbox, django_assert_max_num_queries
):
    client = Client()
    sign_in(client, ask, "wang.fang@example.com", mailoutbox)
    with django_assert_max_num_queries(12):
        response = client.get(HOME)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    newest, oldest = wang["orders"][1], wang["orders"][0]
    assert html.index(newest.number) < html.index(oldest.number)
    for order in wang["orders"]:
        assert f'href="/track/{order.tracking_token}/"' in html
    for other in (li, acme):
        for order in other["orders"]:
            assert order.number not in html and order.tracking_token not in html
        assert other["customer"].name not in html
    assert "李雷" not in html and "13900000002" not in html


def test_the_page_is_in_the_customers_language_unless_the_visitor_chose(
    wang, li, ask, mailoutbox, backends
):
    english = Client()
    sign_in(english, ask, "wang.fang@example.com", mailoutbox)
    assert 'lang="en"' in english.get(HOME).content.decode()
    chinese_reader = browser("zh-hans")
    sign_in(chinese_reader, ask, "13800000001", backends)  # SMS records have a .body too
    assert 'lang="zh-hans"' in chinese_reader.get(HOME).content.decode()


def test_orders_are_paginated_newest_first(wang, place, ask, mailoutbox):  # noqa: F811
    more = [place(("tea", 1), phone="13800000001") for _n in range(10)]
    client = Client()
    sign_in(client, ask, "wang.fang@example.com", mailoutbox)
    first = client.get(HOME).content.decode()
    second = client.get(HOME, {"page": 2}).content.decode()
    assert more[-1].number in first and wang["orders"][0].number not in first
    assert wang["orders"][0].number in second and more[-1].number not in second
    assert "?page=2" in first


def test_a_company_contact_sees_the_companys_orders(acme, wang, ask, mailoutbox, backends):
    client = Client()
    sign_in(client, ask, "Zhao.Min@acme.example", mailoutbox)
    html = client.get(HOME).content.decode()
    assert acme["orders"][0].number in html
    assert "赵敏" in html and acme["customer"].name in html
    for order in wang["orders"]:
        assert order.number not in html
    assert "王芳" not in html

    # A contact made inactive is signed out on the next page.
    Contact.objects.filter(pk=acme["contact"].pk).update(active=False)
    assert client.get(HOME)["Location"] == LOGIN


def test_a_merged_customer_signs_in_to_the_survivor(wang, li, ask, mailoutbox):
    signed_in_before = Client()
    sign_in(signed_in_before, ask, "li.lei@example.com", mailoutbox)
    merge = customer_merge(survivor=wang["customer"], merged=li["customer"], reason="same")

    # The session of the merged customer now shows the survivor's orders...
    html = signed_in_before.get(HOME).content.decode()
    for order in wang["orders"] + li["orders"]:
        assert order.number in html
    # ... and so does a new sign-in with the merged customer's address.
    client = Client()
    sign_in(client, ask, "li.lei@example.com", mailoutbox)
    html = client.get(HOME).content.decode()
    for order in wang["orders"] + li["orders"]:
        assert order.number in html

    # Undone, each customer has their own orders again, and so do the sessions.
    customer_merge_undo(merge=merge)
    for session in (signed_in_before, client):
        html = session.get(HOME).content.decode()
        assert li["orders"][0].number in html
        for order in wang["orders"]:
            assert order.number not in html


def test_tickets_and_returns_are_listed_with_their_status(
    delivered,  # noqa: F811
    li,
    ask,
    mailoutbox,
):
    rma = return_request_create(
        order=delivered,
        kind="return",
        reason="杯子有裂纹",
        lines=[{"order_line": delivered.lines.get(sku="CUP-1"), "quantity": 1}],
        channel="portal",
    )
    own = ticket_create(
        customer=delivered.customer,
        order=delivered,
        subject="快递员态度问题",
        kind="complaint",
        channel="phone",
        description="内部：客户情绪激动",
    )
    theirs = ticket_create(
        customer=li["customer"],
        order=li["orders"][0],
        subject="李雷的咨询",
        kind="inquiry",
        channel="portal",
    )
    client = browser()
    sign_in(client, ask, "wang.fang@example.com", mailoutbox)
    html = client.get(HOME).content.decode()
    assert rma.number in html and own.number in html and rma.ticket.number in html
    assert theirs.number not in html and "李雷" not in html
    # Staff words stay with staff: the subject typed by an agent and the note.
    assert "快递员态度问题" not in html and "内部" not in html


def test_my_orders_shows_nothing_staff_only_and_nothing_of_the_other_customer(
    order_a,  # noqa: F811
    order_b,  # noqa: F811
    ask,
    backends,
):
    client = browser()
    sign_in(client, ask, "13800001234", backends)
    html = client.get(HOME).content.decode()
    assert order_a.number in html and f"/track/{order_a.tracking_token}/" in html
    assert order_a.seed["ticket"].number in html and order_a.seed["rma"].number in html
    assert f"/track/{order_a.tracking_token}/tickets/{order_a.seed['ticket'].number}/" in html
    assert "Waiting for approval" in html  # the return, in the order page's words
    for name, secret in SECRETS.items():
        assert secret not in html, name
    assert order_b.number not in html and order_b.tracking_token not in html
    # The system's own ticket (a logistics alarm) is not the customer's to see.
    system = Ticket.objects.get(order=order_a, channel=Ticket.Channel.SYSTEM)
    assert system.number not in html
