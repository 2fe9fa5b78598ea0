"""Tickets: intake from every channel, messages, assignment, status changes.

Every status change goes through `ticket_transition`, which locks the row,
checks TICKET_TRANSITIONS, moves the SLA clocks, writes a TicketEvent and
notifies after commit. Customers hear about a new ticket, each reply and the
resolution (with the survey link) through the signal `ticket_customer_update`
(erp.portal.notifications writes them, in their language); staff about
assignments.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import (
    TICKET_TRANSITIONS,
    Priority,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketKind,
    TicketMessage,
)
from aftersales.services import sla
from aftersales.signals import ticket_customer_update
from erp.core.errors import DomainError
from erp.core.notifications import notification_send
from erp.core.outbox import outbox_emit
from erp.core.services import acting_person

Status = Ticket.Status
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10


class TicketInvalid(DomainError):
    status_code = 400
    code = "invalid"


class TicketConflict(DomainError):
    status_code = 409
    code = "conflict"


class TicketTransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


def ticket_for_update(pk: int) -> Ticket:
    """The ticket row, locked until the transaction ends."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)


def ticket_event_record(
    *, ticket: Ticket, kind: str, actor=None, reason: str = "", from_value="", to_value=""
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=acting_person(actor),
        reason=str(reason)[:500],
        from_value=str(from_value or "")[:50],
        to_value=str(to_value or "")[:50],
        created_at=timezone.now(),
    )


def allowed_targets(ticket: Ticket) -> set[str]:
    return set(TICKET_TRANSITIONS.get(ticket.status, set()))


# --- Notifications -----------------------------------------------------------


def _tell_customer(ticket: Ticket, update: str, **ids) -> None:
    """Send `ticket_customer_update` once the transaction commits: the
    customer is written from erp.portal.notifications (their language, the
    portal link, the notification backends), and a rolled-back change tells
    them nothing."""
    ticket_id = ticket.pk
    transaction.on_commit(
        lambda: ticket_customer_update.send(
            sender=Ticket, ticket_id=ticket_id, update=update, **ids
        ),
        robust=True,  # a failing receiver must not fail the change
    )


def _notify_assignee(ticket: Ticket, event: TicketEvent) -> None:
    user = ticket.assignee
    if user is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[%(number)s] Assigned to you: %(subject)s") % {
            "number": ticket.number,
            "subject": ticket.subject,
        }
        body = _("Ticket %(number)s (%(priority)s) from %(customer)s is now yours.\n%(link)s") % {
            "number": ticket.number,
            "priority": ticket.get_priority_display(),
            "customer": ticket.customer.name,
            "link": settings.SITE_URL.rstrip("/")
            + reverse("aftersales:ticket-detail", args=[ticket.number]),
        }
    notification_send(
        key=f"ticket:{ticket.pk}:assigned:{event.pk}",
        channel="email",
        recipient=user.email,
        user=user,
        subject=subject,
        body=body,
    )


# --- Intake ------------------------------------------------------------------


def _check_choice(value: str, choices, field: str) -> str:
    if value not in {c for c, _label in choices}:
        raise TicketInvalid(_("“%(value)s” is not a valid choice.") % {"value": value}, field=field)
    return value


def _save_attachments(message: TicketMessage, attachments) -> None:
    attachments = list(attachments or ())
    if len(attachments) > MAX_ATTACHMENTS:
        raise TicketInvalid(
            _("At most %(count)s files per message.") % {"count": MAX_ATTACHMENTS},
            field="attachments",
        )
    for index, upload in enumerate(attachments):
        size = getattr(upload, "size", 0) or 0
        if size > MAX_ATTACHMENT_BYTES:
            raise TicketInvalid(
                _("%(name)s is larger than 10 MB.") % {"name": upload.name},
                field=f"attachments[{index}]",
            )
        TicketAttachment.objects.create(
            message=message,
            file=upload,
            name=(upload.name or "file")[-200:],
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            size=size,
        )


