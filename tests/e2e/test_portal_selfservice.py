"""The portal's self-service on a phone (390x844): from the order page a
customer asks to send back more than may come back (refused at the line),
then one unit with a reason and a photo; the request page shows the return,
and the agent answers; the customer replies and, once it is resolved, rates
the service; the repair and complaint forms fit the phone too. Screenshots in
test-artifacts/screenshots/portal-selfservice-*."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from aftersales.models import Feedback, ReturnRequest, TicketMessage
from aftersales.services.tickets import ticket_reply, ticket_resolve
from tests.aftersales.conftest import delivered, service_desk  # noqa: F401  (shared fixtures)
from tests.e2e.conftest import (
    SCREENSHOTS,
    fits,
)
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 160, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-selfservice-{name}.png"), full_page=True)


def test_a_return_filed_on_a_phone(
    phone,
    live_server,
    uploads,
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    page = phone
    order = delivered
    base = f"{live_server.url}/track/{order.tracking_token}"

    page.goto(f"{base}/")
    expect(page.locator("#selfservice #action-return")).to_be_visible()
    page.click("#action-return")
    expect(page).to_have_url(f"{base}/return/")
    expect(page.locator("#portal-return-form")).to_be_visible()
    tea = page.locator('#return-lines li[data-line="1"]')
    expect(tea).to_have_attribute("data-returnable", "3")
    assert fits(page)
    snap(page, "01-return-form")

    # More than arrived: refused at the line, with what may still come back.
    page.fill("#id_check", "0001")
    page.fill("#id_line_1_quantity", "5")
    page.select_option("#id_reason_code", "damaged")
    page.fill("#id_details", "罐子凹了一块")
    page.click("#portal-return-form button[type=submit]")
    error = page.locator("#id_line_1_quantity-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("TEA-1")
    expect(page.locator("#form-errors")).to_be_visible()
    assert not ReturnRequest.objects.exists()
    assert fits(page)
    snap(page, "02-too-many")

    # One unit, with a photo.
    page.fill("#id_line_1_quantity", "1")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "dented-tin.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.click("#portal-return-form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/tickets/TK-[\d-]+/$"))
    rma = ReturnRequest.objects.get()
    ticket = rma.ticket
    assert [(line.order_line.sku, line.quantity) for line in rma.lines.all()] == [("TEA-1", 1)]
    assert (ticket.channel, rma.photos.count()) == ("portal", 1)
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    expect(page.locator(f"#return-{rma.number}")).to_have_attribute("data-status", "requested")
    expect(page.locator(".alert-success")).to_be_visible()
    assert fits(page)
    snap(page, "03-return-requested")

    # The agent asks something; the customer answers from the request page.
    ticket_reply(
        ticket=ticket,
        body="请问罐子里的茶叶是否受潮？",
        actor=ticket.assignee,
        wait_for_customer=True,
    )
    page.goto(f"{base}/")
    expect(page.locator(f'#requests a[href$="/tickets/{ticket.number}/"]')).to_be_visible()
    assert fits(page)
    snap(page, "04-order-page")
    page.click(f"#prompt-answer-{ticket.number}")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "waiting_customer")
    expect(page.locator("#portal-check")).to_have_count(0)  # shown once this session
    page.fill("#id_body", "没有受潮，只是罐子凹了。")
    snap(page, "05-reply")
    page.click("#portal-reply-form button[type=submit]")
    expect(page.locator('#ticket-thread li[data-kind="customer"]')).to_have_count(2)
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER, channel="portal").count() == 2

    # Resolved: the customer rates the service, once.
    ticket_resolve(ticket=ticket, summary="已同意退货，请寄回。", actor=ticket.assignee)
    page.goto(f"{base}/tickets/{ticket.number}/")
    page.click("#rate-prompt a")
    page.click('label[for="csat-5"]')
    page.click('label[for="nps-10"]')
    page.fill("#id_comment", "很方便")
    assert fits(page)
    snap(page, "06-rate")
    page.click("#portal-rate-form button[type=submit]")
    expect(page.locator("#rated")).to_be_visible()
    feedback = Feedback.objects.get(ticket=ticket)
    assert (feedback.csat, feedback.nps, feedback.comment) == (5, 10, "很方便")
    snap(page, "07-rated")

    # The other forms fit the phone too.
    for name in ("repair", "complaint"):
        page.goto(f"{base}/{name}/")
        expect(page.locator(f"#portal-{name}-form")).to_be_visible()
        assert fits(page)
        snap(page, f"08-{name}")
    assert page.problems == []
