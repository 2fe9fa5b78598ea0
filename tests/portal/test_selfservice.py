"""Self-service in the portal: a return or exchange, a repair, a complaint,
a reply, a rating. Each lands in after-sales through its services (channel
"portal"); what may not be returned is refused with a message naming the
line; photos are checked; internal notes never reach the page; a token of
one order never acts on another order's requests; the first write of a
session asks for the order's check; writes are counted and logged."""

import io
import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from aftersales.models import (
    Feedback,
    RepairOrder,
    ReturnPhoto,
    ReturnRequest,
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from aftersales.services.returns import return_request_create
from aftersales.services.tickets import (
    ticket_create,
    ticket_customer_message,
    ticket_note,
    ticket_reply,
    ticket_resolve,
    ticket_transition,
)
from erp.portal.selfservice_forms import RETURN_REASONS
from logistics.services import shipment_create, shipment_deliver, shipment_dispatch
from orders.services import order_confirm
from tests.aftersales.conftest import delivered, frozen_clock, service_desk  # noqa: F401
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db

CHECK = "0001"  # the delivered order's phone is 13800000001


def image(name="photo.png", fmt="PNG", size=(32, 24)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buffer, format=fmt)
    kinds = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=kinds[fmt])


def customer_client(**kwargs) -> Client:
    """A visitor reading the portal in English."""
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(order, *parts) -> str:
    return "/".join(["", "track", order.tracking_token, *parts, ""])


def text(response) -> str:
    return response.content.decode()


def return_data(**overrides) -> dict:
    data = {
        "check": CHECK,
        "kind": "return",
        "line_1_quantity": "2",
        "reason_code": "damaged",
        "details": "罐子凹了",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def staff(make_user):
    return make_user("aftersales_agent", username="agent-zhang", first_name="张", last_name="工")


@pytest.fixture
def other_order(world, stock, place, carrier, packed):  # noqa: F811
    """Another customer's delivered order of 1 TEA-1 (phone ...0002)."""
    stock("sh", "tea", 5)
    order = place(("tea", 1), phone="13900000002")
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF200")
    shipment_deliver(shipment=shipment, recipient_name="李")
    order.refresh_from_db()
    return order


@pytest.fixture
def half_delivered(world, weighed, stock, place, carrier, packed):  # noqa: F811
    """3 TEA-1 delivered; its 2 CUP-1 still in the warehouse."""
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    order = place(("tea", 3), ("cup", 2))
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"], lines=[(1, 3)])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF300")
    shipment_deliver(shipment=shipment, recipient_name="王芳")
    order.refresh_from_db()
    return order


# --- Returns ----------------------------------------------------------------------


def test_a_return_filed_in_the_portal_lands_in_aftersales(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    role_client,
    caplog,
):
    caplog.set_level(logging.INFO, logger="erp.security")
    client = customer_client()
    page = client.get(url(delivered, "return"))
    assert page.status_code == 200
    html = text(page)
    assert 'id="portal-return-form"' in html and 'name="check"' in html
    assert re.search(r'data-line="1" data-returnable="3"', html)
    assert "You can send back up to 3" in html

    response = client.post(
        url(delivered, "return"),
        {**return_data(), "photos": [image("dented-tin.png")]},
    )
    rma = ReturnRequest.objects.get()
    ticket = rma.ticket
    assert response.status_code == 302
    assert response["Location"] == url(delivered, "tickets", ticket.number)
    # The RMA: the right order, line and quantity, the reason in the site's words.
    assert (rma.order, rma.customer, rma.kind, rma.status) == (
        delivered,
        delivered.customer,
        "return",
        "requested",
    )
    assert [(line.order_line.sku, line.quantity) for line in rma.lines.all()] == [("TEA-1", 2)]
    with translation.override(settings.LANGUAGE_CODE):
        assert rma.reason == f"{dict(RETURN_REASONS)['damaged']}: 罐子凹了"
    # Its ticket: from the portal, assigned like any other, with the reason code.
    assert (ticket.channel, ticket.kind, ticket.order_id) == ("portal", "return", delivered.pk)
    assert ticket.reason_code == "damaged" and ticket.assignee is not None
    # The photo is kept with the return, under a name of our own.
    photo = ReturnPhoto.objects.get(request=rma)
    assert photo.caption == "dented-tin.png" and photo.image.name.endswith(".png")
    assert photo.image.name.startswith("returns/")
    # Logged on the security log, without the token.
    assert any(
        "portal_return" in r.getMessage() and rma.number in r.getMessage() for r in caplog.records
    )
    assert all(delivered.tracking_token not in r.getMessage() for r in caplog.records)

    # The customer lands on the request, which shows the return.
    followed = client.get(response["Location"])
    assert followed.status_code == 200
    assert rma.number in text(followed) and "has been received" in text(followed)

    # Staff see it in after-sales, with the portal as its channel.
    agent = role_client("aftersales_agent")
    detail = agent.get(f"/aftersales/returns/{rma.number}/")
    assert detail.status_code == 200 and "罐子凹了" in text(detail)
    assignee = Client()
    assignee.force_login(ticket.assignee)
    queue = text(assignee.get("/aftersales/tickets/mine/?channel=portal"))
    assert f'data-number="{ticket.number}"' in queue

    # What is on its way back is no longer offered.
    again = client.get(url(delivered, "return"))
    assert re.search(r'data-line="1" data-returnable="1"', text(again))


