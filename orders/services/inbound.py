"""Orders pushed by sales channels: receive, store, apply once.

A channel posts its own messages to /api/v1/channels/{code}/inbound/. The
channel's connector (orders.connectors) checks the signature or token, reads
the envelope and maps the payload; this module stores every authenticated
message (unique per channel and message id) and applies it:

- order created: orders.services.intake.order_create (the customer is matched
  by phone or e-mail, not duplicated; the same channel order twice is one order);
- order paid: orders.services.payments.order_payment_record;
- order cancelled: orders.services.lifecycle.order_cancel.

A paid or cancelled message whose order has not arrived yet is *held*; the
created message applies the held ones of its order right after it made the
order, in the same transaction, and a periodic task (`orders.inbound_retry_held`)
retries the rest until INBOUND_HOLD_HOURS have passed, then marks them expired.

Each channel order is worked on under one advisory lock
(`inbound:<channel>:<external ref>`), so a created and a paid message that
arrive at the same moment cannot miss each other: either the paid one is
held before the created one looks for held messages, or it finds the order.
Each message row is locked while it is applied, so it is applied once.
A message that cannot be applied is stored as failed with its error and
field; nothing of it is written (one savepoint per message).
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import advisory_lock
from erp.core.errors import DomainError
from orders.connectors import connector_for
from orders.connectors.base import (
    Connector,
    InboundInvalid,
    OrderData,
    ParsedMessage,
    PaymentData,
    body_digest,
)
from orders.models import InboundMessage, Order, SalesChannel
from orders.services.intake import LineInput, order_create
from orders.services.lifecycle import order_cancel
from orders.services.payments import order_payment_record

Status = InboundMessage.Status
Kind = InboundMessage.Kind
# Statuses a message may be applied (again) from.
APPLICABLE = {Status.RECEIVED, Status.HELD, Status.FAILED, Status.EXPIRED}


class ChannelNotFound(DomainError):
    status_code = 404
    code = "not_found"


class ConnectorMissing(DomainError):
    """The channel exists but cannot take inbound messages (no connector or secret)."""

    status_code = 409
    code = "connector_missing"


class InboundNotApplicable(DomainError):
    status_code = 409
    code = "not_applicable"


@dataclass
class InboundResult:
    message: InboundMessage
    duplicate: bool = False
    error: DomainError | None = None


def _hold_hours() -> int:
    return getattr(settings, "INBOUND_HOLD_HOURS", 72)


def inbound_channel(code: str) -> tuple[SalesChannel, Connector]:
    """The channel for a code and its connector; 404 / 409 otherwise."""
    code = (code or "").strip().upper()
    channel = SalesChannel.objects.filter(code=code).first() if code else None
    if channel is None:
        raise ChannelNotFound(
            _("No sales channel has the code %(code)s.") % {"code": code[:20]}, field="code"
        )
    connector = connector_for(channel.connector)
    if connector is None or not channel.inbound_secret:
        raise ConnectorMissing(
            _(
                "Sales channel %(code)s takes no inbound messages: give it a connector "
                "and a secret first (manage.py channel_connector)."
            )
            % {"code": channel.code},
            field="code",
        )
    return channel, connector


def _store(channel: SalesChannel, **fields) -> tuple[InboundMessage, bool]:
    """The message, stored once per (channel, message id); a copy arriving at
    the same moment waits on the unique index and finds the first."""
    message_id = fields.pop("message_id")
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
                channel=channel, message_id=message_id, **fields
            ), True
    except IntegrityError:
        return InboundMessage.objects.get(channel=channel, message_id=message_id), False


def _unreadable_payload(body: bytes):
    text = body[:20_000].decode("utf-8", errors="replace")
    return {"unreadable_body": text}


def inbound_receive(
    *, channel: SalesChannel, connector: Connector, body: bytes, headers
) -> InboundResult:
    """Store and apply one authenticated message (see the module docstring).

    A message already stored is a duplicate: it is not applied again, unless
    it had failed (the channel sends it again after fixing the cause)."""
    try:
        parsed = connector.parse(body=body, headers=headers)
    except InboundInvalid as exc:
        message, created = _store(
            channel,
            message_id=f"sha256:{body_digest(body)[:64]}",
            status=Status.FAILED,
            payload=_unreadable_payload(body),
            error=exc.message[:500],
            error_field=(exc.field or "")[:100],
            attempts=1,
        )
        return InboundResult(message, duplicate=not created, error=exc)
    message, created = _store(
        channel,
        message_id=parsed.message_id,
        topic=parsed.topic,
        kind=parsed.kind,
        external_ref=parsed.external_ref,
        payload=parsed.payload,
    )
    if not created and message.status not in (Status.FAILED, Status.RECEIVED):
        return InboundResult(message, duplicate=True)
    # A failed message sent again is applied as if new (the cause may be
    # fixed); one still "received" was stored by a call that broke off before
    # applying it (a crash, a database error) - or is being applied right now,
    # in which case inbound_apply waits for its row lock and finds it done.
    return inbound_apply(message=message, replace=None if created else parsed)


def _replace(message: InboundMessage, parsed: ParsedMessage) -> None:
    message.topic = parsed.topic
    message.kind = parsed.kind
    message.external_ref = parsed.external_ref
    message.payload = parsed.payload


@transaction.atomic
def inbound_apply(
    *,
    message: InboundMessage,
    actor=None,
    replace: ParsedMessage | None = None,
    duplicate: bool = False,
) -> InboundResult:
    """Apply one stored message, once. Applied or ignored messages are left
    as they are; held, failed and expired ones are tried again."""
    message = (
        InboundMessage.objects.select_for_update(of=("self",))
        .select_related("channel")
        .get(pk=message.pk)
    )
    if message.status not in APPLICABLE:
        return InboundResult(message, duplicate=True)
    if replace is not None:
        _replace(message, replace)
    if message.external_ref:
        # One channel order at a time, across messages (module docstring).
        advisory_lock(f"inbound:{message.channel_id}:{message.external_ref}")
    error = _run(message, actor)
    if message.status == Status.APPLIED and message.kind == Kind.ORDER_CREATED:
        _apply_held(message, actor)
    return InboundResult(message, duplicate=duplicate, error=error)


def _run(message: InboundMessage, actor) -> DomainError | None:
    """Apply in a savepoint; a refusal leaves nothing behind but the error."""
    message.attempts += 1
    error = None
    try:
        with transaction.atomic():
            _apply(message, actor)
    except DomainError as exc:
        error = exc
        message.status = Status.FAILED
        message.error = exc.message[:500]
        message.error_field = (exc.field or "")[:100]
    else:
        message.error = ""
        message.error_field = ""
    message.save(
        update_fields=[
            "topic",
            "kind",
            "external_ref",
            "payload",
            "status",
            "error",
            "error_field",
            "held_reason",
            "order",
            "attempts",
            "applied_at",
            "updated_at",
        ]
    )
    return error


def _apply_held(created: InboundMessage, actor) -> None:
    """The held messages of the order just created, oldest first. One being
    retried by the periodic task right now (row locked) is left to it."""
    held = (
        InboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("channel")
        .filter(
            channel_id=created.channel_id,
            external_ref=created.external_ref,
            status__in=[Status.HELD, Status.EXPIRED],
        )
        .order_by("created_at", "id")
    )
    for message in held:
        _run(message, actor)


def _apply(message: InboundMessage, actor) -> None:
    connector = connector_for(message.channel.connector)
    if connector is None:
        raise ConnectorMissing(
            _("Sales channel %(code)s has no inbound connector.") % {"code": message.channel.code},
            field="channel",
        )
    message.held_reason = ""
    if message.kind == Kind.OTHER:
        message.status = Status.IGNORED
        return
    if message.kind == Kind.ORDER_CREATED:
        data = connector.order_data(message.payload)
        order = _order_create(message, data, actor)
        if data.payment is not None:
            _pay(order, data.payment, message, actor)
        _applied(message, order)
        return
    order = Order.objects.filter(
        channel_id=message.channel_id, external_ref=message.external_ref
    ).first()
    if order is None:
        message.status = Status.HELD
        message.held_reason = (
            _("Waiting for channel order %(ref)s to be created.") % {"ref": message.external_ref}
        )[:255]
        return
    if message.kind == Kind.ORDER_PAID:
        _pay(order, connector.payment_data(message.payload), message, actor)
    elif message.kind == Kind.ORDER_CANCELLED and order.status != Order.Status.CANCELLED:
        order_cancel(order=order, actor=actor, reason=connector.cancel_reason(message.payload))
    _applied(message, order)


def _applied(message: InboundMessage, order: Order) -> None:
    message.status = Status.APPLIED
    message.order = order
    message.applied_at = timezone.now()


def _order_create(message: InboundMessage, data: OrderData, actor) -> Order:
    order, _created = order_create(
        channel=message.channel,
        customer=data.customer,
        shipping_address=data.shipping_address,
        lines=[
            LineInput(
                product=line.product,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
            )
            for line in data.lines
        ],
        external_ref=message.external_ref,
        promised_date=data.promised_date,
        currency=data.currency or None,
        shipping_total=data.shipping_total,
        tax_total=data.tax_total,
        placed_at=data.placed_at,
        note=data.note,
        actor=actor,
    )
    return order


def _pay(order: Order, payment: PaymentData, message: InboundMessage, actor) -> None:
    """Record the payment once: a payment with the same reference on the order
    (the channel sent the news twice under two message ids) is not recorded again."""
    reference = (payment.reference or f"{message.channel.code}:{message.message_id}")[:64]
    if order.payments.filter(reference=reference).exists():
        return
    order_payment_record(
        order=order,
        amount=payment.amount,
        method=payment.method,
        reference=reference,
        paid_at=payment.paid_at,
        actor=actor,
    )


def inbound_retry_held(*, now=None) -> dict[str, int]:
    """The periodic retry of held messages. Safe to run twice: each message
    is locked while applied and skipped once it is no longer held. Messages
    held longer than INBOUND_HOLD_HOURS are given up (expired), visibly."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=_hold_hours())
    counts = {"applied": 0, "held": 0, "expired": 0, "failed": 0}
    ids = list(
        InboundMessage.objects.filter(status=Status.HELD)
        .order_by("created_at", "id")
        .values_list("id", "created_at")[:1000]
    )
    for pk, created_at in ids:
        if created_at < cutoff:
            counts["expired"] += _expire(pk)
            continue
        result = inbound_apply(message=InboundMessage(pk=pk))
        if not result.duplicate:
            key = result.message.status if result.message.status in counts else "applied"
            counts[key] += 1
    return counts


