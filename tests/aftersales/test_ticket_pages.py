"""Ticket pages: the queues, phone intake, the detail page with its actions,
attachment downloads, and who may see what."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.filters import TicketFilter
from aftersales.models import BusinessCalendar, Feedback, SlaPolicy, Ticket, TicketMessage
from aftersales.selectors import tickets_visible_to
from aftersales.services.tickets import ticket_create, ticket_reply
from erp.core.templatetags.erp_tags import person_name
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = Ticket.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def open_ticket(customer, kind="complaint", **kwargs):
    fields = {
        "customer": customer,
        "subject": f"{kind} 问题",
        "kind": kind,
        "channel": "phone",
        "description": "客户来电说明情况。",
    }
    fields.update(kwargs)
    return ticket_create(**fields)


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read English
    client.force_login(user)
    return client


def detail_url(ticket) -> str:
    return reverse("aftersales:ticket-detail", args=[ticket.number])


def action_url(ticket, action) -> str:
    return reverse("aftersales:ticket-action", args=[ticket.number, action])


def numbers(response) -> set[str]:
    return {row["ticket"].number for row in response.context["tickets"]}


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def desk(service_desk):
    """GENERAL's two complaints (one each for ann and bob), LOGI's logistics
    exception (cat) and a repair ticket no team takes (unassigned)."""
    customer = CustomerFactory(email="li@example.com", phone="13912345678")
    first, second = open_ticket(customer), open_ticket(customer)
    logistics = open_ticket(customer, kind="logistics_exception")
    loose = open_ticket(customer, kind="repair")
    by_user = {first.assignee.username: first, second.assignee.username: second}
    return {
        **service_desk,
        "customer": customer,
        "ann_ticket": by_user["ann"],
        "bob_ticket": by_user["bob"],
        "logi_ticket": logistics,
        "loose": loose,
    }


# --- Queues --------------------------------------------------------------------


def test_my_queue_lists_only_my_open_tickets(desk):
    response = client_for(desk["ann"]).get(reverse("aftersales:ticket-mine"))
    assert response.status_code == 200
    assert numbers(response) == {desk["ann_ticket"].number}
    html = response.content.decode()
    assert desk["ann_ticket"].subject in html and desk["bob_ticket"].number not in html
    assert 'data-sla-state="' in html  # the SLA clock column


def test_team_queue_has_my_teams_and_the_unassigned_tickets(desk):
    ann = client_for(desk["ann"]).get(reverse("aftersales:ticket-team"))
    assert numbers(ann) == {
        desk["ann_ticket"].number,
        desk["bob_ticket"].number,
        desk["loose"].number,
    }
    cat = client_for(desk["cat"]).get(reverse("aftersales:ticket-team"))
    assert numbers(cat) == {desk["logi_ticket"].number, desk["loose"].number}
    unassigned = client_for(desk["ann"]).get(
        reverse("aftersales:ticket-team"), {"unassigned": "true"}
    )
    assert numbers(unassigned) == {desk["loose"].number}


def test_queue_tabs_show_the_counts(desk):
    response = client_for(desk["bob"]).get(reverse("aftersales:ticket-mine"))
    tabs = {tab["id"]: tab for tab in response.context["tabs"]}
    # The team tab counts what the team queue lists: the team's and the loose ticket.
    team_page = client_for(desk["bob"]).get(reverse("aftersales:ticket-team"))
    assert tabs["team"]["count"] == len(numbers(team_page)) == 3
    assert (tabs["mine"]["count"], tabs["unassigned"]["count"]) == (1, 1)
    assert tabs["mine"]["active"]
    assert 'id="tab-unassigned"' in response.content.decode()


def test_all_tickets_is_what_the_user_may_see(desk):
    ann = client_for(desk["ann"]).get(reverse("aftersales:ticket-list"))
    assert desk["logi_ticket"].number not in numbers(ann)
    assert len(numbers(ann)) == 3


def test_queues_open_with_open_tickets_and_filter_by_status(desk):
    ticket = desk["ann_ticket"]
    client = client_for(desk["ann"])
    client.post(action_url(ticket, "resolve"), {"summary": "已补发", "responsibility": "warehouse"})
    assert numbers(client.get(reverse("aftersales:ticket-mine"))) == set()
    resolved = client.get(reverse("aftersales:ticket-mine"), {"status": "resolved"})
    assert numbers(resolved) == {ticket.number}


def test_queue_search_and_export(desk):
    client = client_for(desk["ann"])
    found = client.get(reverse("aftersales:ticket-list"), {"q": desk["loose"].number})
    assert numbers(found) == {desk["loose"].number}
    export = client.get(reverse("aftersales:ticket-team"), {"export": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    assert desk["ann_ticket"].number in body and desk["logi_ticket"].number not in body


def test_sorting_by_priority_follows_the_real_order(desk):
    client = client_for(desk["ann"])
    desk["loose"].priority = "urgent"
    desk["loose"].save()
    desk["bob_ticket"].priority = "low"
    desk["bob_ticket"].save()
    response = client.get(reverse("aftersales:ticket-list"), {"ordering": "-priority"})
    ordered = [row["ticket"].number for row in response.context["tickets"]]
    assert ordered[0] == desk["loose"].number and ordered[-1] == desk["bob_ticket"].number


def test_empty_queue_shows_the_empty_state(service_desk):
    response = client_for(service_desk["ann"]).get(reverse("aftersales:ticket-mine"))
    assert response.status_code == 200 and 'id="empty-state"' in response.content.decode()


@pytest.mark.parametrize("role", ["warehouse", "analyst", "order_clerk", "dispatcher"])
def test_other_roles_may_not_open_tickets(desk, role_client, role):
    client = role_client(role)
    for url in (
        reverse("aftersales:ticket-mine"),
        reverse("aftersales:ticket-team"),
        reverse("aftersales:ticket-list"),
        reverse("aftersales:ticket-create"),
        detail_url(desk["ann_ticket"]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(action_url(desk["ann_ticket"], "note"), {"body": "x"}).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(desk):
    response = Client().get(reverse("aftersales:ticket-mine"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_queue_costs_the_same_queries_with_more_tickets(
    service_desk, django_assert_max_num_queries
):
    customer = CustomerFactory()
    client = client_for(service_desk["ann"])
    url = reverse("aftersales:ticket-team")
    for _ in range(5):
        open_ticket(customer)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(25):
        open_ticket(customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["tickets"]) == 25  # one full page of 30


# --- SLA filter -----------------------------------------------------------------


def test_sla_filter_finds_due_soon_breached_and_paused(service_desk, frozen_clock):
    office = BusinessCalendar.objects.create(
        code="OFFICE", name="办公时间", working_days=[1, 2, 3, 4, 5]
    )
    SlaPolicy.objects.create(
        name="普通",
        priority="normal",
        first_response_minutes=120,
        resolution_minutes=480,
        calendar=office,
    )
    customer = CustomerFactory()
    early = open_ticket(customer)  # 10:00: first response due 12:00, warning 11:36
    frozen_clock.advance(minutes=30)
    later = open_ticket(customer)  # 10:30: due 12:30, warning 12:06
    waiting = open_ticket(customer)
    ticket_reply(ticket=waiting, body="请提供照片", actor=waiting.assignee, wait_for_customer=True)
    ann = service_desk["ann"]

    def states(state):
        filterset = TicketFilter({"sla": state}, queryset=tickets_visible_to(ann))
        assert filterset.is_valid()
        return set(filterset.qs.values_list("number", flat=True))

    frozen_clock.set(2026, 11, 27, 11, 40)
    assert states("due_soon") == {early.number}
    assert states("breached") == set()
    assert states("paused") == {waiting.number}
    frozen_clock.set(2026, 11, 27, 12, 10)
    assert states("due_soon") == {later.number}
    assert states("breached") == {early.number}
    page = client_for(ann).get(reverse("aftersales:ticket-team"), {"sla": "breached"})
    assert numbers(page) == {early.number}
    assert 'data-sla-state="breached"' in page.content.decode()


# --- Detail and visibility --------------------------------------------------------


def test_detail_shows_the_ticket_the_customer_and_the_timeline(desk):
    ticket = desk["ann_ticket"]
    response = client_for(desk["ann"]).get(detail_url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html and ticket.subject in html
    assert desk["customer"].code in html and "13912345678" in html  # agents see the phone
    assert "客户来电说明情况。" in html  # the customer's words
    assert 'data-kind="created"' in html and 'data-kind="assigned"' in html
    for form in ("action-reply", "action-note", "action-assign", "action-resolve"):
        assert f'id="{form}"' in html


def test_another_teams_ticket_is_not_found(desk):
    ann = client_for(desk["ann"])
    ticket = desk["logi_ticket"]
    assert ann.get(detail_url(ticket)).status_code == 404
    assert ann.post(action_url(ticket, "note"), {"body": "看看"}).status_code == 404
    assert ann.post(action_url(ticket, "resolve"), {"summary": "x"}).status_code == 404
    assert not ticket.messages.filter(kind=TicketMessage.Kind.NOTE).exists()


def test_account_manager_sees_their_customers_tickets_without_actions(desk, make_user):
    manager = make_user("account_manager", username="am")
    desk["customer"].account_manager = manager
    desk["customer"].save()
    other = open_ticket(CustomerFactory())
    client = client_for(manager)
    response = client.get(detail_url(desk["logi_ticket"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="action-reply"' not in html and 'id="ticket-actions"' not in html
    assert client.get(detail_url(other)).status_code == 404
    listing = client.get(reverse("aftersales:ticket-list"))
    assert numbers(listing) == {
        desk["ann_ticket"].number,
        desk["bob_ticket"].number,
        desk["logi_ticket"].number,
        desk["loose"].number,
    }
    refused = client.post(action_url(desk["logi_ticket"], "note"), {"body": "看看"})
    assert refused.status_code == 403
    assert not desk["logi_ticket"].messages.filter(kind=TicketMessage.Kind.NOTE).exists()


def test_feedback_shows_on_the_ticket(desk):
    ticket = desk["ann_ticket"]
    Feedback.objects.create(
        ticket=ticket,
        customer=ticket.customer,
        assignee=ticket.assignee,
        token="tok-1",
        csat=4,
        nps=9,
        comment="处理很快",
        submitted_at=ticket.created_at,
    )
    html = client_for(desk["ann"]).get(detail_url(ticket)).content.decode()
    assert 'id="ticket-feedback"' in html and "处理很快" in html
    assert 'id="feedback-nps">9' in html


# --- Actions --------------------------------------------------------------------


def test_reply_and_note_appear_in_the_conversation(desk):
    ticket = desk["ann_ticket"]
    client = client_for(desk["ann"])
    response = client.post(
        action_url(ticket, "reply"),
        {
            "body": "已为您安排补发。",
            "wait_for_customer": "on",
            "attachments": [SimpleUploadedFile("运单.pdf", b"%PDF-1.4", "application/pdf")],
        },
    )
    assert response.status_code == 302
    assert "waits for the customer" in flash(response)[0]
    client.post(action_url(ticket, "note"), {"body": "仓库确认破损"})
    html = client.get(detail_url(ticket)).content.decode()
    assert "已为您安排补发。" in html and "运单.pdf" in html
    note = html.index("仓库确认破损")
    assert html.rfind('data-kind="note"', 0, note) > html.rfind('data-kind="reply"', 0, note)
    assert 'id="sla-paused"' in html  # waiting on the customer
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER


def test_an_empty_reply_shows_the_error_and_keeps_the_page(desk):
    response = client_for(desk["ann"]).post(action_url(desk["ann_ticket"], "reply"), {"body": " "})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not desk["ann_ticket"].messages.filter(kind=TicketMessage.Kind.REPLY).exists()


def test_reassign_to_a_team_member(desk):
    ticket = desk["ann_ticket"]
    client = client_for(desk["ann"])
    response = client.post(
        action_url(ticket, "assign"),
        {"team": "GENERAL", "assignee": "bob", "reason": "休假"},
        follow=True,
    )
    html = response.content.decode()
    assert f"assigned to {person_name(desk['bob'])}" in html
    assert "休假" in html  # the reason on the timeline
    ticket.refresh_from_db()
    assert ticket.assignee == desk["bob"]


def test_assigning_outside_the_team_is_refused_with_the_reason(desk):
    ticket = desk["ann_ticket"]
    response = client_for(desk["ann"]).post(
        action_url(ticket, "assign"), {"team": "GENERAL", "assignee": "cat"}
    )
    assert response.status_code == 400
    assert "not a member of team" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == desk["ann"]


def test_members_of_the_chosen_team_are_offered(desk):
    response = client_for(desk["ann"]).get(
        reverse("aftersales:ticket-assign-members", args=[desk["ann_ticket"].number]),
        {"team": "LOGI"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'value="cat"' in html and 'value="ann"' not in html


def test_resolve_needs_a_summary_and_a_responsibility(desk):
    ticket = desk["ann_ticket"]
    client = client_for(desk["ann"])
    missing = client.post(action_url(ticket, "resolve"), {"summary": "已补发"})
    assert missing.status_code == 400
    response = client.post(
        action_url(ticket, "resolve"),
        {"summary": "已补发新茶叶", "responsibility": "warehouse"},
        follow=True,
    )
    html = response.content.decode()
    assert f"{ticket.number} resolved" in html
    assert 'id="resolution"' in html and "已补发新茶叶" in html
    assert 'data-status="resolved"' in html
    assert 'id="action-reply"' in html and 'id="action-resolve"' not in html


def test_status_priority_and_classification(desk):
    ticket = desk["ann_ticket"]
    client = client_for(desk["ann"])
    client.post(action_url(ticket, "status"), {"status": "in_progress", "reason": ""})
    client.post(action_url(ticket, "priority"), {"priority": "urgent", "reason": "VIP 客户"})
    client.post(
        action_url(ticket, "classify"),
        {"category": "包装", "reason_code": "DAMAGED", "responsibility": "logistics"},
    )
    html = client.get(detail_url(ticket)).content.decode()
    assert 'data-status="in_progress"' in html and 'data-priority="urgent"' in html
    assert "VIP 客户" in html and "DAMAGED" in html
    refused = client.post(action_url(ticket, "status"), {"status": "closed"})
    assert refused.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.responsibility == "logistics"


# --- Attachments ------------------------------------------------------------------


def test_attachments_are_served_only_to_who_may_see_the_ticket(desk):
    ticket = open_ticket(
        desk["customer"],
        attachments=[SimpleUploadedFile("破损.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")],
    )
    attachment = ticket.messages.get().attachments.get()
    url = reverse("aftersales:ticket-attachment", args=[ticket.number, attachment.pk])
    response = client_for(ticket.assignee).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8jpeg-bytes"
    assert client_for(desk["cat"]).get(url).status_code == 404
    # An attachment is reached only through its own ticket.
    other = reverse("aftersales:ticket-attachment", args=[desk["loose"].number, attachment.pk])
    assert client_for(ticket.assignee).get(other).status_code == 404


def test_an_uploaded_html_file_is_downloaded_not_shown(desk):
    ticket = open_ticket(
        desk["customer"],
        attachments=[SimpleUploadedFile("x.html", b"<script>alert(1)</script>", "text/html")],
    )
    attachment = ticket.messages.get().attachments.get()
    url = reverse("aftersales:ticket-attachment", args=[ticket.number, attachment.pk])
    response = client_for(ticket.assignee).get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


# --- Phone intake -------------------------------------------------------------------


def test_phone_intake_opens_a_ticket_and_says_who_has_it(service_desk, delivered):
    client = client_for(service_desk["ann"])
    response = client.post(
        reverse("aftersales:ticket-create"),
        {
            "customer": delivered.customer.code,
            "order": delivered.number,
            "kind": "complaint",
            "priority": "high",
            "subject": "茶叶受潮",
            "description": "包装破损",
            "attachments": [SimpleUploadedFile("照片.png", b"png", "image/png")],
        },
    )
    ticket = Ticket.objects.get(subject="茶叶受潮")
    assert response.status_code == 302 and response["Location"] == detail_url(ticket)
    assert ticket.channel == "phone" and ticket.order == delivered and ticket.priority == "high"
    assert ticket.created_by == service_desk["ann"]
    message = flash(response)[0]
    assert ticket.number in message and person_name(ticket.assignee) in message
    assert ticket.messages.get().attachments.get().name == "照片.png"
    html = client.get(detail_url(ticket)).content.decode()
    assert f'href="{reverse("orders:order-detail", args=[delivered.number])}"' in html
    new_return = reverse("aftersales:return-create", args=[delivered.number])
    assert f'href="{new_return}?ticket={ticket.number}"' in html


def test_phone_intake_finds_the_customer_by_phone(service_desk):
    customer = CustomerFactory(phone="13800001111")
    response = client_for(service_desk["ann"]).post(
        reverse("aftersales:ticket-create"),
        {"customer": "138-0000-1111", "kind": "inquiry", "priority": "normal", "subject": "咨询"},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().customer == customer


def test_phone_intake_refuses_another_customers_order(service_desk, delivered):
    stranger = CustomerFactory()
    client = client_for(service_desk["ann"])
    response = client.post(
        reverse("aftersales:ticket-create"),
        {
            "customer": stranger.code,
            "order": delivered.number,
            "kind": "complaint",
            "priority": "normal",
            "subject": "冒名",
        },
    )
    assert response.status_code == 200
    assert "another customer" in response.context["form"].errors["order"][0]
    unknown = client.post(
        reverse("aftersales:ticket-create"),
        {"customer": "NOPE", "order": "X-1", "kind": "complaint", "subject": "?"},
    )
    errors = unknown.context["form"].errors
    assert "customer" in errors and "order" in errors
    assert not Ticket.objects.exists()


def test_customer_suggest_offers_matches_and_their_orders(service_desk, delivered):
    client = client_for(service_desk["ann"])
    url = reverse("aftersales:ticket-customer-suggest")
    partial = client.get(url, {"customer": delivered.customer.phone[-6:]}, HTTP_HX_REQUEST="true")
    assert delivered.customer.code in partial.content.decode()
    exact = client.get(url, {"customer": delivered.customer.code}).content.decode()
    assert 'id="customer-match"' in exact and delivered.number in exact
    assert client_for(service_desk["ann"]).get(url, {"customer": "x"}).status_code == 200


def test_account_managers_cannot_open_tickets(make_user):
    client = client_for(make_user("account_manager"))
    assert client.get(reverse("aftersales:ticket-create")).status_code == 403


def test_navigation_offers_the_queues_to_agents(service_desk):
    html = client_for(service_desk["ann"]).get(reverse("aftersales:ticket-mine")).content.decode()
    for name in ("ticket-mine", "ticket-team", "ticket-list", "ticket-create"):
        assert f'href="{reverse("aftersales:" + name)}"' in html
