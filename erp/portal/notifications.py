"""Customer notifications: one message per event to the customer it concerns,
in their language, with the link to their order in the portal.

The lower apps send signals after their transaction commits (a rolled-back
change sends none); the receivers below are connected by erp.apps.SiteConfig
.ready() and queue the task `portal.notify_customer`, which composes the
message and hands it to erp.core.notifications.notification_send:

=================== ============================================= ============
event               signal                                        once per
=================== ============================================= ============
order_confirmed     orders.order_status_changed pending->confirmed order
shipped             logistics.shipment_status_changed ->dispatched shipment
out_for_delivery    ... -> out_for_delivery                       shipment
delivered           ... -> delivered                              shipment
shipment_exception  logistics.shipment_exception_raised           exception
                    (failed attempt, damaged, lost, late)
ticket_created      aftersales.ticket_customer_update "created"   ticket
ticket_reply        ... "reply" (a reply the customer sees)       reply
ticket_resolved     ... "resolved", with the survey link while    resolution
                    the survey is open (the survey request)
=================== ============================================= ============

"Once per" is the Notification key `customer:<event>:<id>`: a repeated
signal or a re-run task finds the row and sends nothing more. A shipment
message overtaken by the delivery (the shipment is delivered by the time the
task runs) is not sent; nor is a confirmation of an order cancelled since.

Channels: e-mail when the customer has an address, else SMS to their phone;
shipped and out for delivery also go by SMS when the customer has both (the
courier's call is minutes away - a text is read in time; key suffix `:sms`);
with NOTIFY_CUSTOMER_PUSH also an app push addressed to the customer's code
(suffix `:push`). A customer with neither is recorded as skipped. A company
customer without an address of its own is written at its primary contact's.

These are transactional messages: they go whatever the customer's marketing
consent (crm.Customer.marketing_consent governs campaigns only, see
crm.services.campaigns).

Texts: templates/portal/notifications/<language>/<event>.txt (first line the
subject, then the body) and <event>.sms.txt (the short text for SMS and
push), rendered under translation.override(customer.language); a language
without its own template falls back to the site's default (zh-hans).
"""

import logging
import re
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, models
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from aftersales.models import Ticket, TicketEvent, TicketMessage
from aftersales.services.feedback import feedback_expired
from aftersales.signals import ticket_customer_update
from crm.models import Customer
from erp.core.models import Notification
from erp.core.notifications import notification_send
from erp.portal.access import portal_url
from logistics.models import Shipment, ShipmentException
from logistics.signals import shipment_exception_raised, shipment_status_changed
from orders.models import Order
from orders.signals import order_status_changed

log = logging.getLogger(__name__)

KEY_PREFIX = "customer:"


class Event(models.TextChoices):
    """What a customer is told of (the first part of the notification key)."""

    ORDER_CONFIRMED = "order_confirmed", _("order confirmed")
    SHIPPED = "shipped", _("shipped")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    DELIVERED = "delivered", _("delivered")
    SHIPMENT_EXCEPTION = "shipment_exception", _("delivery problem")
    TICKET_CREATED = "ticket_created", _("request received")
    TICKET_REPLY = "ticket_reply", _("reply to a request")
    TICKET_RESOLVED = "ticket_resolved", _("request resolved (survey)")


# Also by SMS when the customer has an e-mail address and a phone.
SMS_TOO = frozenset({Event.SHIPPED, Event.OUT_FOR_DELIVERY})
# Exceptions the customer hears of: what changes their delivery. Watched
# conditions inside the network (cold chain, no movement) stay with staff.
CUSTOMER_EXCEPTION_KINDS = frozenset(
    {
        ShipmentException.Kind.FAILED_ATTEMPT,
        ShipmentException.Kind.DAMAGED,
        ShipmentException.Kind.LOST,
        ShipmentException.Kind.LATE,
    }
)
_SHIPMENT_EVENTS = {
    Shipment.Status.DISPATCHED: Event.SHIPPED,
    Shipment.Status.OUT_FOR_DELIVERY: Event.OUT_FOR_DELIVERY,
    Shipment.Status.DELIVERED: Event.DELIVERED,
}
_SHIPMENT_DONE = (
    Shipment.Status.DELIVERED,
    Shipment.Status.RETURNED_TO_SENDER,
    Shipment.Status.CANCELLED,
)


def event_of(key: str) -> str:
    """The event of a customer notification key ("" for any other key)."""
    if not key.startswith(KEY_PREFIX):
        return ""
    return key[len(KEY_PREFIX) :].split(":", 1)[0]


@dataclass
class Message:
    """What one event tells one customer, before it is rendered."""

    event: str
    ref: int  # the id the event is once per (order, shipment, message ...)
    customer: Customer
    context: dict = field(default_factory=dict)
    email: str = ""  # where the customer asked to be written (a ticket's contact)
    phone: str = ""

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.event}:{self.ref}"


# --- Addresses, language, texts ---------------------------------------------


def _language(customer: Customer) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return customer.language if customer.language in available else settings.LANGUAGE_CODE


