"""Interactions: logged by staff (service, page, API) and written by the
system from customers' ticket messages, once per message."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.services.inbound import inbound_email_receive
from aftersales.services.tickets import ticket_create, ticket_customer_message
from crm.models import Contact, Interaction
from crm.services.interactions import (
    InteractionInvalid,
    interaction_log,
    interaction_record_system,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- Service ---------------------------------------------------------------------


def test_log_checks_choices_contact_future_and_merged(make_user):
    amy = make_user("account_manager")
    customer, other = CustomerFactory(), CustomerFactory()
    contact = Contact.objects.create(customer=other, name="李雷")
    cases = [
        ({"kind": "fax"}, "kind"),
        ({"direction": "sideways"}, "direction"),
        ({"subject": " "}, "subject"),
        ({"contact": contact}, "contact"),
        ({"occurred_at": timezone.now() + timedelta(hours=2)}, "occurred_at"),
        ({"customer": CustomerFactory(merged_into=customer)}, "customer"),
    ]
    for change, field in cases:
        kwargs = {
            "customer": customer,
            "kind": "call",
            "direction": "outbound",
            "subject": "回访",
            "actor": amy,
            **change,
        }
        with pytest.raises(InteractionInvalid) as err:
            interaction_log(**kwargs)
        assert err.value.field == field
    logged = interaction_log(
        customer=customer, kind="visit", direction="outbound", subject="拜访", actor=amy
    )
    assert logged.staff == amy and not logged.by_system


def test_system_interaction_is_written_once_and_follows_a_merge():
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)
    first, created = interaction_record_system(
        customer_id=merged.pk,
        source_key="ticket-message:99",
        kind="email",
        direction="inbound",
        subject="s",
    )
    again, created_again = interaction_record_system(
        customer_id=merged.pk,
        source_key="ticket-message:99",
        kind="email",
        direction="inbound",
        subject="s",
    )
    assert created and not created_again and first == again
    assert first.customer == survivor and first.by_system


# --- From ticket messages ---------------------------------------------------------


def test_portal_and_email_messages_become_inbound_interactions():
    customer = CustomerFactory(email="wang@example.com")
    ticket = ticket_create(
        customer=customer,
        subject="包装破损",
        kind="complaint",
        channel="portal",
        description="收到时盒子压坏了",
        auto_assign=False,
    )
    message = ticket.messages.get()
    interaction = Interaction.objects.get(source_key=f"ticket-message:{message.pk}")
    assert interaction.customer == customer
    assert interaction.kind == Interaction.Kind.PORTAL
    assert interaction.direction == Interaction.Direction.INBOUND
    assert interaction.reference == ticket.number
    assert interaction.body == "收到时盒子压坏了"
    assert interaction.by_system

    reply, _created = ticket_customer_message(ticket=ticket, body="还有照片", channel="email")
    assert Interaction.objects.get(source_key=f"ticket-message:{reply.pk}").kind == "email"

    # The same e-mail posted twice: one message, one interaction.
    _t, m1, _c = inbound_email_receive(
        sender="wang@example.com", subject="新问题", body="你好", message_id="<m-1@x>"
    )
    inbound_email_receive(
        sender="wang@example.com", subject="新问题", body="你好", message_id="<m-1@x>"
    )
    assert Interaction.objects.filter(source_key=f"ticket-message:{m1.pk}").count() == 1
    assert Interaction.objects.filter(customer=customer, by_system=True).count() == 3


def test_phone_tickets_and_staff_replies_write_no_interaction():
    customer = CustomerFactory()
    ticket_create(
        customer=customer,
        subject="电话咨询",
        kind="inquiry",
        channel="phone",
        description="问发票",
        auto_assign=False,
    )
    assert not Interaction.objects.exists()


def test_a_failure_in_crm_never_breaks_the_ticket(monkeypatch):
    from crm.services import interactions

    def broken(**kwargs):
        raise RuntimeError("crm is down")

    monkeypatch.setattr(interactions, "interaction_record_system", broken)
    ticket = ticket_create(
        customer=CustomerFactory(),
        subject="s",
        kind="inquiry",
        channel="chat",
        description="在吗",
        auto_assign=False,
    )
    assert ticket.pk and ticket.messages.count() == 1
    assert not Interaction.objects.exists()


# --- Pages -------------------------------------------------------------------------


def test_interaction_list_filters_and_exports(role_client, make_user):
    customer = CustomerFactory(name="王芳")
    amy = make_user("account_manager", username="amy")
    interaction_log(
        customer=customer, kind="call", direction="outbound", subject="回访A", actor=amy
    )
    interaction_log(
        customer=customer, kind="email", direction="inbound", subject="来信B", actor=amy
    )
    client = role_client("order_clerk")
    page = client.get(reverse("crm:interaction-list") + "?kind=call", **EN)
    assert page.status_code == 200
    assert "回访A" in page.text and "来信B" not in page.text
    export = client.get(reverse("crm:interaction-list") + "?export=csv&staff=amy")
    assert export.status_code == 200
    assert "回访A" in export.content.decode("utf-8-sig")


def test_analyst_and_dispatcher_may_not_read_interactions(role_client):
    for role in ("analyst", "dispatcher"):
        assert role_client(role).get(reverse("crm:interaction-list")).status_code == 403


def test_log_an_interaction_page(role_client):
    customer = CustomerFactory()
    client = role_client("aftersales_agent")
    url = reverse("crm:interaction-create", args=[customer.code])
    assert client.get(url, **EN).status_code == 200
    response = client.post(
        url, {"kind": "call", "direction": "inbound", "subject": "来电投诉", "body": "…"}
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.customer == customer and interaction.subject == "来电投诉"
    # A future time comes back as an error on the field.
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"kind": "call", "direction": "inbound", "subject": "x", "occurred_at": future}, **EN
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.text
    assert role_client("dispatcher").get(url).status_code == 403


# --- API ---------------------------------------------------------------------------


def test_api_log_and_list_by_customer(staff_api):
    customer, other = CustomerFactory(), CustomerFactory()
    api = staff_api("order_clerk")
    response = api.post(
        "/api/v1/interactions/",
        {"customer": customer.code, "kind": "call", "direction": "outbound", "subject": "确认地址"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == customer.code and body["staff"]
    interaction_log(customer=other, kind="note", direction="internal", subject="其他")
    listed = api.get(f"/api/v1/interactions/?customer={customer.code}").json()
    assert [row["subject"] for row in listed["results"]] == ["确认地址"]

    bad = api.post(
        "/api/v1/interactions/",
        {
            "customer": customer.code,
            "kind": "call",
            "direction": "outbound",
            "subject": "x",
            "occurred_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "occurred_at" in bad.text


def test_api_denials(staff_api):
    assert staff_api("analyst").get("/api/v1/interactions/").status_code == 403
    customer = CustomerFactory()
    response = staff_api("dispatcher").post(
        "/api/v1/interactions/",
        {"customer": customer.code, "kind": "call", "direction": "outbound", "subject": "x"},
        format="json",
    )
    assert response.status_code == 403