def _check_links(customer, order, order_line, shipment) -> None:
    if order is not None and order.customer_id != customer.pk:
        raise TicketInvalid(
            _("Order %(order)s belongs to another customer.") % {"order": order.number},
            field="order",
        )
    if order_line is not None and (order is None or order_line.order_id != order.pk):
        raise TicketInvalid(_("The order line is not a line of this order."), field="order_line")
    if shipment is not None and (order is None or shipment.order_id != order.pk):
        raise TicketInvalid(_("The shipment does not belong to this order."), field="shipment")


@transaction.atomic
def ticket_create(
    *,
    customer,
    subject: str,
    kind: str,
    channel: str,
    description: str = "",
    order=None,
    order_line=None,
    shipment=None,
    shipment_exception=None,
    category: str = "",
    reason_code: str = "",
    priority: str = Priority.NORMAL,
    contact_email: str = "",
    contact_phone: str = "",
    actor=None,
    attachments=(),
    auto_assign: bool = True,
    external_id: str | None = None,
) -> Ticket:
    """Open a ticket from any channel; it is assigned and its SLA clocks start.

    What the customer said (`description`) becomes the first message: the
    customer's own words, or an internal note for tickets the system opens."""
    subject = (subject or "").strip()
    if not subject:
        raise TicketInvalid(_("A subject is required."), field="subject")
    _check_choice(kind, TicketKind.choices, "kind")
    _check_choice(channel, Ticket.Channel.choices, "channel")
    _check_choice(priority, Priority.choices, "priority")
    if order is None and order_line is not None:
        order = order_line.order
    if order is None and shipment is not None:
        order = shipment.order
    _check_links(customer, order, order_line, shipment)
    now = timezone.now()
    ticket = Ticket.objects.create(
        number=f"tmp-{secrets.token_hex(8)}",
        subject=subject[:200],
        description=description,
        customer=customer,
        order=order,
        order_line=order_line,
        shipment=shipment,
        shipment_exception=shipment_exception,
        kind=kind,
        channel=channel,
        category=category.strip()[:50],
        reason_code=reason_code.strip()[:50],
        priority=priority,
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        public_token=secrets.token_urlsafe(32),
        created_by=acting_person(actor),
    )
    ticket.number = f"TK-{timezone.localtime(now):%Y%m%d}-{ticket.pk:05d}"
    ticket.save(update_fields=["number"])
    if description.strip() or attachments:
        system = channel == Ticket.Channel.SYSTEM
        message = TicketMessage.objects.create(
            ticket=ticket,
            kind=TicketMessage.Kind.NOTE if system else TicketMessage.Kind.CUSTOMER,
            channel=channel,
            author=acting_person(actor) if system else None,
            author_name=(_("system") if system else customer.name)[:150],
            body=description.strip() or "-",
            external_id=external_id or None,
            created_at=now,
        )
        _save_attachments(message, attachments)
    ticket_event_record(ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=actor, to_value=channel)
    outbox_emit(type="ticket.created", aggregate=ticket, payload=_outbox_payload(ticket))
    sla.sla_start(ticket=ticket, now=now)
    if auto_assign:
        from aftersales.services.assignment import ticket_auto_assign

        ticket = ticket_auto_assign(ticket=ticket)
    if channel != Ticket.Channel.SYSTEM:
        _tell_customer(ticket, "created")
    return ticket


# --- Status ------------------------------------------------------------------


def _outbox_payload(ticket: Ticket) -> dict:
    return {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "kind": ticket.kind,
        "status": ticket.status,
        "customer_id": ticket.customer_id,
        "order_id": ticket.order_id,
    }


