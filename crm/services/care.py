"""Care tasks: raised by the care rules (crm/hooks.py registry) once per rule
and cause, created by hand, completed, cancelled and passed on.

`care_tasks_raise` runs hourly (crm.raise_care_tasks). For every enabled rule
it asks the rule for the causes that happened in
[now - delay - LOOKBACK, now - delay) and inserts one task per cause through
the unique (rule, cause_key) constraint (INSERT ... ON CONFLICT DO NOTHING),
so a cause never gets a second task however often, or by how many workers at
once, the job runs. The lookback lets a run pick up what a missed or failed
run left behind.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from crm.hooks import CARE_RULES, CareCause
from crm.models import CareRule, CareTask, Customer, Interaction
from erp.core.db import advisory_lock
from erp.core.errors import DomainError
from erp.core.notifications import notification_send
from erp.core.roles import Role, role_members, user_has_role, user_is_admin
from erp.core.services import acting_person

log = logging.getLogger(__name__)

# How far back (beyond the delay) a run looks for causes.
LOOKBACK = timedelta(days=14)

Status = CareTask.Status


class CareTaskInvalid(DomainError):
    status_code = 400
    code = "invalid"


class CareTaskConflict(DomainError):
    status_code = 409
    code = "conflict"


# --- Notifications -------------------------------------------------------------


def _task_link(task: CareTask) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("crm:care-detail", args=[task.pk])


def _notify_assignee(task: CareTask, key: str) -> None:
    """Tell the assignee a task is theirs, once per `key`."""
    user = task.assignee
    if user is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Care task: %(title)s (%(customer)s)") % {
            "title": task.title,
            "customer": task.customer.name,
        }
        body = _(
            "%(title)s\nCustomer: %(customer)s (%(code)s)\nDue: %(due)s\n%(detail)s\n%(link)s"
        ) % {
            "title": task.title,
            "customer": task.customer.name,
            "code": task.customer.code,
            "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
            "detail": task.detail,
            "link": _task_link(task),
        }
    notification_send(
        key=key, channel="email", recipient=user.email, user=user, subject=subject, body=body
    )


# --- Raising tasks from the rules ------------------------------------------------


def _rule_title(rule: CareRule) -> str:
    spec = CARE_RULES.get(rule.code)
    with translation.override(settings.LANGUAGE_CODE):
        return str(spec.name)[:200] if spec else rule.code


@transaction.atomic
def care_rule_raise(*, rule: CareRule, now: datetime) -> int:
    """Raise the tasks of one rule's causes in its window; returns how many
    tasks were created by this call."""
    spec = CARE_RULES[rule.code]
    # One run of a rule at a time (PostgreSQL): the count and the notices are
    # exact. The unique constraint alone already keeps causes single.
    advisory_lock(f"crm.care_rule:{rule.code}")
    until = now - timedelta(days=rule.delay_days)
    since = until - LOOKBACK
    causes: dict[str, CareCause] = {}
    with translation.override(settings.LANGUAGE_CODE):  # details in the house language
        for cause in spec.find(rule, since, until):
            if since <= cause.occurred_at < until:
                causes.setdefault(cause.key[:100], cause)
    if not causes:
        return 0
    existing = set(
        CareTask.objects.filter(rule=rule, cause_key__in=list(causes)).values_list(
            "cause_key", flat=True
        )
    )
    fresh = {key: cause for key, cause in causes.items() if key not in existing}
    if not fresh:
        return 0
    # Merged customers get no tasks (their business moved to the survivor).
    customers = Customer.objects.in_bulk({cause.customer_id for cause in fresh.values()})
    title = _rule_title(rule)
    priorities = set(CareTask.Priority.values)
    tasks = []
    for key, cause in fresh.items():
        customer = customers.get(cause.customer_id)
        if customer is None or customer.merged_into_id is not None:
            continue
        tasks.append(
            CareTask(
                customer=customer,
                rule=rule,
                cause_key=key,
                title=title,
                detail=cause.detail,
                reference=cause.reference[:100],
                priority=cause.priority if cause.priority in priorities else "normal",
                assignee_id=customer.account_manager_id,
                # Due when the delay has passed, never before the task exists.
                due_at=max(cause.occurred_at + timedelta(days=rule.delay_days), now),
            )
        )
    if not tasks:
        return 0
    CareTask.objects.bulk_create(tasks, ignore_conflicts=True)
    created = list(
        CareTask.objects.select_related("customer", "assignee").filter(
            rule=rule, cause_key__in=[task.cause_key for task in tasks]
        )
    )
    # bulk_create writes no history: add the "created" entries ourselves.
    get_history_manager_for_model(CareTask).bulk_history_create(created, default_date=now)
    for task in created:
        _notify_assignee(task, f"care:{task.pk}")
    return len(created)


def care_tasks_raise(*, now: datetime | None = None) -> dict:
    """Run every enabled care rule once (the hourly job). Safe to run twice
    and concurrently: a rule and cause never get a second task. A rule that
    fails is logged and the others still run."""
    now = now or timezone.now()
    summary: dict = {"created": 0, "rules": {}, "failed": []}
    rules = CareRule.objects.filter(enabled=True, code__in=list(CARE_RULES)).order_by("code")
    for rule in rules:
        try:
            count = care_rule_raise(rule=rule, now=now)
        except Exception:  # one broken rule must not stop the others
            log.exception("care rule %s failed", rule.code)
            summary["failed"].append(rule.code)
            continue
        summary["rules"][rule.code] = count
        summary["created"] += count
    return summary


# --- Rules (on/off, delay, threshold) --------------------------------------------


@transaction.atomic
def care_rule_update(
    *,
    rule: CareRule,
    enabled: bool | None = None,
    delay_days: int | None = None,
    threshold=None,
    clear_threshold: bool = False,
) -> CareRule:
    fields = []
    if enabled is not None:
        rule.enabled = bool(enabled)
        fields.append("enabled")
    if delay_days is not None:
        if delay_days < 0 or delay_days > 365:
            raise CareTaskInvalid(
                _("The delay must be between 0 and 365 days."), field="delay_days"
            )
        rule.delay_days = delay_days
        fields.append("delay_days")
    if threshold is not None or clear_threshold:
        if threshold is not None and threshold < 0:
            raise CareTaskInvalid(_("The threshold cannot be negative."), field="threshold")
        rule.threshold = threshold
        fields.append("threshold")
    if fields:
        rule.save(update_fields=[*fields, "updated_at"])
    return rule


# --- Tasks by hand and their life ------------------------------------------------


def _check_assignee(assignee, actor) -> None:
    """Tasks go to active staff who may see care tasks; an account manager
    passes tasks only to account managers."""
    if assignee is None:
        return
    if not assignee.is_active or not assignee.has_perm("crm.view_caretask"):
        raise CareTaskInvalid(
            _("%(user)s cannot work on care tasks.") % {"user": assignee}, field="assignee"
        )
    # Only those who act on care tasks get them: account managers (and, from
    # an admin, another admin). An analyst may look at tasks but not do them.
    may_take = user_has_role(assignee, Role.ACCOUNT_MANAGER) or (
        user_is_admin(actor) and user_is_admin(assignee)
    )
    if not may_take:
        raise CareTaskInvalid(
            _("Care tasks can only be passed to account managers."), field="assignee"
        )


def _check_choice(value: str, choices, field: str) -> str:
    if value not in {c for c, _label in choices}:
        raise CareTaskInvalid(
            _("“%(value)s” is not a valid choice.") % {"value": value}, field=field
        )
    return value


def _task_for_update(task: CareTask) -> CareTask:
    return (
        CareTask.objects.select_for_update(of=("self",))
        .select_related("customer", "assignee")
        .get(pk=task.pk)
    )


def _check_open(task: CareTask) -> None:
    if task.status != Status.OPEN:
        raise CareTaskConflict(
            _("This care task is %(status)s already.") % {"status": task.get_status_display()},
            field="status",
        )


@transaction.atomic
def care_task_create(
    *,
    customer: Customer,
    title: str,
    due_at: datetime | None = None,
    detail: str = "",
    priority: str = CareTask.Priority.NORMAL,
    assignee=None,
    reference: str = "",
    actor=None,
) -> CareTask:
    """A care task made by hand (no rule). Without an assignee it goes to the
    customer's account manager, or, when the customer has none, to the
    account manager who made it (so they can still see it)."""
    title = (title or "").strip()
    if not title:
        raise CareTaskInvalid(_("This field may not be blank."), field="title")
    if customer.merged_into_id is not None:
        raise CareTaskInvalid(
            _("This customer was merged into %(other)s; use that one.")
            % {"other": customer.merged_into},
            field="customer",
        )
    _check_choice(priority, CareTask.Priority.choices, "priority")
    if assignee is None:
        assignee = customer.account_manager
        person = acting_person(actor)
        if assignee is None and person is not None and user_has_role(person, Role.ACCOUNT_MANAGER):
            assignee = person
    else:
        _check_assignee(assignee, actor)
    task = CareTask.objects.create(
        customer=customer,
        title=title[:200],
        detail=(detail or "").strip(),
        priority=priority,
        reference=(reference or "").strip()[:100],
        assignee=assignee,
        due_at=due_at or timezone.now(),
        created_by=acting_person(actor),
    )
    if assignee is not None and assignee != acting_person(actor):
        _notify_assignee(task, f"care:{task.pk}")
    return task


@transaction.atomic
def care_task_complete(
    *, task: CareTask, outcome: str, actor, reached_by: str = "", contact=None
) -> CareTask:
    """Close an open task with what came of it. When the staff member says
    how they reached the customer (`reached_by`: an interaction kind), the
    contact is logged as an outbound interaction linked to the task."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise CareTaskInvalid(_("Say what came of it."), field="outcome")
    if reached_by:
        _check_choice(reached_by, Interaction.Kind.choices, "reached_by")
    task = _task_for_update(task)
    _check_open(task)
    now = timezone.now()
    task.status = Status.DONE
    task.outcome = outcome
    task.completed_at = now
    task.completed_by = acting_person(actor)
    task.save(update_fields=["status", "outcome", "completed_at", "completed_by", "updated_at"])
    if reached_by:
        from crm.services.interactions import interaction_log

        interaction_log(
            customer=task.customer,
            kind=reached_by,
            direction=Interaction.Direction.OUTBOUND,
            subject=task.title,
            body=outcome,
            contact=contact,
            reference=task.reference,
            care_task=task,
            occurred_at=now,
            actor=actor,
        )
    return task


