"""Webhooks: our domain events POSTed to the integrators who subscribed.

Flow: a domain service writes an OutboxEvent in its own transaction
(erp.core.outbox). The relay hands each committed event to
`webhook_outbox_handler`, which only writes one WebhookDelivery row per
matching active subscription (unique per subscription and event, so a relay
that runs twice queues nothing twice) and, after commit, queues the Celery
task `core.webhook_deliver` for each. No HTTP request ever runs inside the
relay's transaction.

`webhook_deliver` claims a due delivery with one conditional UPDATE (status
`sending` with a lease until `next_attempt_at`), POSTs it outside any
transaction or lock, then records the attempt. A failure schedules the next
attempt with exponential backoff and full jitter, capped, until the retry
period (settings.WEBHOOK_RETRY_HOURS) is over; then the delivery fails and
the subscription is disabled, with a notice to every admin and an audit
event. `webhook_sweep` (beat, every minute) queues the due deliveries again -
retries, and those whose task was lost (broker down, worker killed mid-send:
the lease expires). Both are safe to run twice: only the claim sends.
"""

import datetime
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from erp.core.models import (
    AuditEvent,
    Notification,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from erp.core.outbox import register_outbox_handler
from erp.core.webhooks.events import ALL, EVENT_TYPES
from erp.core.webhooks.signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger("erp.webhooks")

Status = WebhookDelivery.Status
SubStatus = WebhookSubscription.Status
DUE = (Status.PENDING, Status.SENDING)


class WebhookInvalid(DomainError):
    status_code = 400
    code = "invalid"


class WebhookConflict(DomainError):
    code = "conflict"


def _period() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def _lease() -> datetime.timedelta:
    # Longer than one POST can take: a worker that dies mid-send leaves the
    # delivery `sending`; once the lease is over the sweeper takes it again.
    return datetime.timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def backoff_seconds(attempt: int) -> float:
    """Wait before the attempt after failed attempt number `attempt`: full
    jitter, a random time up to BASE x 2^(attempt-1) seconds, at most MAX."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
    )
    return max(1.0, random.uniform(0, ceiling))  # timing jitter, not a secret


def secret_generate() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


# --- Checks ------------------------------------------------------------------------


def url_check(url: str, *, resolve: bool = False) -> str | None:
    """Only http(s) URLs; unless settings.WEBHOOK_ALLOW_PRIVATE_URLS, no
    private, loopback, link-local or reserved address - as written and, with
    `resolve`, as the host name resolves now (checked again before each POST).
    With `resolve`, returns the checked address to connect to (None when
    private addresses are allowed), so a name that resolves differently a
    moment later (DNS rebinding) cannot take the POST inside."""
    try:
        parsed = urllib.parse.urlsplit(url)
        port = parsed.port
    except ValueError:
        raise WebhookInvalid(_("Enter a valid http:// or https:// URL."), field="url") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise WebhookInvalid(_("Enter a valid http:// or https:// URL."), field="url")
    if parsed.username or parsed.password:
        raise WebhookInvalid(_("Put no user name or password in the URL."), field="url")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return None
    host = parsed.hostname
    refused = WebhookInvalid(
        _("%(host)s is a private or local address; webhooks go to public addresses only.")
        % {"host": host},
        field="url",
    )
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise refused from None
        if not resolve:
            return None
        try:
            infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except OSError:
            raise WebhookInvalid(
                _("%(host)s cannot be resolved.") % {"host": host}, field="url"
            ) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if any(not address.is_global for address in addresses):
        raise refused
    return str(addresses[0])


def _event_types(event_types) -> list[str]:
    chosen = sorted({str(name) for name in (event_types or [])})
    if not chosen:
        raise WebhookInvalid(_("Choose at least one event type."), field="event_types")
    unknown = [name for name in chosen if name != ALL and name not in EVENT_TYPES]
    if unknown:
        raise WebhookInvalid(
            _("Unknown event type: %(types)s.") % {"types": ", ".join(unknown)},
            field="event_types",
        )
    return [ALL] if ALL in chosen else chosen


def _secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret:
        return secret_generate()
    if not 16 <= len(secret) <= 100:
        raise WebhookInvalid(_("A secret has 16 to 100 characters."), field="secret")
    return secret


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise WebhookInvalid(_("Give the subscription a name."), field="name")
    return name[:100]


# --- Subscriptions -----------------------------------------------------------------


@transaction.atomic
def webhook_subscription_create(
    *,
    name: str,
    url: str,
    event_types: list[str],
    secret: str = "",
    description: str = "",
    actor=None,
) -> WebhookSubscription:
    """A new active subscription; without a `secret` one is generated (the
    caller shows it once)."""
    url = (url or "").strip()
    url_check(url)
    return WebhookSubscription.objects.create(
        name=_name(name),
        url=url,
        event_types=_event_types(event_types),
        secret=_secret(secret),
        description=(description or "")[:300],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


@transaction.atomic
def webhook_subscription_update(
    subscription: WebhookSubscription,
    *,
    name: str | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    secret: str | None = None,
) -> WebhookSubscription:
    """Change what is given. A new secret signs the next attempts."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    fields = []
    if name is not None:
        subscription.name = _name(name)
        fields.append("name")
    if url is not None:
        url = url.strip()
        url_check(url)
        subscription.url = url
        fields.append("url")
    if event_types is not None:
        subscription.event_types = _event_types(event_types)
        fields.append("event_types")
    if description is not None:
        subscription.description = description[:300]
        fields.append("description")
    if secret:
        subscription.secret = _secret(secret)
        subscription.secret_rotated_at = timezone.now()
        fields += ["secret", "secret_rotated_at"]
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(
    subscription: WebhookSubscription, *, secret: str = ""
) -> WebhookSubscription:
    """A new secret (generated unless given) for every later attempt."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.secret = _secret(secret)
    subscription.secret_rotated_at = timezone.now()
    subscription.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return subscription


@transaction.atomic
def webhook_subscription_pause(subscription: WebhookSubscription) -> WebhookSubscription:
    """An admin turns it off: nothing is sent or queued until enabled again."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status != SubStatus.PAUSED:
        subscription.status = SubStatus.PAUSED
        subscription.save(update_fields=["status", "updated_at"])
    return subscription


@transaction.atomic
def webhook_subscription_enable(
    subscription: WebhookSubscription, *, now: datetime.datetime | None = None
) -> WebhookSubscription:
    """Turn a paused or disabled subscription on again. Its deliveries still
    waiting are due at once, with a fresh retry period; failed ones stay
    failed until replayed."""
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == SubStatus.ACTIVE:
        return subscription
    subscription.status = SubStatus.ACTIVE
    subscription.consecutive_failures = 0
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.save(
        update_fields=[
            "status",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "updated_at",
        ]
    )
    subscription.deliveries.filter(status=Status.PENDING).update(
        next_attempt_at=now, give_up_at=now + _period()
    )
    # One being POSTed right now (paused mid-send) keeps its lease: made due
    # at once, a second worker could send it while the first still waits for
    # the answer. The sweeper takes it again if its worker died.
    subscription.deliveries.filter(status=Status.SENDING).update(give_up_at=now + _period())
    transaction.on_commit(_queue_sweep, robust=True)
    return subscription


@transaction.atomic
def webhook_subscription_delete(subscription: WebhookSubscription) -> None:
    """Delete it with its delivery log."""
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()


def _disable(subscription: WebhookSubscription, *, reason: str, now) -> None:
    """Persistent failure: off, an audit event, and a notice to every admin.
    Runs inside the caller's transaction with the subscription locked."""
    from erp.core.notifications import notification_send
    from erp.core.roles import Role, role_members
    from erp.core.services import audit_event_record

    subscription.status = SubStatus.DISABLED
    subscription.disabled_at = now
    subscription.disabled_reason = reason[:300]
    subscription.save(update_fields=["status", "disabled_at", "disabled_reason", "updated_at"])
    audit_event_record(
        kind=AuditEvent.Kind.WEBHOOK_DISABLED,
        detail=f"{subscription.name} ({subscription.url}): {reason}",
    )
    log.warning("webhook subscription %s disabled: %s", subscription.pk, reason)
    subject = _("Webhook %(name)s was disabled") % {"name": subscription.name}
    body = _(
        "The webhook subscription %(name)s (%(url)s) was disabled: %(reason)s\n"
        "Fix the receiver, then enable the subscription again and replay the failed "
        "deliveries."
    ) % {"name": subscription.name, "url": subscription.url, "reason": reason}
    stamp = int(now.timestamp())
    for user in role_members(Role.ADMIN):
        notification_send(
            key=f"webhook:{subscription.pk}:disabled:{stamp}:{user.pk}",
            channel=Notification.Channel.EMAIL,
            recipient=user.email,
            user=user,
            subject=subject,
            body=body,
        )


# --- From the outbox to deliveries ---------------------------------------------------


def delivery_body(event: OutboxEvent) -> str:
    """The JSON body POSTed for `event` - the same bytes on every attempt."""
    occurred = event.occurred_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "id": str(event.event_id),
            "type": event.type,
            "occurred_at": occurred,
            "resource": {"type": event.aggregate_type, "id": event.aggregate_id},
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@register_outbox_handler
def webhook_outbox_handler(event: OutboxEvent) -> None:
    """One delivery per active subscription that wants `event`; queued after
    the relay's transaction commits."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(status=SubStatus.ACTIVE)
        if s.wants(event.type)
    ]
    if not subscriptions:
        return
    now = timezone.now()
    body = delivery_body(event)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event_id=event.event_id,
                event_type=event.type,
                body=body,
                next_attempt_at=now,
                give_up_at=now + _period(),
            )
            for subscription in subscriptions
        ],
        ignore_conflicts=True,  # a relay run twice: the unique (subscription, event) holds
    )
    ids = list(
        WebhookDelivery.objects.filter(
            event_id=event.event_id, status=Status.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: _queue(ids), robust=True)


def _queue(ids) -> None:
    from erp.core.tasks import webhook_deliver_task

    for pk in ids:
        try:
            webhook_deliver_task.delay(pk)
        except Exception:  # broker down: the sweeper sends it within a minute
            log.warning("webhook delivery %s could not be queued", pk, exc_info=True)
            return


def _queue_sweep() -> None:
    from erp.core.tasks import webhook_sweep_task

    webhook_sweep_task.delay()


# --- Sending -----------------------------------------------------------------------


@dataclass
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _read(answer) -> str:
    try:
        return answer.read(500).decode("utf-8", "replace")
    except Exception:  # an answer that breaks off: its status is what counts
        return ""


class _Pinned:
    """Connects to the address url_check approved, not to whatever the host
    name resolves to by then (None: resolve as usual, private addresses being
    allowed). No redirect is ever followed: a 3xx is an answer (it could
    point inside our network)."""

    def __init__(self, host, port=None, *, address=None, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def _socket(self):
        return socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def connect(self):
        if self._address is None:
            return super().connect()
        self.sock = self._socket()
        return None


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    """The certificate is still checked against the host name (SNI and
    hostname verification)."""

    def connect(self):
        if self._address is None:
            return super().connect()
        self.sock = self._context.wrap_socket(self._socket(), server_hostname=self.host)
        return None


def webhook_post(subscription: WebhookSubscription, delivery: WebhookDelivery, attempt: int):
    """One signed POST of `delivery` to the subscription's URL."""
    try:
        address = url_check(subscription.url, resolve=True)
    except WebhookInvalid as exc:
        return Outcome(None, 0, error=exc.message)
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "erp-webhooks/1",
        "X-ERP-Event": delivery.event_type,
        "X-ERP-Event-Id": str(delivery.event_id),
        "X-ERP-Delivery": str(delivery.pk),
        "X-ERP-Attempt": str(attempt),
        "X-ERP-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature_header(subscription.secret, timestamp, body),
    }
    url = urllib.parse.urlsplit(subscription.url)
    connection_class = _PinnedHTTPSConnection if url.scheme == "https" else _PinnedHTTPConnection
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    connection = connection_class(
        url.hostname, url.port, address=address, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        status, excerpt = answer.status, _read(answer)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # TLS errors are OSErrors
        error = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    duration = int((time.monotonic() - started) * 1000)
    if status is not None and not 200 <= status < 300:
        error = f"HTTP {status}"
    return Outcome(status, duration, error=error[:500], excerpt=excerpt[:500])


def webhook_deliver(
    *, delivery_id: int, now: datetime.datetime | None = None
) -> WebhookDelivery | None:
    """Send one due delivery once (see the module docstring); returns it, or
    None when it no longer exists. A delivery that is not due, already sent,
    claimed by another worker or whose subscription is off is left alone."""
    now = now or timezone.now()
    claimed = _claim(delivery_id, now)
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if not claimed or delivery is None:
        return delivery
    outcome = webhook_post(delivery.subscription, delivery, delivery.attempts + 1)
    return _record(delivery, outcome, now)


def _claim(delivery_id: int, now) -> bool:
    """One conditional UPDATE: of two workers handed the same delivery, one
    sets it `sending` (with a lease); the other changes no row."""
    # No join in the UPDATE: Django would write it as "id IN (SELECT ...
    # JOIN ...)", and PostgreSQL re-checks only the row's own columns after
    # waiting for a concurrent claim - the subquery would still say yes.
    active = WebhookSubscription.objects.filter(status=SubStatus.ACTIVE).values("pk")
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status__in=DUE,
            next_attempt_at__lte=now,
            subscription_id__in=active,
        ).update(status=Status.SENDING, next_attempt_at=now + _lease())
    )