def _set_status(ticket: Ticket, to_status: str, *, actor, reason: str) -> None:
    """Change the status of a locked ticket: check the table, move the clocks,
    record the event. Callers save nothing else of the status."""
    from_status = ticket.status
    if to_status == from_status:
        return
    if to_status not in TICKET_TRANSITIONS.get(from_status, set()):
        raise TicketTransitionNotAllowed(
            _("A ticket that is %(from)s cannot become %(to)s.")
            % {"from": Status(from_status).label, "to": Status(to_status).label},
            field="status",
        )
    now = timezone.now()
    if to_status in (Status.ASSIGNED, Status.IN_PROGRESS) and ticket.assignee_id is None:
        raise TicketInvalid(_("Assign the ticket to somebody first."), field="assignee")
    if to_status == Status.RESOLVED and not ticket.resolution_summary.strip():
        raise TicketInvalid(_("Say how the ticket was resolved."), field="resolution_summary")
    fields = ["status", "updated_at"]
    ticket.status = to_status
    if from_status == Status.WAITING_CUSTOMER:
        sla.sla_resume(ticket=ticket, now=now)
    if to_status == Status.WAITING_CUSTOMER:
        sla.sla_pause(ticket=ticket, now=now)
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
        sla.sla_stop(ticket=ticket, now=now)
    if to_status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if to_status == Status.REOPENED:
        sla.sla_reopen(ticket=ticket, now=now)  # the resolved spell does not count
        ticket.resolved_at, ticket.closed_at = None, None
        fields += ["resolved_at", "closed_at"]
    ticket.save(update_fields=fields)
    if to_status == Status.RESOLVED:
        outbox_emit(type="ticket.resolved", aggregate=ticket, payload=_outbox_payload(ticket))
    event = ticket_event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.STATUS,
        actor=actor,
        reason=reason,
        from_value=from_status,
        to_value=to_status,
    )
    if to_status == Status.RESOLVED:
        from aftersales.services.feedback import feedback_request

        feedback_request(ticket=ticket)  # the survey the resolution message links to
        _tell_customer(ticket, "resolved", event_id=event.pk)


@transaction.atomic
def ticket_transition(*, ticket: Ticket, to_status: str, actor=None, reason: str = "") -> Ticket:
    _check_choice(to_status, Status.choices, "status")
    ticket = ticket_for_update(ticket.pk)
    _set_status(ticket, to_status, actor=actor, reason=reason)
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, summary: str, responsibility: str = "", actor=None) -> Ticket:
    """Resolve with what was done and who was responsible; the customer gets
    the resolution and the survey link."""
    summary = (summary or "").strip()
    if not summary:
        raise TicketInvalid(_("Say how the ticket was resolved."), field="resolution_summary")
    if responsibility:
        _check_choice(responsibility, Ticket.Responsibility.choices, "responsibility")
    ticket = ticket_for_update(ticket.pk)
    ticket.resolution_summary, ticket.responsibility = summary, responsibility
    ticket.save(update_fields=["resolution_summary", "responsibility", "updated_at"])
    _set_status(ticket, Status.RESOLVED, actor=actor, reason=summary)
    return ticket


@transaction.atomic
def ticket_priority_change(
    *, ticket: Ticket, priority: str, actor=None, reason: str = ""
) -> Ticket:
    """A new priority: the SLA targets are recomputed from the ticket's start."""
    _check_choice(priority, Priority.choices, "priority")
    ticket = ticket_for_update(ticket.pk)
    if not ticket.is_open:
        raise TicketTransitionNotAllowed(
            _("The priority of a resolved or closed ticket cannot change."), field="priority"
        )
    if priority == ticket.priority:
        return ticket
    old = ticket.priority
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at"])
    sla.sla_recompute(ticket=ticket, now=timezone.now())
    ticket_event_record(
        ticket=ticket,
        kind=TicketEvent.Kind.PRIORITY,
        actor=actor,
        reason=reason,
        from_value=old,
        to_value=priority,
    )
    return ticket


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, category=None, reason_code=None, responsibility=None, actor=None
) -> Ticket:
    """Classify a ticket (category, reason code, responsibility); kept in its history."""
    ticket = ticket_for_update(ticket.pk)
    changed = []
    if category is not None:
        ticket.category = category.strip()[:50]
        changed.append("category")
    if reason_code is not None:
        ticket.reason_code = reason_code.strip()[:50]
        changed.append("reason_code")
    if responsibility is not None:
        if responsibility:
            _check_choice(responsibility, Ticket.Responsibility.choices, "responsibility")
        ticket.responsibility = responsibility
        changed.append("responsibility")
    if changed:
        ticket.save(update_fields=[*changed, "updated_at"])
    return ticket