@transaction.atomic
def care_task_cancel(*, task: CareTask, reason: str, actor) -> CareTask:
    """Drop an open task (the reason is kept as its outcome). A rule's task
    stays cancelled: the same cause never raises it again."""
    reason = (reason or "").strip()
    if not reason:
        raise CareTaskInvalid(_("Say why the task is cancelled."), field="reason")
    task = _task_for_update(task)
    _check_open(task)
    task.status = Status.CANCELLED
    task.outcome = reason
    task.completed_at = timezone.now()
    task.completed_by = acting_person(actor)
    task.save(update_fields=["status", "outcome", "completed_at", "completed_by", "updated_at"])
    return task


@transaction.atomic
def care_task_reassign(*, task: CareTask, assignee, actor) -> CareTask:
    """Pass an open task to somebody else, who is told about it."""
    if assignee is None:
        raise CareTaskInvalid(_("Choose who takes the task."), field="assignee")
    task = _task_for_update(task)
    _check_open(task)
    _check_assignee(assignee, actor)
    if task.assignee_id == assignee.pk:
        return task
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    _notify_assignee(task, f"care:{task.pk}:to:{assignee.pk}:{stamp}")
    return task


def care_assignee_choices(actor):
    """Users a task may be passed to by `actor` (for forms and validation)."""
    if user_is_admin(actor):
        return role_members(Role.ADMIN, Role.ACCOUNT_MANAGER)
    return role_members(Role.ACCOUNT_MANAGER)