def _addresses(customer: Customer, *, email: str = "", phone: str = "") -> tuple[str, str]:
    """(e-mail, phone) to write to: the given ones, else the customer's, else
    (a company) its primary active contact's."""
    email, phone = email or customer.email, phone or customer.phone
    if customer.kind == Customer.Kind.COMPANY and not (email and phone):
        for contact in customer.contacts.filter(active=True).order_by("-is_primary", "id"):
            email, phone = email or contact.email, phone or contact.phone
    return email, phone


def _template_names(event: str, language: str, suffix: str) -> list[str]:
    names = [f"portal/notifications/{language}/{event}{suffix}.txt"]
    if language != settings.LANGUAGE_CODE:
        names.append(f"portal/notifications/{settings.LANGUAGE_CODE}/{event}{suffix}.txt")
    return names


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def message_render(message: Message) -> tuple[str, str, str]:
    """(subject, body, short text) in the customer's language."""
    language = _language(message.customer)
    context = {"customer": message.customer, **message.context}
    with translation.override(language):
        full = _tidy(render_to_string(_template_names(message.event, language, ""), context))
        short = _tidy(render_to_string(_template_names(message.event, language, ".sms"), context))
    subject, _sep, body = full.partition("\n")
    return subject.strip(), body.strip(), short


def _deliver(message: Message) -> list[Notification]:
    email, phone = _addresses(message.customer, email=message.email, phone=message.phone)
    routes = []  # (key, channel, recipient)
    if email:
        routes.append((message.key, Notification.Channel.EMAIL, email))
        if phone and message.event in SMS_TOO:
            routes.append((f"{message.key}:sms", Notification.Channel.SMS, phone))
    else:  # SMS to the phone; neither: recorded as skipped
        routes.append((message.key, Notification.Channel.SMS, phone))
    if settings.NOTIFY_CUSTOMER_PUSH:
        routes.append((f"{message.key}:push", Notification.Channel.PUSH, message.customer.code))
    if all(Notification.objects.filter(key=key).exists() for key, _c, _r in routes):
        return list(Notification.objects.filter(key__in=[key for key, _c, _r in routes]))
    subject, body, short = message_render(message)
    return [
        notification_send(
            key=key,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body if channel == Notification.Channel.EMAIL else short,
        )
        for key, channel, recipient in routes
    ]


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- What each event says -------------------------------------------------


def _order_confirmed(order_id: int) -> Message | None:
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None or order.status == Order.Status.CANCELLED:
        return None
    return Message(
        Event.ORDER_CONFIRMED,
        order.pk,
        order.customer,
        {"order": order, "lines": list(order.lines.all()), "link": portal_url(order)},
    )


def _shipment_context(shipment: Shipment) -> dict:
    order = shipment.order
    return {
        "order": order,
        "shipment": shipment,
        "carrier": shipment.carrier.name if shipment.carrier_id else "",
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "eta": shipment.eta or shipment.planned_delivery_at,
        "lines": list(shipment.lines.select_related("order_line")),
        "link": portal_url(order),
    }


def _shipment(shipment_id: int) -> Shipment | None:
    return (
        Shipment.objects.select_related("order__customer", "carrier").filter(pk=shipment_id).first()
    )


def _shipped(shipment_id: int) -> Message | None:
    shipment = _shipment(shipment_id)
    if shipment is None or shipment.status in _SHIPMENT_DONE:
        return None  # overtaken: the delivered message says it all
    context = _shipment_context(shipment)
    context["partial"] = shipment.order.status == Order.Status.PARTIALLY_SHIPPED
    return Message(Event.SHIPPED, shipment.pk, shipment.order.customer, context)


def _out_for_delivery(shipment_id: int) -> Message | None:
    shipment = _shipment(shipment_id)
    if shipment is None or shipment.status in _SHIPMENT_DONE:
        return None
    return Message(
        Event.OUT_FOR_DELIVERY, shipment.pk, shipment.order.customer, _shipment_context(shipment)
    )


def _delivered(shipment_id: int) -> Message | None:
    shipment = _shipment(shipment_id)
    if shipment is None or shipment.status != Shipment.Status.DELIVERED:
        return None
    context = _shipment_context(shipment)
    context["proof"] = getattr(shipment, "proof_of_delivery", None)
    context["delivered_at"] = shipment.delivered_at
    context["order_complete"] = shipment.order.status in (
        Order.Status.DELIVERED,
        Order.Status.COMPLETED,
    )
    return Message(Event.DELIVERED, shipment.pk, shipment.order.customer, context)


def _shipment_exception(exception_id: int) -> Message | None:
    exception = (
        ShipmentException.objects.select_related("shipment__order__customer", "shipment__carrier")
        .filter(pk=exception_id)
        .first()
    )
    if exception is None or exception.kind not in CUSTOMER_EXCEPTION_KINDS:
        return None
    context = _shipment_context(exception.shipment)
    context["kind"] = exception.kind
    return Message(
        Event.SHIPMENT_EXCEPTION, exception.pk, exception.shipment.order.customer, context
    )