# --- Messages ----------------------------------------------------------------


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise TicketInvalid(_("Write a message."), field="body")
    return body


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, body: str, actor, attachments=(), wait_for_customer: bool = False
) -> TicketMessage:
    """A reply the customer sees (and is sent). The first one stops the
    first-response clock; a new or assigned ticket is then in progress."""
    body = _body(body)
    ticket = ticket_for_update(ticket.pk)
    if ticket.status == Status.CLOSED:
        raise TicketTransitionNotAllowed(
            _("The ticket is closed; reopen it to reply."), field="status"
        )
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.REPLY,
        channel=Ticket.Channel.EMAIL,
        author=acting_person(actor),
        author_name=(actor.get_full_name() or actor.get_username())[:150] if actor else "",
        body=body,
        created_at=now,
    )
    _save_attachments(message, attachments)
    sla.sla_first_response(ticket=ticket, now=now)
    # An agent who answers a ticket nobody holds takes it; an integration
    # (a chat bot replying) does not.
    if (
        ticket.assignee_id is None
        and actor is not None
        and actor.has_perm("aftersales.change_ticket")
    ):
        from aftersales.services.assignment import assign

        assign(ticket, actor, ticket.team, actor=actor, reason=_("took it by replying"))
    if ticket.status in (Status.NEW, Status.ASSIGNED, Status.REOPENED) and ticket.assignee_id:
        _set_status(ticket, Status.IN_PROGRESS, actor=actor, reason="")
    if wait_for_customer and Status.WAITING_CUSTOMER in allowed_targets(ticket):
        _set_status(ticket, Status.WAITING_CUSTOMER, actor=actor, reason=_("asked the customer"))
    _tell_customer(ticket, "reply", message_id=message.pk)
    return message


@transaction.atomic
def ticket_note(*, ticket: Ticket, body: str, actor, attachments=()) -> TicketMessage:
    """An internal note: staff only, never sent, no effect on the clocks."""
    body = _body(body)
    ticket = ticket_for_update(ticket.pk)
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.NOTE,
        channel=Ticket.Channel.PHONE,
        author=acting_person(actor),
        author_name=(actor.get_full_name() or actor.get_username())[:150] if actor else "",
        body=body,
        created_at=timezone.now(),
    )
    _save_attachments(message, attachments)
    return message


@transaction.atomic
def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    external_id: str | None = None,
    author_name: str = "",
    attachments=(),
) -> tuple[TicketMessage, bool]:
    """What the customer wrote (e-mail, portal, chat). Answering a question
    restarts the clock; writing after the resolution reopens the ticket.
    The same external message id is stored once: returns (message, created)."""
    body = _body(body)
    _check_choice(channel, Ticket.Channel.choices, "channel")
    if external_id:
        existing = TicketMessage.objects.filter(external_id=external_id).first()
        if existing is not None and existing.ticket_id == ticket.pk:
            return existing, False
        if existing is not None:
            raise TicketConflict(
                _("This message id was already used on another ticket."), field="external_id"
            )
    ticket = ticket_for_update(ticket.pk)
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.CUSTOMER,
        channel=channel,
        author_name=(author_name or ticket.customer.name)[:150],
        body=body,
        external_id=external_id or None,
        created_at=timezone.now(),
    )
    _save_attachments(message, attachments)
    if ticket.status == Status.WAITING_CUSTOMER:
        # Nobody holds it (handed back while waiting): it goes to the queue.
        back_to = Status.IN_PROGRESS if ticket.assignee_id else Status.NEW
        _set_status(ticket, back_to, actor=None, reason=_("the customer answered"))
    elif ticket.status in (Status.RESOLVED, Status.CLOSED):
        _set_status(ticket, Status.REOPENED, actor=None, reason=_("the customer wrote again"))
    return message, True
