"""Transactional outbox: domain events written with the change they describe.

`outbox_emit` adds an OutboxEvent row inside the caller's transaction, so a
rolled-back change publishes nothing, and asks for a relay after commit.
`outbox_relay` claims unpublished rows (SELECT ... FOR UPDATE SKIP LOCKED, so
two workers never take the same row), hands each to every registered handler
and marks it published; a handler error leaves the row unpublished with its
attempts and last error, and the periodic sweeper (task `core.outbox_relay`,
every minute) tries again. A crash between commit and relay only delays
delivery. Delivery is at least once: handlers deduplicate by `event_id`.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from erp.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: list[Handler] = []


def register_outbox_handler(handler: Handler) -> Handler:
    """Add a handler called with each event once it is committed (usable as a
    decorator). Registering the same callable twice has no effect."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unregister_outbox_handler(handler: Handler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


def outbox_emit(*, type: str, aggregate, payload: dict) -> OutboxEvent:
    """Record event `type` (e.g. "order.created") about `aggregate` (a model
    instance, or a (type, id) pair) in the current transaction. Payloads carry
    ids, numbers and statuses - not whole objects - and must be JSON."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit must run inside the transaction of the change it records.")
    if isinstance(aggregate, tuple):
        aggregate_type, aggregate_id = aggregate
    else:
        aggregate_type, aggregate_id = aggregate._meta.label_lower, aggregate.pk
    event = OutboxEvent.objects.create(
        type=type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
    )
    transaction.on_commit(_schedule_relay, robust=True)
    return event


def _schedule_relay() -> None:
    from erp.core.tasks import outbox_relay_task

    outbox_relay_task.delay()


def outbox_relay(*, batch: int = 100, max_batches: int = 50, now=None) -> int:
    """Publish committed, unpublished events in id order; returns how many
    were published. Safe to run twice and from several workers at once.
    An event whose handler failed waits until its `next_attempt_at`."""
    published, after = 0, 0
    for _ in range(max_batches):
        done, claimed, after = _relay_batch(batch, after, now or timezone.now())
        published += done
        if claimed < batch:
            break
    return published


def _relay_batch(batch: int, after: int, now) -> tuple[int, int, int]:
    """One transaction: claim up to `batch` unpublished rows past id `after`
    (rows that failed earlier in this run wait for the next run)."""
    done = 0
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True, id__gt=after)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")[:batch]
        )
        for event in rows:
            try:
                # A savepoint per event: a handler's database error rolls back
                # its own writes only, not the batch's claim.
                with transaction.atomic():
                    for handler in list(_handlers):
                        handler(event)
            except Exception as exc:  # recorded on the row; the sweeper retries
                logger.warning("Outbox event %s (%s) failed: %s", event.event_id, event.type, exc)
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:500]
                event.next_attempt_at = now + retry_delay(event.attempts)
                event.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                continue
            event.attempts += 1
            event.published_at = timezone.now()
            event.last_error = ""
            event.next_attempt_at = None
            event.save(update_fields=["attempts", "published_at", "last_error", "next_attempt_at"])
            done += 1
    return done, len(rows), rows[-1].pk if rows else after


def retry_delay(attempts: int) -> datetime.timedelta:
    """Wait after a handler failed `attempts` times: nothing for the first
    OUTBOX_RETRY_FREE_ATTEMPTS (the next sweep, a minute later, tries again),
    then 1, 2, 4... minutes, at most OUTBOX_RETRY_MAX_SECONDS - so a handler
    that keeps failing does not take every sweep's time."""
    extra = attempts - settings.OUTBOX_RETRY_FREE_ATTEMPTS
    if extra <= 0:
        return datetime.timedelta(0)
    return datetime.timedelta(seconds=min(settings.OUTBOX_RETRY_MAX_SECONDS, 60 * 2 ** (extra - 1)))


def outbox_purge(*, days: int | None = None, now=None, batch: int = 5000) -> int:
    """Delete events published more than `days` (OUTBOX_RETENTION_DAYS) ago,
    in batches; unpublished events are kept whatever their age. Returns how
    many were deleted; safe to run twice."""
    days = settings.OUTBOX_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(published_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += OutboxEvent.objects.filter(pk__in=ids).delete()[0]