@transaction.atomic
def _expire(pk: int) -> int:
    message = (
        InboundMessage.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=Status.HELD)
        .first()
    )
    if message is None:
        return 0
    message.status = Status.EXPIRED
    message.error = (
        _("Given up: channel order %(ref)s did not arrive within %(hours)s hours.")
        % {"ref": message.external_ref, "hours": _hold_hours()}
    )[:500]
    message.save(update_fields=["status", "error", "updated_at"])
    return 1


def inbound_retry(*, message: InboundMessage, actor=None) -> InboundResult:
    """A person applies a failed, held or expired message again."""
    if message.status not in APPLICABLE:
        raise InboundNotApplicable(
            _("This message is %(status)s; only failed, held or expired ones can be applied again.")
            % {"status": message.get_status_display()},
            field="status",
        )
    return inbound_apply(message=message, actor=actor)


@transaction.atomic
def channel_connector_set(
    *, channel: SalesChannel, connector: str, secret: str | None = None, rotate: bool = False
) -> tuple[SalesChannel, str | None]:
    """Give a channel its inbound connector. A secret is made when the channel
    has none or `rotate` is asked (or one is given); the new secret is
    returned once - show it to the person setting up the channel - else None.
    An empty connector switches inbound messages off."""
    from orders.models import ConnectorKind

    connector = (connector or "").strip()
    if connector and connector not in ConnectorKind.values:
        raise InboundInvalid(
            _("Unknown connector %(kind)s; choose one of: %(kinds)s.")
            % {"kind": connector, "kinds": ", ".join(ConnectorKind.values)},
            field="connector",
        )
    channel = SalesChannel.objects.select_for_update().get(pk=channel.pk)
    new_secret = None
    if secret is not None:
        secret = secret.strip()
        if len(secret) < 16:
            raise InboundInvalid(_("A secret has at least 16 characters."), field="secret")
        new_secret = secret
    elif connector and (rotate or not channel.inbound_secret):
        new_secret = secrets.token_urlsafe(32)
    channel.connector = connector
    fields = ["connector", "updated_at"]
    if new_secret is not None:
        channel.inbound_secret = new_secret
        channel.inbound_secret_rotated_at = timezone.now()
        fields += ["inbound_secret", "inbound_secret_rotated_at"]
    channel.save(update_fields=fields)
    return channel, new_secret