@transaction.atomic
def _record(delivery: WebhookDelivery, outcome: Outcome, now) -> WebhookDelivery:
    # Subscription first, then delivery: the order enable/disable lock them in.
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=now,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        success=outcome.success,
        error=outcome.error,
        response_excerpt=outcome.excerpt,
    )
    delivery.last_status_code = outcome.status_code
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_error = outcome.error
    subscription.last_delivery_at = now
    subscription.last_status_code = outcome.status_code
    disable_reason = ""
    if outcome.success:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            Status.SUCCEEDED,
            now,
            None,
        )
        subscription.consecutive_failures = 0
    else:
        subscription.consecutive_failures += 1
        if now >= delivery.give_up_at:
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
            disable_reason = _(
                "event %(event)s could not be delivered in %(hours)s hours (%(error)s)."
            ) % {
                "event": delivery.event_id,
                "hours": settings.WEBHOOK_RETRY_HOURS,
                "error": outcome.error,
            }
        else:
            delivery.status = Status.PENDING
            delivery.next_attempt_at = min(
                now + datetime.timedelta(seconds=backoff_seconds(delivery.attempts)),
                delivery.give_up_at,
            )
        if subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            disable_reason = disable_reason or _(
                "%(count)s attempts in a row failed (last: %(error)s)."
            ) % {"count": subscription.consecutive_failures, "error": outcome.error}
    delivery.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
        ]
    )
    subscription.save(
        update_fields=["last_delivery_at", "last_status_code", "consecutive_failures"]
    )
    if disable_reason and subscription.status == SubStatus.ACTIVE:
        _disable(subscription, reason=disable_reason, now=now)
    return delivery


