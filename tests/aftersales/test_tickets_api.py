"""Tickets over the API: intake by integrators and staff, visibility,
messages, actions, inbound e-mail, and the refusals."""

import base64

import pytest

from aftersales.models import Ticket
from aftersales.services.tickets import ticket_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def test_an_integrator_opens_a_ticket_for_a_new_customer(service_desk, integration):
    client = integration("aftersales:read aftersales:write")
    response = client.post(
        URL,
        {
            "customer_name": "陈静",
            "customer_phone": "+86 139 0000 1234",
            "subject": "想咨询保修",
            "kind": "inquiry",
            "description": "保修期多久？",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "api" and body["status"] == "assigned"
    assert body["team"] == "GENERAL" and body["assignee"] in ("ann", "bob")
    assert body["messages"][0]["body"] == "保修期多久？"
    assert body["events"][0]["kind"] == "created"
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.customer.name == "陈静" and ticket.customer.phone == "13900001234"

    listed = client.get(URL, {"kind": "inquiry"}).json()
    assert [row["number"] for row in listed["results"]] == [body["number"]]


def test_bad_input_names_the_field_and_writes_nothing(service_desk, integration, delivered):
    client = integration("aftersales:write aftersales:read")
    cases = [
        ({"subject": "x", "kind": "complaint"}, "customer"),
        ({"customer": "NOPE", "subject": "x", "kind": "complaint"}, "customer"),
        ({"customer": delivered.customer.code, "subject": "x", "kind": "praise"}, "kind"),
        (
            {
                "customer": delivered.customer.code,
                "subject": "x",
                "kind": "complaint",
                "order": "SO-404",
            },
            "order",
        ),
        (
            {
                "customer": CustomerFactory().code,
                "subject": "x",
                "kind": "complaint",
                "order": delivered.number,
            },
            "order",
        ),
        (
            {
                "customer": delivered.customer.code,
                "subject": "x",
                "kind": "complaint",
                "channel": "system",
            },
            "channel",
        ),
    ]
    for payload, field in cases:
        response = client.post(URL, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert field in response.json()["error"]["fields"], (payload, response.json())
    assert not Ticket.objects.exists()


def test_scopes_and_roles_are_enforced(service_desk, integration, staff_api):
    ticket = ticket_create(
        customer=CustomerFactory(), subject="破损", kind="complaint", channel="phone"
    )
    reader = integration("aftersales:read")
    assert reader.get(URL).status_code == 200
    refused = reader.post(
        URL, {"customer": ticket.customer.code, "subject": "x", "kind": "complaint"}, format="json"
    )
    assert refused.status_code == 403
    assert integration("orders:read").get(URL).status_code == 403
    for role in ("warehouse", "order_clerk", "dispatcher", "analyst"):
        assert staff_api(role).get(URL).status_code == 403, role
        assert staff_api(role).get(f"{URL}{ticket.number}/").status_code == 403, role
    manager = staff_api("account_manager")
    assert manager.get(URL).json()["results"] == []
    assert manager.post(f"{URL}{ticket.number}/resolve/", {"summary": "x"}).status_code in (
        403,
        404,
    )


def test_agents_see_only_their_own_and_their_teams(service_desk):
    from rest_framework.test import APIClient

    mine = ticket_create(customer=CustomerFactory(), subject="a", kind="complaint", channel="phone")
    theirs = ticket_create(
        customer=CustomerFactory(), subject="b", kind="logistics_exception", channel="phone"
    )
    client = APIClient()
    client.force_login(service_desk["cat"])
    numbers = [row["number"] for row in client.get(URL).json()["results"]]
    assert numbers == [theirs.number]
    assert client.get(f"{URL}{mine.number}/").status_code == 404
    refused = client.post(f"{URL}{mine.number}/messages/", {"kind": "note", "body": "x"})
    assert refused.status_code == 404
    assert mine.messages.count() == 0


def test_reply_wait_and_resolve_through_the_api(service_desk):
    from rest_framework.test import APIClient

    ticket = ticket_create(
        customer=CustomerFactory(email="k@example.com"),
        subject="破损",
        kind="complaint",
        channel="phone",
    )
    client = APIClient()
    client.force_login(ticket.assignee)
    url = f"{URL}{ticket.number}/"
    reply = client.post(
        f"{url}messages/",
        {"kind": "reply", "body": "请拍照", "wait_for_customer": True},
        format="json",
    )
    assert reply.status_code == 201 and reply.json()["kind"] == "reply"
    detail = client.get(url).json()
    assert detail["status"] == "waiting_customer" and detail["sla"]["paused"] in (True, False)
    assert detail["sla"]["first_responded_at"] is not None

    answer = client.post(
        f"{url}messages/",
        {"kind": "customer", "body": "见图", "channel": "chat", "external_id": "wx-1"},
        format="json",
    )
    assert answer.status_code == 201
    repeat = client.post(
        f"{url}messages/",
        {"kind": "customer", "body": "见图", "channel": "chat", "external_id": "wx-1"},
        format="json",
    )
    assert repeat.status_code == 200 and repeat.json()["id"] == answer.json()["id"]
    assert client.get(url).json()["status"] == "in_progress"

    bad = client.post(f"{url}transition/", {"status": "closed"}, format="json")
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "transition_not_allowed"
    missing = client.post(f"{url}resolve/", {"summary": ""}, format="json")
    assert missing.status_code == 400 and "summary" in missing.json()["error"]["fields"]
    done = client.post(
        f"{url}resolve/", {"summary": "已补发", "responsibility": "warehouse"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert "closed" in done.json()["allowed_transitions"]

    priority = client.post(f"{url}priority/", {"priority": "urgent"}, format="json")
    assert priority.status_code == 409


def test_multipart_attachments_and_download(service_desk):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    ticket = ticket_create(
        customer=CustomerFactory(), subject="破损", kind="complaint", channel="phone"
    )
    client = APIClient()
    client.force_login(ticket.assignee)
    photo = SimpleUploadedFile("box.jpg", b"\xff\xd8\xffphoto", content_type="image/jpeg")
    response = client.post(
        f"{URL}{ticket.number}/messages/",
        {"kind": "note", "body": "外箱照片", "attachments": [photo]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == "box.jpg" and attachment["size"] == 8
    download = client.get(attachment["url"])
    assert (
        download.status_code == 200 and b"".join(download.streaming_content) == b"\xff\xd8\xffphoto"
    )
    outsider = APIClient()
    outsider.force_login(service_desk["cat"])
    assert outsider.get(attachment["url"]).status_code == 404


def test_inbound_email_endpoint(service_desk, integration):
    client = integration("aftersales:write aftersales:read")
    payload = {
        "from": "周杰 <zhou@example.com>",
        "subject": "发票",
        "text": "请开发票",
        "message_id": "<x1@mail>",
        "attachments": [
            {
                "filename": "单据.pdf",
                "content_type": "application/pdf",
                "content": base64.b64encode(b"%PDF-1.4").decode(),
            }
        ],
    }
    first = client.post(f"{URL}inbound-email/", payload, format="json")
    assert first.status_code == 201, first.content
    number = first.json()["number"]
    again = client.post(f"{URL}inbound-email/", payload, format="json")
    assert again.status_code == 200 and again.json()["number"] == number
    ticket = Ticket.objects.get(number=number)
    assert ticket.messages.get().attachments.get().name == "单据.pdf"
    bad = client.post(
        f"{URL}inbound-email/",
        {
            "from": "x",
            "subject": "s",
            "text": "t",
            "attachments": [{"filename": "a", "content": "%%%"}],
        },
        format="json",
    )
    assert bad.status_code == 400


def test_staff_cannot_post_e_mails_as_a_customer(service_desk, delivered):
    from rest_framework.test import APIClient

    ticket = ticket_create(
        customer=delivered.customer, subject="破损", kind="complaint", channel="phone"
    )
    client = APIClient()
    client.force_login(service_desk["cat"])  # an agent of another team
    response = client.post(
        f"{URL}inbound-email/",
        {"from": delivered.customer.email, "subject": f"Re: {ticket.number}", "text": "hi"},
        format="json",
    )
    assert response.status_code == 403
    assert ticket.messages.count() == 0


def test_an_integration_reply_does_not_take_the_ticket(service_desk, integration):
    ticket = ticket_create(
        customer=CustomerFactory(), subject="维修", kind="repair", channel="phone"
    )  # no team takes repairs here: nobody holds it
    bot = integration("aftersales:read aftersales:write")
    response = bot.post(
        f"{URL}{ticket.number}/messages/", {"kind": "reply", "body": "已收到"}, format="json"
    )
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_schema_documents_the_ticket_endpoints(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/tickets/",
        "/api/v1/tickets/{number}/messages/",
        "/api/v1/tickets/{number}/assign/",
        "/api/v1/tickets/inbound-email/",
    ):
        assert path in text, path


def test_the_ticket_list_costs_the_same_queries_for_more_tickets(
    service_desk, integration, django_assert_max_num_queries
):
    client = integration("aftersales:read aftersales:write")

    def add(n):
        for i in range(n):
            ticket_create(
                customer=CustomerFactory(), subject=f"投诉{i}", kind="complaint", channel="phone"
            )

    add(3)
    with django_assert_max_num_queries(12) as few:
        assert client.get(URL).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert len(client.get(URL).json()["results"]) == 23
    assert len(many.captured_queries) == len(few.captured_queries)
