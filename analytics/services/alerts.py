"""Alerts: raised by scans, closed by people.

`alert_raise` is what every scan calls for each condition it finds. It is
idempotent and safe under concurrency:
- an open (or acknowledged) alert of the same kind and subject is updated
  (last seen, message, details, severity may rise, the cause may move, e.g. a
  changed promised date) instead of a second one being raised;
- a cause already raised once (any status) is never raised again, so a
  resolved alert stays resolved until its cause changes;
- the partial unique constraint (kind, subject_key) over open alerts and the
  unique (kind, cause_key) decide when two workers race: the loser finds the
  winner's row.

`alerts_clear(kind, keep_subject_keys)` marks open alerts of a kind whose
condition no longer holds (the scan did not find them again): they stay open
until a person resolves them with a note (the closed loop), but show as
cleared.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import Alert, AlertEvent
from erp.core.outbox import outbox_emit

SEVERITY_RANK = {Alert.Severity.INFO: 0, Alert.Severity.WARNING: 1, Alert.Severity.CRITICAL: 2}

# How long an alert may stay unresolved before it is escalated, by severity.
DEADLINES = {
    Alert.Severity.INFO: timedelta(hours=24),
    Alert.Severity.WARNING: timedelta(hours=8),
    Alert.Severity.CRITICAL: timedelta(hours=2),
}


def _number(alert: Alert) -> str:
    return f"AL-{timezone.localtime(alert.raised_at):%Y%m%d}-{alert.pk:05d}"


def alert_raise(
    *,
    kind: str,
    subject_key: str,
    cause_key: str,
    subject_label: str,
    message: str,
    severity: str = Alert.Severity.WARNING,
    owner_role: str = "",
    owner=None,
    subject_url: str = "",
    details: dict | None = None,
    now: datetime | None = None,
    deadline: datetime | None = None,
) -> tuple[Alert | None, bool]:
    """Raise (or refresh) the alert of one condition. Returns (alert, created);
    (None, False) when this cause was raised before and is resolved."""
    now = now or timezone.now()
    details = details or {}
    with transaction.atomic():
        current = (
            Alert.objects.select_for_update()
            .filter(kind=kind, subject_key=subject_key, status__in=Alert.OPEN_STATUSES)
            .first()
        )
        if current is not None:
            _refresh(current, cause_key, message, severity, details, subject_label, now)
            return current, False
        if Alert.objects.filter(kind=kind, cause_key=cause_key).exists():
            return None, False  # this cause was raised and resolved already
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    number=f"tmp-{kind}-{subject_key}"[:30],
                    kind=kind,
                    severity=severity,
                    subject_key=subject_key,
                    cause_key=cause_key,
                    subject_label=subject_label[:200],
                    subject_url=subject_url[:300],
                    message=message,
                    details=details,
                    owner_role=owner_role,
                    owner=owner,
                    raised_at=now,
                    last_seen_at=now,
                    deadline=deadline or now + DEADLINES[severity],
                )
        except IntegrityError:
            # Another worker raised it a moment ago (or the same cause): theirs stands.
            return (
                Alert.objects.filter(kind=kind, subject_key=subject_key)
                .order_by("-raised_at")
                .first()
            ), False
        alert.number = _number(alert)
        alert.save(update_fields=["number"])
        AlertEvent.objects.create(
            alert=alert, action=AlertEvent.Action.RAISED, note=message, created_at=now
        )
        _emit_raised(alert)
    return alert, True


# Details of a low-stock alert that the stock.low event carries (small: codes
# and numbers).
_STOCK_LOW_FIELDS = ("warehouse", "sku", "on_hand", "reserved", "available", "reorder_point")


def _emit_raised(alert: Alert) -> None:
    """Outbox events of a newly raised alert (not of a refreshed one): every
    alert is an alert.raised; a low-stock alert - raised once per episode of
    a stock level at or below its reorder point - is also a stock.low."""
    outbox_emit(
        type="alert.raised",
        aggregate=alert,
        payload={
            "alert_id": alert.pk,
            "number": alert.number,
            "kind": alert.kind,
            "severity": alert.severity,
            "subject_key": alert.subject_key,
            "owner_role": alert.owner_role,
        },
    )
    if alert.kind == Alert.Kind.LOW_STOCK:
        details = alert.details or {}
        outbox_emit(
            type="stock.low",
            aggregate=("inventory.stocklevel", alert.subject_key.rsplit(":", 1)[-1]),
            payload={
                "alert_id": alert.pk,
                **{key: details[key] for key in _STOCK_LOW_FIELDS if key in details},
            },
        )


def _refresh(alert, cause_key, message, severity, details, subject_label, now) -> None:
    changed = []
    alert.last_seen_at = now
    changed.append("last_seen_at")
    if alert.cleared_at is not None:  # the condition is back
        alert.cleared_at = None
        changed.append("cleared_at")
    if (
        cause_key != alert.cause_key
        and not Alert.objects.filter(kind=alert.kind, cause_key=cause_key).exists()
    ):
        alert.cause_key = cause_key
        changed.append("cause_key")
    if message != alert.message or details != alert.details:
        alert.message, alert.details, alert.subject_label = message, details, subject_label[:200]
        changed += ["message", "details", "subject_label"]
    if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:
        alert.severity = severity
        alert.deadline = min(alert.deadline, now + DEADLINES[severity])
        changed += ["severity", "deadline"]
    alert.save(update_fields=[*changed, "updated_at"])
    if {"cause_key", "message", "severity"} & set(changed):
        AlertEvent.objects.create(
            alert=alert, action=AlertEvent.Action.UPDATED, note=message, created_at=now
        )


def alerts_clear(*, kind: str, keep_subject_keys, now: datetime | None = None) -> int:
    """Mark the open alerts of `kind` whose subject the scan no longer found
    as cleared (once). Returns how many were cleared now."""
    now = now or timezone.now()
    keep = set(keep_subject_keys)
    cleared = 0
    stale = Alert.objects.filter(
        kind=kind, status__in=Alert.OPEN_STATUSES, cleared_at__isnull=True
    ).exclude(subject_key__in=keep)
    for alert in stale.iterator():
        with transaction.atomic():
            updated = Alert.objects.filter(pk=alert.pk, cleared_at__isnull=True).update(
                cleared_at=now, updated_at=now
            )
            if updated:
                AlertEvent.objects.create(
                    alert=alert, action=AlertEvent.Action.CLEARED, created_at=now
                )
                cleared += updated
    return cleared