def webhook_sweep(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Queue the deliveries that are due (retries, lost tasks, expired
    leases) of active subscriptions; returns how many. Safe to run twice and
    from several workers: SKIP LOCKED shares the rows out, the claim in
    `webhook_deliver` makes sure each attempt is made once."""
    from erp.core.tasks import webhook_deliver_task

    explicit = now is not None
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=DUE, next_attempt_at__lte=now, subscription__status=SubStatus.ACTIVE)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
    for queued, pk in enumerate(ids):
        try:
            # A moved clock (tests, run_due_jobs --at) travels with the task.
            webhook_deliver_task.delay(pk, now.isoformat() if explicit else None)
        except Exception:  # broker down: the next sweep tries again
            log.warning("webhook delivery %s could not be queued", pk, exc_info=True)
            return queued
    return len(ids)


# --- Replay ------------------------------------------------------------------------


def _replayable(queryset):
    return queryset.exclude(status__in=DUE).filter(subscription__status=SubStatus.ACTIVE)


@transaction.atomic
def webhook_replay(
    *, delivery: WebhookDelivery, now: datetime.datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again (failed, or succeeded and asked for again):
    due at once with a fresh retry period. Same event id and body, so a
    receiver that has it already can drop it."""
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if subscription.status != SubStatus.ACTIVE:
        raise WebhookConflict(
            _("The subscription is %(status)s: enable it before replaying.")
            % {"status": subscription.get_status_display()}
        )
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status in DUE:
        raise WebhookConflict(_("This delivery is already waiting to be sent."))
    delivery.status = Status.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + _period()
    delivery.save(update_fields=["status", "next_attempt_at", "give_up_at"])
    transaction.on_commit(lambda: _queue([delivery.pk]), robust=True)
    return delivery


@transaction.atomic
def webhook_replay_bulk(
    *,
    ids: list[int] | None = None,
    subscription: WebhookSubscription | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Replay the deliveries `ids` (any that are not waiting already), or
    else every failed delivery (of `subscription`, created between `since`
    and `until`). Only those of active subscriptions; returns how many."""
    now = now or timezone.now()
    queryset = WebhookDelivery.objects.all()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    else:
        queryset = queryset.filter(status=Status.FAILED)
        if since is not None:
            queryset = queryset.filter(created_at__gte=since)
        if until is not None:
            queryset = queryset.filter(created_at__lte=until)
    if subscription is not None:
        queryset = queryset.filter(subscription=subscription)
    chosen = list(
        _replayable(queryset).select_for_update(of=("self",)).values_list("pk", flat=True)
    )
    if not chosen:
        return 0
    WebhookDelivery.objects.filter(pk__in=chosen).update(
        status=Status.PENDING, next_attempt_at=now, give_up_at=now + _period()
    )
    transaction.on_commit(lambda: _queue(chosen), robust=True)
    return len(chosen)
