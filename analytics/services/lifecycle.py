"""What people (and the escalation job) do to an alert after a scan raised it:
acknowledge, assign, resolve with a note, escalate past the deadline, and
the notices that go with it.

Permission checks are the views' and the API's; these services take the
actor and record it on the alert's timeline (AlertEvent).
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import Alert, AlertEvent
from erp.core.errors import DomainError
from erp.core.notifications import notification_send
from erp.core.roles import Role, role_members
from erp.core.services import acting_person

# Whose desk an alert goes to when its owning role left it past the deadline.
ESCALATION_ROLES = {
    Role.ORDER_CLERK: Role.ADMIN,
    Role.WAREHOUSE: Role.WAREHOUSE_MANAGER,
    Role.WAREHOUSE_MANAGER: Role.ADMIN,
    Role.AFTERSALES_AGENT: Role.ADMIN,
    Role.DISPATCHER: Role.ADMIN,
    "": Role.ADMIN,
}


class AlertInvalid(DomainError):
    status_code = 400
    code = "invalid"


class AlertClosed(DomainError):
    code = "alert_resolved"


def escalation_role(owner_role: str) -> str:
    return ESCALATION_ROLES.get(owner_role, Role.ADMIN)


def _for_update(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _check_not_resolved(alert: Alert) -> None:
    if alert.status == Alert.Status.RESOLVED:
        raise AlertClosed(_("Alert %(number)s is resolved already.") % {"number": alert.number})


def _event(alert: Alert, action: str, actor=None, note: str = "", now=None) -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert,
        action=action,
        actor=acting_person(actor),
        note=note,
        created_at=now or timezone.now(),
    )


def _notice(alert: Alert, user, *, key: str, subject: str) -> None:
    body = "\n".join(
        [
            alert.subject_label,
            alert.message,
            _("Deadline: %(deadline)s")
            % {"deadline": f"{timezone.localtime(alert.deadline):%Y-%m-%d %H:%M}"},
            alert.subject_url,
        ]
    )
    notification_send(
        key=key, channel="email", recipient=user.email, user=user, subject=subject, body=body
    )


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor, note: str = "") -> Alert:
    """Someone has seen the alert and is on it. Acknowledging twice is a no-op."""
    alert = _for_update(alert)
    _check_not_resolved(alert)
    if alert.status == Alert.Status.ACKNOWLEDGED:
        return alert
    now = timezone.now()
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = acting_person(actor)
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    _event(alert, AlertEvent.Action.ACKNOWLEDGED, actor, note.strip(), now)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, actor, note: str) -> Alert:
    """Close the loop: only with a note saying what was done. An open or
    acknowledged alert only (the database refuses a resolved one without a
    note, too)."""
    note = (note or "").strip()
    if not note:
        raise AlertInvalid(
            _("Say what was done before resolving the alert."), field="resolution_note"
        )
    alert = _for_update(alert)
    _check_not_resolved(alert)
    now = timezone.now()
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = acting_person(actor)
    alert.resolution_note = note
    alert.save(
        update_fields=["status", "resolved_at", "resolved_by", "resolution_note", "updated_at"]
    )
    _event(alert, AlertEvent.Action.RESOLVED, actor, note, now)
    return alert


def alert_owner_choices(alert: Alert):
    """Who an alert may be given to: active users of its owning role, of the
    role it was escalated to, or admins."""
    roles = {Role.ADMIN, alert.owner_role, alert.escalated_to_role} - {""}
    if not alert.owner_role:  # nobody's in particular: anybody with a role
        return get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()
    return role_members(*roles)


@transaction.atomic
def alert_assign(*, alert: Alert, owner, actor) -> Alert:
    """Make `owner` responsible for the alert; they are told about it."""
    if owner is None:
        raise AlertInvalid(_("Choose who takes the alert."), field="owner")
    alert = _for_update(alert)
    _check_not_resolved(alert)
    if not alert_owner_choices(alert).filter(pk=owner.pk).exists():
        raise AlertInvalid(
            _("%(user)s does not hold the role this alert belongs to.") % {"user": owner},
            field="owner",
        )
    if alert.owner_id == owner.pk:
        return alert
    alert.owner = owner
    alert.save(update_fields=["owner", "updated_at"])
    event = _event(alert, AlertEvent.Action.ASSIGNED, actor, owner.get_full_name() or str(owner))
    _notice(
        alert,
        owner,
        key=f"alert:{alert.pk}:assigned:{event.pk}",
        subject=_("Alert %(number)s was given to you") % {"number": alert.number},
    )
    return alert


def alert_notify_owner(alert: Alert) -> int:
    """Tell whoever owns a newly raised alert: its owner if it has one, else
    every active user of its owning role. Once per alert and person, however
    often it is called. Returns how many people it concerns."""
    users = [alert.owner] if alert.owner_id else list(role_members(alert.owner_role))
    if not alert.owner_id and not alert.owner_role:
        users = list(role_members(Role.ADMIN))
    subject = _("Alert %(number)s: %(subject)s") % {
        "number": alert.number,
        "subject": alert.subject_label,
    }
    for user in users:
        if user is None or not user.is_active:
            continue
        _notice(alert, user, key=f"alert:{alert.pk}:raised:{user.pk}", subject=subject)
    return len(users)


def alerts_escalate(*, now: datetime | None = None) -> dict[str, int]:
    """Open (or acknowledged) alerts past their deadline and not escalated yet
    go to the supervising role, whose active users are told once. Safe to run
    twice and by two workers: each alert is claimed by one conditional update."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        status__in=Alert.OPEN_STATUSES, deadline__lt=now, escalated_at__isnull=True
    ).only("pk", "owner_role")
    escalated = notified = 0
    for alert in due.iterator():
        role = escalation_role(alert.owner_role)
        with transaction.atomic():
            claimed = Alert.objects.filter(
                Q(pk=alert.pk),
                Q(escalated_at__isnull=True),
                status__in=Alert.OPEN_STATUSES,
            ).update(escalated_at=now, escalated_to_role=role, updated_at=now)
            if not claimed:
                continue  # resolved or escalated by somebody else meanwhile
            alert = Alert.objects.get(pk=alert.pk)
            _event(alert, AlertEvent.Action.ESCALATED, note=role, now=now)
            subject = _("Escalated: alert %(number)s, %(subject)s") % {
                "number": alert.number,
                "subject": alert.subject_label,
            }
            for user in role_members(role):
                _notice(alert, user, key=f"alert:{alert.pk}:escalated:{user.pk}", subject=subject)
                notified += 1
            escalated += 1
    return {"escalated": escalated, "notified": notified}
