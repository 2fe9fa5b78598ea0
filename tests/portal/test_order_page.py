"""The order page: one order's whole story in words a customer understands,
and nothing staff-only, no cost, no other customer."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.models import Ticket
from aftersales.services.tickets import ticket_create
from erp.portal.selectors import order_page
from logistics.models import Shipment, ShipmentEvent
from orders.models import Order
from orders.services.lifecycle import order_hold
from orders.services.payments import order_refund
from tests.portal.seed import (  # noqa: F401  (fixtures)
    SECRETS,
    carrier,
    order_a,
    order_b,
    packed,
    place,
    stock,
    weighed,
    world,
)

pytestmark = pytest.mark.django_db


def page_url(order) -> str:
    return f"/track/{order.tracking_token}/"


def get(order, language: str | None = "en"):
    client = Client()
    if language:
        client.cookies["django_language"] = language
    response = client.get(page_url(order))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_tells_the_whole_story(order_a, order_b):  # noqa: F811
    html = get(order_a)
    shipment = order_a.seed["shipment"]
    # Status in customer words, with the progress bar.
    assert 'id="order-status">Delivered<' in html
    assert "Your order has been delivered." in html
    assert html.count('class="is-done"') == 5
    # Lines as the customer paid them.
    assert "SKU TEA-1" in html and "SKU CUP-1" in html
    assert "Shipped 3/3" in html and "Shipped 2/2" in html
    assert "CNY 300.00" in html and "CNY 500.00" in html
    # The parcel: carrier, tracking link, carrier events, proof of delivery.
    assert "顺丰速运" in html
    assert 'href="https://www.sf-express.com/track?no=SF100A"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "快件已到达上海浦东转运中心" in html and "上海浦东转运中心" in html
    assert "Signed for by" in html and "王芳本人" in html
    photo = f"/track/{order_a.tracking_token}/delivery/{shipment.number}/photo/"
    assert f'src="{photo}"' in html
    # Requests and their progress; the refund.
    ticket, rma = order_a.seed["ticket"], order_a.seed["rma"]
    assert ticket.number in html and rma.number in html
    assert "Complaint" in html and "Waiting for approval" in html
    assert re.search(r"CNY 20\.00", html)
    # The timeline: customer-visible events in customer words.
    assert "Order received" in html and "Confirmed" in html


def test_nothing_staff_only_no_cost_no_other_customer(order_a, order_b):  # noqa: F811
    system_ticket = Ticket.objects.get(channel=Ticket.Channel.SYSTEM)
    for language in ("en", "zh-hans"):
        html = get(order_a, language)
        for name, secret in SECRETS.items():
            assert secret not in html, f"{name} leaked into the order page ({language})"
        assert system_ticket.number not in html
        assert order_b.number not in html
        assert order_b.customer.name not in html
        assert order_a.customer.email not in html or not order_a.customer.email
        # The customer's own phone is not printed either (the link travels).
        assert "13800001234" not in html and "5555-7788" not in html
        # The ticket's subject, reply and messages live on the ticket's own page.
        assert "Sorry - a new cup is on its way." not in html


def test_the_other_customers_page_holds_nothing_of_mine(order_a, order_b):  # noqa: F811
    html = get(order_b)
    assert SECRETS["b_event"] in html  # its own carrier text
    for mine in (order_a.number, "王芳", "SF100A", "13800001234", "200120", "人民路"):
        assert mine not in html
    for ticket in Ticket.objects.filter(order=order_a):
        assert ticket.number not in html


def test_unit_cost_is_in_the_database_but_not_on_the_page(order_a):  # noqa: F811
    assert order_a.lines.filter(unit_cost=Decimal("4321.9876")).count() == 2
    html = get(order_a)
    assert "4321" not in html and "4,321" not in html


def test_a_hold_is_not_shown(order_a, world, stock, place):  # noqa: F811
    stock("sh", "tea", 5)
    order = place(("tea", 1), phone="13700000003")
    from orders.services import order_confirm

    order_confirm(order=order)
    order_hold(order=order, reason=SECRETS["hold_reason"])
    order.refresh_from_db()
    assert order.status == Order.Status.ON_HOLD
    html = get(order)
    assert 'id="order-status">Confirmed<' in html
    assert "hold" not in html.lower()
    assert SECRETS["hold_reason"] not in html


def test_the_selector_reads_each_list_once(order_a, django_assert_max_num_queries):  # noqa: F811
    order = Order.objects.select_related("customer").get(pk=order_a.pk)
    # Events, lines, shipments (+ their events, lines, proofs), tickets,
    # returns, repairs, refunds.
    with django_assert_max_num_queries(11):
        order_page(order)


def test_queries_do_not_grow_with_the_story(order_a):  # noqa: F811
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(page_url(order_a)).status_code == 200
        return len(queries)

    before = count()
    # More of everything: a ticket, a refund, tracking events, order events.
    ticket_create(
        customer=order_a.customer,
        order=order_a,
        subject="Another question",
        kind="inquiry",
        channel="portal",
        description="?",
    )
    order_refund(order=order_a, amount=Decimal("5.00"), reason="more goodwill")
    shipment = order_a.seed["shipment"]
    for n in range(3):
        ShipmentEvent.objects.create(
            shipment=shipment,
            kind=ShipmentEvent.Kind.TRACKING,
            source=ShipmentEvent.Source.CARRIER,
            occurred_at=timezone.now(),
            location=f"站点{n}",
            description=f"carrier text {n}",
        )
    assert "carrier text 2" in get(order_a)
    assert count() == before
    assert before <= 20  # the order page's 11 and the self-service block's own


def test_no_inline_script_or_style_and_nothing_from_elsewhere(order_a):  # noqa: F811
    html = get(order_a)
    assert "<style" not in html
    assert " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert re.search(r"\son[a-z]+=", html) is None  # no onclick= and the like
    for tag, url in re.findall(r"<(script|link|img|iframe)[^>]*?(?:src|href)=\"([^\"]+)\"", html):
        assert url.startswith("/") or url == "data:,", f"{tag} loads {url}"


def test_the_page_speaks_the_customers_language(order_a):  # noqa: F811
    customer = order_a.customer
    customer.language = "en"
    customer.save(update_fields=["language"])
    response = Client().get(page_url(order_a))  # no cookie: the customer's language
    html = response.content.decode()
    assert '<html lang="en"' in html and response["Content-Language"] == "en"
    assert "Parcels" in html

    customer.language = "zh-hans"
    customer.save(update_fields=["language"])
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(page_url(order_a))
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html and response["Content-Language"] == "zh-hans"
    assert "订单号" in html  # "order number", already in the catalogue

    # A visitor who chose a language with the switch keeps it.
    assert '<html lang="en"' in get(order_a, "en")


def test_proof_of_delivery_photo_only_through_its_own_token(order_a, order_b):  # noqa: F811
    shipment = order_a.seed["shipment"]
    own = Client().get(f"/track/{order_a.tracking_token}/delivery/{shipment.number}/photo/")
    assert own.status_code == 200
    assert own["Content-Type"] == "image/png"
    assert b"".join(own.streaming_content).startswith(b"\x89PNG")
    assert "no-store" in own["Cache-Control"]
    other = Client().get(f"/track/{order_b.tracking_token}/delivery/{shipment.number}/photo/")
    assert other.status_code == 404
    missing = Client().get(f"/track/{order_a.tracking_token}/delivery/{shipment.number}/signature/")
    assert missing.status_code == 404
    bogus = Client().get(f"/track/{order_a.tracking_token}/delivery/{shipment.number}/note/")
    assert bogus.status_code == 404


def test_a_new_order_has_no_parcels_yet(world, stock, place):  # noqa: F811
    stock("sh", "tea", 5)
    order = place(("tea", 1), phone="13700000004")
    html = get(order)
    assert 'id="order-status">Received<' in html
    assert "Nothing has been sent yet." in html
    assert 'aria-current="step"' in html


def test_cancelled_shipments_are_not_listed(order_a):  # noqa: F811
    Shipment.objects.filter(order=order_a).update(status=Shipment.Status.CANCELLED)
    html = get(order_a)
    assert "SF100A" not in html


def test_a_parcel_on_its_way_shows_eta_and_last_position(order_b):  # noqa: F811
    shipment = Shipment.objects.get(order=order_b)
    eta = timezone.now() + timezone.timedelta(days=1)
    Shipment.objects.filter(pk=shipment.pk).update(eta=eta)
    html = get(order_b)
    assert "Expected delivery" in html
    assert timezone.localtime(eta).strftime("%Y-%m-%d %H:%M") in html
    assert "Last seen" in html and "北京顺义" in html
    assert 'id="order-status">On its way<' in html


def test_a_passed_eta_is_not_promised_again(order_b):  # noqa: F811
    Shipment.objects.filter(order=order_b).update(
        eta=timezone.now() - timezone.timedelta(hours=2), planned_delivery_at=None
    )
    assert "Expected delivery" not in get(order_b)


def test_a_cancelled_order_does_not_promise_parcels(world, stock, place):  # noqa: F811
    from orders.services import order_cancel

    stock("sh", "tea", 5)
    order = place(("tea", 1), phone="13700000005")
    order_cancel(order=order, reason=SECRETS["hold_reason"])
    html = get(order)
    assert 'id="order-status">Cancelled<' in html
    assert "Nothing has been sent yet." not in html
    assert SECRETS["hold_reason"] not in html