def test_an_exchange_is_an_exchange(frozen_clock, delivered, service_desk):  # noqa: F811
    client = customer_client()
    response = client.post(
        url(delivered, "return"),
        return_data(kind="exchange", line_1_quantity=None, line_2_quantity="1"),
    )
    assert response.status_code == 302
    rma = ReturnRequest.objects.get()
    assert rma.kind == "exchange" and rma.ticket.kind == "exchange"
    assert [(line.order_line.sku, line.quantity) for line in rma.lines.all()] == [("CUP-1", 1)]


def test_more_than_is_returnable_is_refused_naming_the_line(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    return_request_create(
        order=delivered, kind="return", reason="x", lines=[{"order_line": 1, "quantity": 2}]
    )
    client = customer_client()
    response = client.post(url(delivered, "return"), return_data(line_1_quantity="2"))
    assert response.status_code == 200
    html = text(response)
    assert (
        "Only 1 of line #1 (TEA-1) can still be returned: 3 delivered, 0 returned, "
        "2 in open returns." in html
    )
    assert 'id="id_line_1_quantity-error"' in html  # shown at the line
    assert ReturnRequest.objects.count() == 1


def test_outside_the_window_nothing_is_returnable(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    frozen_clock.advance(days=settings.RETURN_WINDOW_DAYS + 1)
    client = customer_client()
    page = text(client.get(url(delivered, "return")))
    assert 'id="nothing-returnable"' in page and "The return window closed on" in page
    assert re.search(r'name="line_1_quantity"[^>]*disabled', page)
    # A page left open, or a hand-made request, is refused by the returns service.
    response = client.post(url(delivered, "return"), return_data(line_1_quantity="1"))
    html = text(response)
    closed = timezone.localdate(delivered.delivered_at) + timedelta(
        days=settings.RETURN_WINDOW_DAYS
    )
    assert (
        f"The return window of line #1 (TEA-1) closed on {closed.isoformat()}, "
        f"{settings.RETURN_WINDOW_DAYS} days after its delivery." in html
    )
    assert not ReturnRequest.objects.exists()


def test_undelivered_lines_cannot_come_back(half_delivered, service_desk):  # noqa: F811
    client = customer_client()
    page = text(client.get(url(half_delivered, "return")))
    assert re.search(r'data-line="2" data-returnable="0"', page) and "Not delivered yet." in page
    response = client.post(
        url(half_delivered, "return"),
        return_data(check="0001", line_1_quantity=None, line_2_quantity="1"),
    )
    assert "Nothing of line #2 (CUP-1) has been delivered." in text(response)
    assert not ReturnRequest.objects.exists()
    # Nothing delivered at all: no form.
    ok = client.post(url(half_delivered, "return"), return_data(line_1_quantity="1"))
    assert ok.status_code == 302 and ReturnRequest.objects.count() == 1


def test_nothing_chosen_and_a_missing_reason_are_explained(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    client = customer_client()
    html = text(client.post(url(delivered, "return"), return_data(line_1_quantity="0")))
    assert "Enter how many of an item you want to send back." in html
    html = text(client.post(url(delivered, "return"), return_data(reason_code="", details="")))
    assert "Say why the goods come back" in html
    assert not ReturnRequest.objects.exists()


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        (
            lambda: [SimpleUploadedFile("evil.jpg", b"<html>not a photo</html>", "image/jpeg")],
            "evil.jpg is not a JPEG, PNG or WebP photo.",
        ),
        (lambda: [image(f"p{n}.png") for n in range(11)], "Send at most 10 photos."),
        (
            lambda: [SimpleUploadedFile("huge.jpg", b"\xff" * (10 * 1024 * 1024 + 1))],
            "huge.jpg is larger than 10 MB.",
        ),
    ],
    ids=["not-an-image", "too-many", "too-large"],
)
def test_photos_are_checked(frozen_clock, delivered, service_desk, photos, message):  # noqa: F811
    client = customer_client()
    response = client.post(url(delivered, "return"), {**return_data(), "photos": photos()})
    assert response.status_code == 200
    assert message in text(response)
    assert not ReturnRequest.objects.exists() and not ReturnPhoto.objects.exists()
    # The same check on a complaint's photos.
    response = client.post(
        url(delivered, "complaint"),
        {"kind": "complaint", "subject": "x", "message": "y", "photos": photos()},
    )
    assert message in text(response) and not Ticket.objects.exists()


# --- Repairs, complaints ------------------------------------------------------------


def test_a_repair_request_is_a_repair_ticket_and_a_repair_order(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    client = customer_client()
    page = text(client.get(url(delivered, "repair")))
    assert 'id="portal-repair-form"' in page
    response = client.post(
        url(delivered, "repair"),
        {
            "check": CHECK,
            "line": "2",
            "serial_number": "SN-CUP-0042",
            "fault": "杯盖合不上",
            "photos": [image("lid.webp", fmt="WEBP")],
        },
    )
    assert response.status_code == 302
    repair = RepairOrder.objects.get()
    ticket = repair.ticket
    assert response["Location"] == url(delivered, "tickets", ticket.number)
    assert (ticket.channel, ticket.kind, ticket.order_id) == ("portal", "repair", delivered.pk)
    assert ticket.order_line.line_no == 2
    assert (repair.serial_number, repair.order_line.line_no, repair.fault_description) == (
        "SN-CUP-0042",
        2,
        "杯盖合不上",
    )
    assert repair.customer == delivered.customer and repair.product.sku == "CUP-1"
    first = ticket.messages.get()
    assert (first.kind, first.channel, first.body) == ("customer", "portal", "杯盖合不上")
    attachment = first.attachments.get()
    assert (attachment.name, attachment.content_type) == ("lid.webp", "image/webp")


def test_a_repair_and_its_ticket_are_one_transaction(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    monkeypatch,
):
    from aftersales.services.repairs import RepairInvalid
    from erp.portal.views import selfservice

    def refuse(**kwargs):
        raise RepairInvalid("The repair desk is closed.", field="serial_number")

    monkeypatch.setattr(selfservice, "repair_create", refuse)
    response = customer_client().post(
        url(delivered, "repair"), {"check": CHECK, "line": "1", "fault": "坏了"}
    )
    assert response.status_code == 200 and "The repair desk is closed." in text(response)
    assert not Ticket.objects.exists()


def test_repairs_only_of_delivered_goods(half_delivered, service_desk):  # noqa: F811
    client = customer_client()
    page = text(client.get(url(half_delivered, "repair")))
    assert re.search(r'name="line" value="1"', page) and not re.search(
        r'name="line" value="2"', page
    )
    response = client.post(
        url(half_delivered, "repair"), {"check": CHECK, "line": "2", "fault": "坏了"}
    )
    assert response.status_code == 200 and "Select a valid choice" in text(response)
    assert not RepairOrder.objects.exists()


@pytest.mark.parametrize("kind", ["complaint", "inquiry"])
def test_a_complaint_or_question_is_a_portal_ticket(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    kind,
):
    client = customer_client()
    response = client.post(
        url(delivered, "complaint"),
        {
            "check": CHECK,
            "kind": kind,
            "subject": "外箱破损",
            "message": "茶叶罐凹了",
            "photos": [image("box.jpg", fmt="JPEG")],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.kind, ticket.subject) == ("portal", kind, "外箱破损")
    assert ticket.order == delivered and ticket.customer == delivered.customer
    assert ticket.assignee is not None  # auto-assigned like any ticket
    assert ticket.messages.get().attachments.get().name == "box.jpg"


def test_the_old_contact_page_leads_to_the_portal(delivered):  # noqa: F811
    response = Client().get(f"/aftersales/help/{delivered.tracking_token}/")
    assert response.status_code == 302
    assert response["Location"] == url(delivered, "complaint")
    assert Client().get(response["Location"]).status_code == 200
    assert Client().get("/track/not-a-token-at-all-000000/complaint/").status_code == 404


# --- The conversation ----------------------------------------------------------------


@pytest.fixture
def conversation(frozen_clock, delivered, service_desk, staff):  # noqa: F811
    """A portal complaint the agent answered (waiting for the customer), with
    an internal note beside it."""
    ticket = ticket_create(
        customer=delivered.customer,
        order=delivered,
        subject="茶杯破损",
        kind="complaint",
        channel="portal",
        description="杯子有裂纹",
    )
    note = ticket_note(ticket=ticket, body="SECRET-INTERNAL-NOTE 客户是老顾客", actor=staff)
    TicketAttachment.objects.create(
        message=note, file=SimpleUploadedFile("internal.txt", b"x"), name="internal-memo.txt"
    )
    ticket_reply(
        ticket=ticket,
        body="请问裂纹在杯身还是杯底？",
        actor=service_desk["ann"],
        wait_for_customer=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == "waiting_customer" and ticket.sla_paused_at is not None
    return ticket


def test_a_reply_joins_the_thread_and_notes_never_show(conversation, delivered):  # noqa: F811
    client = customer_client()
    page = client.get(url(delivered, "tickets", conversation.number))
    assert page.status_code == 200
    html = text(page)
    assert 'data-status="waiting_customer"' in html
    assert "杯子有裂纹" in html and "请问裂纹在杯身还是杯底？" in html
    assert "SECRET-INTERNAL-NOTE" not in html and "internal-memo.txt" not in html
    assert "agent-zhang" not in html  # nor who wrote it
    assert "Customer service" in html

    response = client.post(
        url(delivered, "tickets", conversation.number),
        {"check": CHECK, "body": "在杯底，见照片", "photos": [image("bottom.png")]},
    )
    assert response.status_code == 302
    message = conversation.messages.order_by("-id").first()
    assert (message.kind, message.channel, message.body) == ("customer", "portal", "在杯底，见照片")
    assert message.attachments.get().name == "bottom.png"
    conversation.refresh_from_db()
    # As for an e-mail answer: back to the agent, the SLA clock running again.
    assert conversation.status == "in_progress" and conversation.sla_paused_at is None
    html = text(client.get(response["Location"]))
    assert "在杯底，见照片" in html and "SECRET-INTERNAL-NOTE" not in html
    # The customer's own file can be fetched; the note's cannot.
    mine = message.attachments.get()
    download = client.get(url(delivered, "tickets", conversation.number, "files", str(mine.pk)))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    hidden = TicketAttachment.objects.get(name="internal-memo.txt")
    assert (
        client.get(url(delivered, "tickets", conversation.number, "files", str(hidden.pk)))
    ).status_code == 404


def test_a_finished_ticket_takes_no_reply(conversation, delivered, service_desk):  # noqa: F811
    ticket_resolve(ticket=conversation, summary="补发新杯", actor=service_desk["ann"])
    ticket_transition(ticket=conversation, to_status="closed", actor=service_desk["ann"])
    client = customer_client()
    html = text(client.get(url(delivered, "tickets", conversation.number)))
    assert 'id="portal-reply-form"' not in html and 'id="ticket-closed"' in html
    assert "补发新杯" in html
    before = conversation.messages.count()
    response = client.post(
        url(delivered, "tickets", conversation.number), {"check": CHECK, "body": "还有问题"}
    )
    assert response.status_code == 302
    assert conversation.messages.count() == before
    conversation.refresh_from_db()
    assert conversation.status == "closed"


# --- Rating -----------------------------------------------------------------------------


def test_a_resolved_ticket_is_rated_once(conversation, delivered, service_desk):  # noqa: F811
    client = customer_client()
    # Not yet resolved: nothing to rate.
    early = client.get(url(delivered, "tickets", conversation.number, "rate"))
    assert early.status_code == 302
    ticket_resolve(ticket=conversation, summary="补发新杯", actor=service_desk["ann"])
    ticket_page = text(client.get(url(delivered, "tickets", conversation.number)))
    assert 'id="rate-prompt"' in ticket_page
    form = client.get(url(delivered, "tickets", conversation.number, "rate"))
    assert form.status_code == 200 and 'id="portal-rate-form"' in text(form)

    response = client.post(
        url(delivered, "tickets", conversation.number, "rate"),
        {"check": CHECK, "csat": "4", "nps": "9", "comment": "处理很快"},
    )
    assert response.status_code == 302
    feedback = Feedback.objects.get(ticket=conversation)
    assert (feedback.csat, feedback.nps, feedback.comment) == (4, 9, "处理很快")
    assert feedback.submitted_at is not None
    assert conversation.events.filter(kind="feedback", to_value="CSAT 4 · NPS 9").count() == 1

    again = client.post(
        url(delivered, "tickets", conversation.number, "rate"), {"csat": "1", "comment": "改主意"}
    )
    assert again.status_code == 200 and "your answer was received already" in text(again)
    feedback.refresh_from_db()
    assert (feedback.csat, feedback.comment) == (4, "处理很快")
    assert conversation.events.filter(kind="feedback").count() == 1
    assert 'id="rated"' in text(client.get(url(delivered, "tickets", conversation.number)))


def test_a_rating_needs_stars(conversation, delivered, service_desk):  # noqa: F811
    ticket_resolve(ticket=conversation, summary="补发新杯", actor=service_desk["ann"])
    response = customer_client().post(
        url(delivered, "tickets", conversation.number, "rate"), {"check": CHECK, "nps": "3"}
    )
    assert "Choose from 1 to 5 stars." in text(response)
    assert Feedback.objects.get(ticket=conversation).submitted_at is None


# --- One order's link acts on that order only ------------------------------------------


def test_a_token_never_reaches_another_orders_requests(
    conversation,
    delivered,  # noqa: F811
    other_order,
    service_desk,  # noqa: F811
):
    rma = return_request_create(
        order=delivered, kind="return", reason="x", lines=[{"order_line": 1, "quantity": 1}]
    )
    ticket_resolve(ticket=conversation, summary="补发新杯", actor=service_desk["ann"])
    mine = conversation.messages.filter(kind="customer").first()
    TicketAttachment.objects.create(
        message=mine, file=SimpleUploadedFile("a.png", b"x"), name="a.png"
    )
    client = customer_client()
    # The other order's visitor has proven the other order's check.
    client.post(
        url(other_order, "complaint"),
        {"check": "0002", "kind": "inquiry", "subject": "B0", "message": "B0"},
    )
    foreign = [
        url(other_order, "tickets", conversation.number),
        url(other_order, "tickets", conversation.number, "rate"),
        url(other_order, "tickets", rma.ticket.number),
        url(other_order, "tickets", conversation.number, "files", str(mine.attachments.get().pk)),
    ]
    for address in foreign:
        assert client.get(address).status_code == 404, address
    for address in foreign[:3]:
        assert client.post(address, {"body": "x", "csat": "1"}).status_code == 404, address
    assert conversation.messages.filter(body="x").count() == 0
    assert Feedback.objects.get(ticket=conversation).submitted_at is None

    # What the other order's link files is the other order's and customer's.
    response = client.post(
        url(other_order, "complaint"), {"kind": "complaint", "subject": "B", "message": "B"}
    )
    assert response.status_code == 302
    filed = Ticket.objects.get(subject="B")
    assert filed.order == other_order and filed.customer == other_order.customer
    # ... and its return form offers its own lines only, for its own returns.
    page = text(client.get(url(other_order, "return")))
    assert 'name="line_2_quantity"' not in page and delivered.number not in page
    response = client.post(url(other_order, "return"), return_data(line_1_quantity="1"))
    assert response.status_code == 302
    assert ReturnRequest.objects.filter(order=other_order, customer=other_order.customer).count()
    assert ReturnRequest.objects.filter(order=delivered).count() == 1


# --- Who may act, how often -------------------------------------------------------------


def test_the_check_is_asked_once_per_session(frozen_clock, delivered, service_desk):  # noqa: F811
    client = customer_client()
    data = {"kind": "inquiry", "subject": "发票", "message": "请开发票"}
    missing = client.post(url(delivered, "complaint"), data)
    assert "Enter the last 4 digits of your phone number." in text(missing)
    wrong = client.post(url(delivered, "complaint"), {**data, "check": "9999"})
    assert "This does not match the phone number or postcode of the order." in text(wrong)
    assert not Ticket.objects.exists()
    ok = client.post(url(delivered, "complaint"), {**data, "check": "0001"})
    assert ok.status_code == 302 and Ticket.objects.count() == 1
    # The same session is not asked again, for this order.
    page = text(client.get(url(delivered, "return")))
    assert 'name="check"' not in page
    assert client.post(url(delivered, "complaint"), data).status_code == 302
    # Another browser is.
    assert 'name="check"' in text(customer_client().get(url(delivered, "return")))


def test_signing_out_forgets_the_proven_orders(frozen_clock, delivered, service_desk):  # noqa: F811
    client = customer_client()
    data = {"kind": "inquiry", "subject": "发票", "message": "请开发票", "check": "0001"}
    assert client.post(url(delivered, "complaint"), data).status_code == 302
    assert 'name="check"' not in text(client.get(url(delivered, "return")))
    assert client.post("/track/account/sign-out/").status_code == 302
    # The check is asked again after sign-out.
    assert 'name="check"' in text(client.get(url(delivered, "return")))


def test_the_postcode_is_a_check_too(frozen_clock, delivered, service_desk):  # noqa: F811
    delivered.shipping_address = {**delivered.shipping_address, "postcode": "200120"}
    delivered.save(update_fields=["shipping_address"])
    response = customer_client().post(
        url(delivered, "complaint"),
        {"check": "200120", "kind": "inquiry", "subject": "s", "message": "m"},
    )
    assert response.status_code == 302


def test_a_signed_in_customer_is_not_asked(frozen_clock, delivered, service_desk):  # noqa: F811
    from erp.portal import otp

    client = customer_client()
    session = client.session
    session[otp.SESSION_CUSTOMER] = delivered.customer.pk
    session[otp.SESSION_CONTACT] = None
    session[otp.SESSION_SINCE] = otp._now()
    session.save()
    assert 'name="check"' not in text(client.get(url(delivered, "complaint")))


def test_wrong_checks_stop_after_the_limit(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    settings,
    caplog,
):
    caplog.set_level(logging.INFO, logger="erp.security")
    settings.PORTAL_SELFSERVICE_CHECKS_PER_HOUR = 3
    data = {"kind": "inquiry", "subject": "s", "message": "m"}
    for n in range(3):
        # Each from another address: the order's own counter stops them all.
        customer_client(REMOTE_ADDR=f"10.0.0.{n + 1}").post(
            url(delivered, "complaint"), {**data, "check": f"99{n}9"}
        )
    blocked = customer_client(REMOTE_ADDR="10.0.0.9").post(
        url(delivered, "complaint"), {**data, "check": CHECK}
    )
    assert blocked.status_code == 429
    assert "Too many attempts; please try again in an hour." in text(blocked)
    assert not Ticket.objects.exists()
    assert sum("portal_check_wrong" in r.getMessage() for r in caplog.records) == 3


def test_wrong_checks_of_an_order_have_a_daily_limit_too(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    settings,
):
    """A 4-digit check must not be worked through hour after hour: as for the
    lookup form, an order has a daily budget of wrong checks."""
    settings.PORTAL_SELFSERVICE_CHECKS_PER_HOUR = 100
    settings.PORTAL_SELFSERVICE_CHECKS_PER_DAY = 3
    data = {"kind": "inquiry", "subject": "s", "message": "m"}
    for n in range(3):
        customer_client(REMOTE_ADDR=f"10.0.1.{n + 1}").post(
            url(delivered, "complaint"), {**data, "check": f"99{n}9"}
        )
    blocked = customer_client(REMOTE_ADDR="10.0.1.9").post(
        url(delivered, "complaint"), {**data, "check": CHECK}
    )
    assert blocked.status_code == 429
    assert not Ticket.objects.exists()


def test_writes_are_counted_per_order_and_address(
    frozen_clock,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    settings,
):
    settings.PORTAL_SELFSERVICE_WRITES_PER_HOUR = 2
    client = customer_client()
    data = {"check": CHECK, "kind": "inquiry", "subject": "s", "message": "m"}
    assert client.post(url(delivered, "complaint"), data).status_code == 302
    assert client.post(url(delivered, "complaint"), data).status_code == 302
    third = client.post(url(delivered, "complaint"), data)
    assert third.status_code == 429 and "Too many requests" in text(third)
    # Another address, same order: still too many for the order.
    other = customer_client(REMOTE_ADDR="10.1.1.1").post(url(delivered, "complaint"), data)
    assert other.status_code == 429
    assert Ticket.objects.count() == 2


def test_writes_need_the_csrf_token(frozen_clock, delivered, service_desk):  # noqa: F811
    client = customer_client(enforce_csrf_checks=True)
    response = client.post(
        url(delivered, "complaint"),
        {"check": CHECK, "kind": "inquiry", "subject": "s", "message": "m"},
    )
    assert response.status_code == 403 and not Ticket.objects.exists()
    assert customer_client().put(url(delivered, "complaint")).status_code == 405


def test_pages_carry_the_portal_headers(frozen_clock, delivered, conversation):  # noqa: F811
    for address in (
        url(delivered, "return"),
        url(delivered, "repair"),
        url(delivered, "complaint"),
        url(delivered, "tickets", conversation.number),
    ):
        response = customer_client().get(address)
        assert response.status_code == 200, address
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert 'style="' not in text(response) and "<script>" not in text(response)


def test_the_order_page_actions(frozen_clock, delivered, conversation, service_desk):  # noqa: F811
    html = render_to_string("portal/selfservice/_actions.html", {"order": delivered})
    assert url(delivered, "return") in html and url(delivered, "repair") in html
    assert url(delivered, "complaint") in html
    assert f'id="prompt-answer-{conversation.number}"' in html
    ticket_resolve(ticket=conversation, summary="补发新杯", actor=service_desk["ann"])
    html = render_to_string("portal/selfservice/_actions.html", {"order": delivered})
    assert f'id="prompt-rate-{conversation.number}"' in html
    # Past the window nothing is offered to send back, a repair still is.
    frozen_clock.advance(days=settings.RETURN_WINDOW_DAYS + 1)
    html = render_to_string("portal/selfservice/_actions.html", {"order": delivered})
    assert url(delivered, "return") not in html and url(delivered, "repair") in html


def test_messages_are_customer_visible_kinds_only():
    from erp.portal.views.selfservice import CUSTOMER_VISIBLE

    assert set(CUSTOMER_VISIBLE) == {
        k for k in TicketMessage.Kind.values if TicketMessage(kind=k).visible_to_customer
    }


def test_the_ticket_page_reads_in_a_fixed_number_of_queries(
    conversation,
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
    django_assert_max_num_queries,
):
    client = customer_client()
    address = url(delivered, "tickets", conversation.number)
    client.get(address)
    for n in range(6):
        ticket_customer_message(
            ticket=conversation,
            body=f"补充 {n}",
            channel="portal",
            attachments=[image(f"more-{n}.png")],
        )
        ticket_reply(ticket=conversation, body=f"收到 {n}", actor=service_desk["ann"])
    # Session, order, ticket, thread, files, survey, returns (+ lines), repairs.
    with django_assert_max_num_queries(8):
        response = client.get(address)
    assert text(response).count('data-kind="customer"') == 7