def _ticket_link(ticket: Ticket) -> str:
    """The customer's way to the ticket: its page under their order's secret
    link (read, reply, rate), or (a ticket about no order) their portal account."""
    if ticket.order_id:
        return _link(reverse("portal:ticket", args=[ticket.order.tracking_token, ticket.number]))
    return _link(reverse("portal:account-home"))


def _ticket_message(event: str, ref: int, ticket: Ticket, **context) -> Message:
    return Message(
        event,
        ref,
        ticket.customer,
        {"ticket": ticket, "link": _ticket_link(ticket), **context},
        email=ticket.contact_email,
        phone=ticket.contact_phone,
    )


def _tickets():
    return Ticket.objects.select_related("customer", "order")


def _ticket_created(ticket_id: int) -> Message | None:
    ticket = _tickets().filter(pk=ticket_id).first()
    if ticket is None or ticket.channel == Ticket.Channel.SYSTEM:
        return None
    return _ticket_message(Event.TICKET_CREATED, ticket.pk, ticket)


def _ticket_reply(message_id: int) -> Message | None:
    message = TicketMessage.objects.filter(pk=message_id).first()
    if message is None or message.kind != TicketMessage.Kind.REPLY:
        return None  # internal notes and the customer's own words are never sent
    ticket = _tickets().get(pk=message.ticket_id)
    return _ticket_message(Event.TICKET_REPLY, message.pk, ticket, message=message)


def _ticket_resolved(event_id: int) -> Message | None:
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    ticket = _tickets().get(pk=event.ticket_id)
    feedback = getattr(ticket, "feedback", None)
    survey_link = ""
    if feedback is not None and feedback.submitted_at is None and not feedback_expired(feedback):
        survey_link = _link(reverse("aftersales:survey", args=[feedback.token]))
    return _ticket_message(Event.TICKET_RESOLVED, event.pk, ticket, survey_link=survey_link)


COMPOSERS = {
    Event.ORDER_CONFIRMED: _order_confirmed,
    Event.SHIPPED: _shipped,
    Event.OUT_FOR_DELIVERY: _out_for_delivery,
    Event.DELIVERED: _delivered,
    Event.SHIPMENT_EXCEPTION: _shipment_exception,
    Event.TICKET_CREATED: _ticket_created,
    Event.TICKET_REPLY: _ticket_reply,
    Event.TICKET_RESOLVED: _ticket_resolved,
}


def customer_notify(*, event: str, object_id: int) -> list[Notification]:
    """Tell the customer about `event` of the object `object_id` (an order,
    shipment, exception, ticket, message or ticket event, by event). Safe to
    run any number of times: each message is written once per key."""
    message = COMPOSERS[event](object_id)
    if message is None:
        return []
    return _deliver(message)


@shared_task(name="portal.notify_customer", bind=True, max_retries=5, default_retry_delay=30)
def notify_customer(self, event: str, object_id: int) -> int:
    """Compose and queue one customer message; safe to run twice."""
    try:
        return len(customer_notify(event=event, object_id=object_id))
    except DatabaseError as exc:  # a lock timeout or a lost connection: later
        raise self.retry(exc=exc) from exc


# --- Receivers (connected by erp.apps.SiteConfig.ready) ---------------------


def _queue(event: str, object_id: int) -> None:
    try:
        notify_customer.delay(event, object_id)
    except Exception:  # the broker is down: logged; the change itself stands
        log.exception("customer notification %s %s not queued", event, object_id)


@receiver(order_status_changed, sender=Order, dispatch_uid="portal.notify.order")
def _on_order_status(sender, order_id, from_status, to_status, **kwargs):
    if from_status == Order.Status.PENDING and to_status == Order.Status.CONFIRMED:
        _queue(Event.ORDER_CONFIRMED, order_id)


@receiver(shipment_status_changed, sender=Shipment, dispatch_uid="portal.notify.shipment")
def _on_shipment_status(sender, shipment_id, to_status, **kwargs):
    event = _SHIPMENT_EVENTS.get(to_status)
    if event is not None:
        _queue(event, shipment_id)


@receiver(
    shipment_exception_raised, sender=ShipmentException, dispatch_uid="portal.notify.exception"
)
def _on_shipment_exception(sender, exception_id, kind, **kwargs):
    if kind in CUSTOMER_EXCEPTION_KINDS:
        _queue(Event.SHIPMENT_EXCEPTION, exception_id)


_TICKET_UPDATES = {
    "created": (Event.TICKET_CREATED, "ticket_id"),
    "reply": (Event.TICKET_REPLY, "message_id"),
    "resolved": (Event.TICKET_RESOLVED, "event_id"),
}


@receiver(ticket_customer_update, sender=Ticket, dispatch_uid="portal.notify.ticket")
def _on_ticket_update(sender, ticket_id, update, **kwargs):
    event, id_name = _TICKET_UPDATES[update]
    _queue(event, ticket_id if id_name == "ticket_id" else kwargs[id_name])
