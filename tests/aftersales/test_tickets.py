"""Tickets: intake, auto-assignment by skill and workload, manual
reassignment, messages and the status table, inbound e-mail, and the one
ticket a logistics exception opens."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.models import Ticket, TicketEvent, TicketMessage
from aftersales.selectors import tickets_visible_to
from aftersales.services.assignment import AssignmentRefused, ticket_assign
from aftersales.services.inbound import exception_ticket_open, inbound_email_receive
from aftersales.services.tickets import (
    TicketInvalid,
    TicketTransitionNotAllowed,
    ticket_create,
    ticket_customer_message,
    ticket_note,
    ticket_reply,
    ticket_resolve,
    ticket_transition,
)
from erp.core.models import Notification
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = Ticket.Status


def complaint(customer, **kwargs):
    fields = {
        "customer": customer,
        "subject": "茶叶受潮",
        "kind": "complaint",
        "channel": "phone",
        "description": "收到的茶叶包装破损，受潮了。",
    }
    fields.update(kwargs)
    return ticket_create(**fields)


def test_a_phone_complaint_is_numbered_assigned_and_acknowledged(
    service_desk, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="li@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = complaint(customer)
    assert ticket.number.startswith("TK-") and len(ticket.number) == 17
    assert ticket.team == service_desk["general"]
    assert ticket.assignee in (service_desk["ann"], service_desk["bob"])
    assert ticket.status == Status.ASSIGNED
    first = ticket.messages.get()
    assert first.kind == TicketMessage.Kind.CUSTOMER and "受潮" in first.body
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[:2] == [TicketEvent.Kind.CREATED, TicketEvent.Kind.ASSIGNED]
    # The customer is told the number; the assignee is told it is theirs.
    to = {tuple(m.to): m for m in mail.outbox}
    assert ticket.number in to[("li@example.com",)].subject
    assert ticket.number in to[(ticket.assignee.email,)].subject


def test_auto_assignment_takes_the_least_busy_then_round_robin(service_desk):
    customer = CustomerFactory()
    ann, bob = service_desk["ann"], service_desk["bob"]
    given = [complaint(customer).assignee for _ in range(4)]
    # Equal workloads: the one given a ticket longest ago comes next.
    assert given[0] != given[1] and given[2] == given[0] and given[3] == given[1]
    # Bob finishes his: he has fewer open tickets, so the next two go to him.
    for ticket in Ticket.objects.filter(assignee=bob):
        ticket_resolve(ticket=ticket, summary="已补发", actor=bob)
    assert complaint(customer).assignee == bob
    assert complaint(customer).assignee == bob
    assert complaint(customer).assignee == ann  # now 2 each, ann waited longest


def test_kind_without_a_team_waits_unassigned(service_desk):
    ticket = complaint(CustomerFactory(), kind="repair")
    assert ticket.team is None and ticket.assignee is None and ticket.status == Status.NEW


def test_invalid_intake_names_the_field(service_desk, delivered):
    customer = CustomerFactory()
    with pytest.raises(TicketInvalid) as error:
        complaint(customer, subject="  ")
    assert error.value.field == "subject"
    with pytest.raises(TicketInvalid) as error:
        complaint(customer, kind="praise")
    assert error.value.field == "kind"
    with pytest.raises(TicketInvalid) as error:
        complaint(customer, order=delivered)  # someone else's order
    assert error.value.field == "order"
    assert not Ticket.objects.exists()


def test_manual_reassignment_is_logged_and_limited_to_own_teams(service_desk, make_user):
    ann, bob, cat = service_desk["ann"], service_desk["bob"], service_desk["cat"]
    ticket = complaint(CustomerFactory())
    other = bob if ticket.assignee == ann else ann
    ticket = ticket_assign(ticket=ticket, assignee=other, actor=ticket.assignee, reason="休假")
    event = ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).last()
    assert ticket.assignee == other and event.reason == "休假" and event.to_value == other.username
    # cat is in another team: she may not take or pass on GENERAL tickets.
    with pytest.raises(AssignmentRefused):
        ticket_assign(ticket=ticket, assignee=cat, actor=cat)
    # A member of another team cannot be given it.
    admin = make_user("admin")
    with pytest.raises(TicketInvalid) as error:
        ticket_assign(ticket=ticket, assignee=cat, actor=admin)
    assert error.value.field == "assignee"
    # The admin moves it to the other team's pool.
    ticket = ticket_assign(ticket=ticket, team=service_desk["logi"], actor=admin, reason="物流")
    assert ticket.team == service_desk["logi"] and ticket.assignee is None
    assert ticket.status == Status.NEW


def test_reply_wait_answer_resolve_and_reopen(service_desk, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="zhao@example.com")
    ticket = complaint(customer)
    agent = ticket.assignee
    ticket_note(ticket=ticket, body="先查库存", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(
            ticket=ticket, body="请提供照片。", actor=agent, wait_for_customer=True
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    assert ticket.first_responded_at == reply.created_at
    sent = [m for m in mail.outbox if m.to == ["zhao@example.com"]]
    assert sent[-1].body.startswith("请提供照片。")  # the reply, then the portal link
    assert not any("先查库存" in m.body for m in mail.outbox)  # notes are never sent

    message, created = ticket_customer_message(
        ticket=ticket, body="照片见附件", channel="email", external_id="<m1@example.com>"
    )
    ticket.refresh_from_db()
    assert created and ticket.status == Status.IN_PROGRESS
    again, created = ticket_customer_message(
        ticket=ticket, body="照片见附件", channel="email", external_id="<m1@example.com>"
    )
    assert not created and again == message

    with pytest.raises(TicketInvalid) as error:
        ticket_transition(ticket=ticket, to_status=Status.RESOLVED, actor=agent)
    assert error.value.field == "resolution_summary"
    ticket = ticket_resolve(
        ticket=ticket, summary="补发新品", responsibility="warehouse", actor=agent
    )
    assert ticket.status == Status.RESOLVED and ticket.resolved_at is not None

    ticket_customer_message(ticket=ticket, body="还是不行", channel="portal")
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED and ticket.resolved_at is None
    with pytest.raises(TicketTransitionNotAllowed):
        ticket_transition(ticket=ticket, to_status=Status.CLOSED, actor=agent)


def test_attachments_are_kept_and_limited(service_desk):
    ticket = complaint(CustomerFactory())
    photo = SimpleUploadedFile("破损.jpg", b"\xff\xd8\xff" + b"0" * 100, content_type="image/jpeg")
    message = ticket_note(ticket=ticket, body="照片", actor=ticket.assignee, attachments=[photo])
    attachment = message.attachments.get()
    assert attachment.name == "破损.jpg" and attachment.size == 103
    big = SimpleUploadedFile("big.bin", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(TicketInvalid) as error:
        ticket_note(ticket=ticket, body="太大", actor=ticket.assignee, attachments=[big])
    assert error.value.field == "attachments[0]"
    assert ticket.messages.filter(body="太大").count() == 0


def test_inbound_email_opens_a_ticket_then_threads_replies(service_desk):
    ticket, message, created = inbound_email_receive(
        sender="周杰 <Zhou@Example.com>",
        subject="发票问题",
        body="请开增值税专用发票。",
        message_id="<a1@mail.example.com>",
    )
    assert created and ticket.channel == "email" and ticket.kind == "inquiry"
    assert ticket.customer.email == "zhou@example.com" and ticket.customer.name == "周杰"
    assert message.external_id == "<a1@mail.example.com>"

    # The same e-mail posted twice is one message.
    again, _message, created = inbound_email_receive(
        sender="zhou@example.com", subject="发票问题", body="x", message_id="<a1@mail.example.com>"
    )
    assert again == ticket and not created and Ticket.objects.count() == 1

    # A reply naming the ticket number joins it.
    same, reply, created = inbound_email_receive(
        sender="zhou@example.com",
        subject=f"Re: [{ticket.number}] We received your request",
        body="抬头是某某公司",
        message_id="<a2@mail.example.com>",
    )
    assert same == ticket and created and reply.kind == TicketMessage.Kind.CUSTOMER
    # Someone else quoting the number does not get into that ticket.
    other, _message, created = inbound_email_receive(
        sender="stranger@example.com", subject=f"Re: {ticket.number}", body="hi"
    )
    assert created and other != ticket

    with pytest.raises(TicketInvalid) as error:
        inbound_email_receive(sender="no address", subject="x", body="y")
    assert error.value.field == "from"


def test_a_logistics_exception_opens_exactly_one_ticket(
    service_desk, delivered, django_capture_on_commit_callbacks
):
    from logistics.models import ShipmentException
    from logistics.services import exception_open

    shipment = delivered.shipments.get()
    with django_capture_on_commit_callbacks(execute=True):
        exception, _created = exception_open(
            shipment=shipment, kind=ShipmentException.Kind.DAMAGED, details="外箱压坏"
        )
    ticket = Ticket.objects.get()
    assert ticket.kind == "logistics_exception" and ticket.channel == "system"
    assert ticket.shipment == shipment and ticket.order == delivered
    assert ticket.shipment_exception == exception and ticket.priority == "high"
    assert ticket.team == service_desk["logi"] and ticket.assignee == service_desk["cat"]
    assert ticket.messages.get().kind == TicketMessage.Kind.NOTE
    # The handler again (a repeated signal, a retried task) changes nothing.
    events = TicketEvent.objects.count()
    notifications = Notification.objects.count()
    again, created = exception_ticket_open(exception_id=exception.pk)
    assert again == ticket and not created
    assert Ticket.objects.count() == 1 and TicketEvent.objects.count() == events
    assert Notification.objects.count() == notifications


def test_who_sees_which_tickets(service_desk, make_user):
    mine = complaint(CustomerFactory())
    logistics = complaint(CustomerFactory(), kind="logistics_exception")
    cat = service_desk["cat"]
    assert set(tickets_visible_to(cat)) == {logistics}
    assert set(tickets_visible_to(mine.assignee)) == {mine}
    manager = make_user("account_manager")
    managed = CustomerFactory(account_manager=manager)
    theirs = complaint(managed)
    assert set(tickets_visible_to(manager)) == {theirs}
    assert set(tickets_visible_to(make_user("admin"))) == {mine, logistics, theirs}
    assert not tickets_visible_to(make_user("order_clerk")).exists()


def test_a_ticket_taken_outside_any_team_is_not_everybodys(service_desk):
    ann, cat = service_desk["ann"], service_desk["cat"]
    loose = complaint(CustomerFactory(), kind="repair")  # no team takes repairs here
    assert loose in tickets_visible_to(ann) and loose in tickets_visible_to(cat)
    ticket_reply(ticket=loose, body="我来处理", actor=cat)  # cat takes it by answering
    loose.refresh_from_db()
    assert loose.assignee == cat and loose.team is None
    assert loose not in tickets_visible_to(ann) and loose in tickets_visible_to(cat)


def test_agents_give_tickets_only_to_colleagues_but_may_move_them_to_another_queue(
    service_desk,
):
    ann, cat = service_desk["ann"], service_desk["cat"]
    ticket = complaint(CustomerFactory())
    holder = ticket.assignee
    with pytest.raises(AssignmentRefused):
        ticket_assign(ticket=ticket, assignee=cat, team=service_desk["logi"], actor=holder)
    moved = ticket_assign(ticket=ticket, team=service_desk["logi"], actor=holder, reason="物流问题")
    assert moved.team == service_desk["logi"] and moved.assignee is None
    assert moved.status == Status.NEW
    handed_back = moved.events.filter(kind=TicketEvent.Kind.STATUS).last()
    assert (handed_back.from_value, handed_back.to_value) == ("assigned", "new")
    assert ann in service_desk["general"].members.all()


def test_the_customers_answer_is_never_lost_on_a_ticket_nobody_holds(service_desk):
    ticket = complaint(CustomerFactory(), kind="repair")  # stays new, no team
    ticket_transition(ticket=ticket, to_status=Status.WAITING_CUSTOMER, reason="等照片")
    message, created = ticket_customer_message(ticket=ticket, body="照片来了", channel="email")
    ticket.refresh_from_db()
    assert created and ticket.status == Status.NEW and message.body == "照片来了"


def test_a_message_id_of_another_ticket_is_refused(service_desk):
    from aftersales.services.tickets import TicketConflict

    first = complaint(CustomerFactory())
    second = complaint(CustomerFactory())
    ticket_customer_message(ticket=first, body="a", channel="chat", external_id="wx-9")
    with pytest.raises(TicketConflict) as error:
        ticket_customer_message(ticket=second, body="b", channel="chat", external_id="wx-9")
    assert error.value.field == "external_id" and second.messages.filter(body="b").count() == 0


def test_the_sweep_opens_the_tickets_a_failed_receiver_missed(service_desk, delivered):
    from aftersales.services.inbound import exception_tickets_sweep
    from logistics.models import ShipmentException

    shipment = delivered.shipments.get()
    ShipmentException.objects.create(
        shipment=shipment, kind="lost", started_at=shipment.created_at, details="丢件"
    )  # as if the signal's receivers had failed: no ticket
    assert exception_tickets_sweep() == 1
    assert exception_tickets_sweep() == 0  # again: nothing more
    assert Ticket.objects.get().kind == "logistics_exception"
