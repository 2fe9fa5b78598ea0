"""After-sales in the browser. A customer complains about a delivered order
from the tracking portal with a photo; an agent of the team answers it,
waits for the customer (the SLA clock pauses), resolves it, and the
customer's survey answer shows on the ticket. A return of one unit is
requested, approved, received into stock and inspected by the warehouse,
and refunded."""

import io
import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from PIL import Image
from playwright.sync_api import expect

from aftersales.models import Feedback, ReturnRequest, Ticket
from aftersales.services.sla_admin import calendar_create, sla_policy_create
from inventory.models import StockLevel
from orders.services.payments import order_payment_record
from tests.aftersales.conftest import delivered, service_desk  # noqa: F401  (shared fixtures)
from tests.factories import UserFactory
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def uploads(settings, tmp_path):
    """Uploaded photos go to a throwaway media folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def sla_24x7(db):
    calendar = calendar_create(code="24X7", name="全天候", always_open=True)
    return sla_policy_create(
        name="标准服务",
        priority="normal",
        first_response_minutes=240,
        resolution_minutes=2880,
        calendar=calendar,
    )


def test_portal_complaint_answered_resolved_and_rated(
    page,
    live_server,
    sign_in,
    shot,
    uploads,
    sla_24x7,
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    order = delivered

    # The customer, not signed in, writes from the order's tracking portal.
    page.goto(f"{live_server.url}/track/{order.tracking_token}/complaint/")
    form = page.locator("#portal-complaint-form")
    expect(form).to_be_visible()
    page.fill("#id_check", "0001")  # the delivered order's phone is 13800000001
    page.check("#id_kind_0")  # a complaint
    page.fill("#id_subject", "茶杯破损")
    page.fill("#id_message", "收到的茶杯有裂纹，请看照片。")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "broken-cup.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    shot("aftersales-01-portal-form")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/track/{order.tracking_token}/tickets/TK-[\d-]+/$"))

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.kind, ticket.order_id) == ("portal", "complaint", order.pk)
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    shot("aftersales-02-portal-sent")

    # The ticket went to an agent of the GENERAL team, with the SLA clock running.
    assert ticket.team == service_desk["general"]
    agent = ticket.assignee
    assert agent in (service_desk["ann"], service_desk["bob"])
    sign_in(agent.username)
    page.goto(f"{live_server.url}/aftersales/tickets/mine/")
    expect(page.locator("#tab-mine .badge")).to_have_attribute("data-count", "1")
    row = page.locator(f'#tickets tr[data-number="{ticket.number}"]')
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "assigned")
    expect(row.locator(".sla-clock")).to_have_attribute("data-sla-state", "ok")
    shot("aftersales-03-my-queue")

    row.get_by_role("link", name=ticket.number).click()
    expect(page).to_have_url(re.compile(rf"/aftersales/tickets/{ticket.number}/$"))
    expect(page.locator("#ticket-number")).to_have_text(ticket.number)
    customer_message = page.locator('#conversation .ticket-message[data-kind="customer"]')
    expect(customer_message).to_have_count(1)
    expect(customer_message.locator(".message-body")).to_have_text("收到的茶杯有裂纹，请看照片。")
    photo = customer_message.locator("a.attachment-link")
    expect(photo).to_contain_text("broken-cup.png")
    download = page.request.get(live_server.url + (photo.get_attribute("href") or ""))
    assert download.status == 200
    assert download.headers["content-type"] == "image/png"
    expect(page.locator("#order-link")).to_have_text(order.number)
    expect(page.locator("#ticket-sla .sla-clock")).to_have_attribute("data-sla-state", "ok")
    shot("aftersales-04-ticket-new")

    # A reply that asks the customer something: the clock stops.
    reply = page.locator("#action-reply")
    reply.locator("textarea[name=body]").fill("很抱歉！请问茶杯的外包装是否也有破损？")
    page.check("#reply-wait_for_customer")
    reply.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "waiting_customer")
    expect(page.locator("#ticket-sla .sla-clock")).to_have_attribute("data-sla-state", "paused")
    expect(page.locator("#sla-paused")).to_be_visible()
    expect(page.locator('#conversation .ticket-message[data-kind="reply"]')).to_have_count(1)
    shot("aftersales-05-ticket-waiting")

    # Resolved with a summary and who was responsible.
    resolve = page.locator("#action-resolve")
    resolve.locator("textarea[name=summary]").fill("补发一只新茶杯，破损茶杯无需寄回。")
    resolve.locator("select[name=responsibility]").select_option("logistics")
    resolve.locator("button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "resolved")
    expect(page.locator("#resolution")).to_contain_text("补发一只新茶杯")
    expect(page.locator("#ticket-sla .sla-clock")).to_have_attribute("data-sla-state", "met")
    expect(page.locator("#feedback-pending")).to_be_visible()
    expect(page.locator("#action-resolve")).to_have_count(0)
    shot("aftersales-06-ticket-resolved")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.responsibility) == ("resolved", "logistics")

    # The customer answers the survey from the e-mailed link, not signed in.
    feedback = Feedback.objects.get(ticket=ticket)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/aftersales/survey/{feedback.token}/")
    expect(page.locator("#survey-ticket")).to_contain_text(ticket.number)
    page.click('label[for="csat-4"]')
    expect(page.locator("#csat-4")).to_be_checked()
    page.click('label[for="nps-9"]')
    page.fill("#id_comment", "处理很快，谢谢。")
    shot("aftersales-07-survey")
    page.click("#survey-form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/aftersales/survey/{feedback.token}/thanks/$"))
    expect(page.locator("#survey-thanks")).to_be_visible()
    expect(page.locator("#already-answered")).to_have_count(0)
    shot("aftersales-08-survey-thanks")
    feedback.refresh_from_db()
    assert (feedback.csat, feedback.nps, feedback.assignee) == (4, 9, agent)

    # The agent sees the answer on the ticket.
    sign_in(agent.username)
    page.goto(f"{live_server.url}/aftersales/tickets/{ticket.number}/")
    card = page.locator("#ticket-feedback")
    expect(card).to_be_visible()
    expect(page.locator("#feedback-csat")).to_contain_text("4")
    expect(page.locator("#feedback-csat")).to_contain_text("★★★★☆")
    expect(page.locator("#feedback-nps")).to_have_text("9")
    expect(page.locator("#feedback-comment")).to_have_text("处理很快，谢谢。")
    shot("aftersales-09-ticket-feedback")


def _on_hand(warehouse, product) -> int:
    levels = StockLevel.objects.filter(warehouse=warehouse, product=product)
    return levels.aggregate(total=Sum("on_hand"))["total"] or 0


def test_return_requested_received_inspected_and_refunded(
    page,
    live_server,
    sign_in,
    shot,
    uploads,
    world,  # noqa: F811
    delivered,  # noqa: F811
    service_desk,  # noqa: F811
):
    order = delivered
    UserFactory(username="wangqiang", first_name="强", last_name="王", roles=["warehouse"])
    order_payment_record(order=order, amount=order.total, method="bank_transfer")
    tea_line = order.lines.get(sku="TEA-1")
    stock_before = _on_hand(world["sh"], world["tea"])

    # The agent starts from the order page.
    sign_in("ann")
    page.goto(f"{live_server.url}/orders/orders/{order.number}/")
    expect(page.locator("#no-returns")).to_be_visible()
    page.click("#request-return")
    expect(page).to_have_url(re.compile(rf"/aftersales/returns/new/{order.number}/$"))
    tea_row = page.locator(f'#return-lines tr[data-line="{tea_line.line_no}"]')
    expect(tea_row).to_have_attribute("data-max", "3")
    page.select_option("#id_kind", "return")
    page.fill("#id_reason", "口味不合适")
    tea_row.locator("input[type=number]").fill("1")
    tea_row.locator("select").first.select_option("unopened")
    shot("aftersales-10-return-request")
    page.click("#return-form button[type=submit]")

    rma = ReturnRequest.objects.get()
    expect(page).to_have_url(re.compile(rf"/aftersales/returns/{rma.number}/$"))
    status = page.locator("#return-status")
    expect(status).to_have_attribute("data-status", "requested")
    expect(page.locator('#lines tr[data-sku="TEA-1"] .line-requested')).to_have_text("1")
    page.click("#action-approve button[type=submit]")
    expect(status).to_have_attribute("data-status", "approved")
    shot("aftersales-11-return-approved")

    # The warehouse receives the unit straight into stock and restocks it.
    page.context.clear_cookies()
    sign_in("wangqiang")
    page.goto(f"{live_server.url}/aftersales/returns/board/")
    card = page.locator(f'#column-approved .return-card[data-number="{rma.number}"]')
    expect(card).to_have_count(1)
    shot("aftersales-12-returns-board")
    card.click()
    expect(page).to_have_url(re.compile(rf"/aftersales/returns/{rma.number}/$"))
    expect(page.locator("#action-approve")).to_have_count(0)
    receive = page.locator("#action-receive")
    receive.locator("select[name=warehouse]").select_option("SH01")
    receive.locator("select[name=receive_into]").select_option("stock")
    expect(receive.locator(f"input[name=line_{tea_line.line_no}]")).to_have_value("1")
    receive.locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "received")
    expect(page.locator('#lines tr[data-sku="TEA-1"] .line-received')).to_have_text("1")
    expect(page.locator("#receive-into")).not_to_have_text("—")
    assert _on_hand(world["sh"], world["tea"]) == stock_before + 1

    inspect = page.locator("#action-inspect")
    inspect.locator(f"select[name=line_{tea_line.line_no}_disposition]").select_option("restock")
    inspect.locator(f"input[name=line_{tea_line.line_no}_note]").fill("包装完好")
    shot("aftersales-13-return-received")
    inspect.locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "inspected")
    expect(page.locator('#lines tr[data-sku="TEA-1"] .line-disposition')).to_have_attribute(
        "data-disposition", "restock"
    )
    expect(page.locator("#action-refund")).to_have_count(0)  # money is after-sales' job
    shot("aftersales-14-return-inspected")

    # The agent refunds the value of what came back.
    page.context.clear_cookies()
    sign_in("ann")
    page.goto(f"{live_server.url}/aftersales/returns/{rma.number}/")
    refund = page.locator("#action-refund")
    expect(refund.locator("input[name=amount]")).to_have_value("100.00")
    refund.locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "refunded")
    expect(page.locator("#refund-amount")).to_contain_text("100.00")
    expect(page.locator("#refunds tbody tr")).to_have_count(1)
    expect(page.locator("#refunds tbody tr")).to_contain_text("100.00")
    expect(page.locator("#return-actions")).to_have_count(0)
    shot("aftersales-15-return-refunded")

    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == ("refunded", Decimal("100.00"))
    assert order.refunds.get().reference == rma.number
    assert _on_hand(world["sh"], world["tea"]) == stock_before + 1  # restocked once, not twice
