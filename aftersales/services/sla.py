"""SLA clocks of tickets: calendar arithmetic, the policy that applies, the
due and warning times, pauses, and the watch that records warnings and
breaches once.

Interface used by aftersales.services.tickets; every function takes a ticket
row already locked by the caller, sets its SLA fields and saves them with
update_fields (never raising for a ticket without a policy):
  sla_start(ticket=, now=)          the policy that applies; due and warn times
  sla_pause(ticket=, now=)          entering waiting_customer
  sla_resume(ticket=, now=)         leaving waiting_customer
  sla_recompute(ticket=, now=)      after a priority change
  sla_first_response(ticket=, now=) the first customer-visible reply
  sla_stop(ticket=, now=)           resolved: resolution met or not
  sla_reopen(ticket=, now=)         reopened: the time it spent resolved is not counted

How the clock counts: due = calendar_add(sla_started_at, target + sla_paused_seconds)
in the policy's calendar, so every pause (waiting on the customer, or resolved
until reopened) shifts both targets by exactly the working time it lasted.
While paused the due and warning times are NULL. Due times are computed when
the clock starts, resumes or is recomputed: a later change to a calendar or a
policy reaches open tickets at their next recompute.

The pauses themselves are the timeline's SLA_PAUSED / SLA_RESUMED events (a
pause runs from the first SLA_PAUSED to the next SLA_RESUMED; resolving writes
an SLA_PAUSED too, so the resolved spell ends at the reopen's SLA_RESUMED).
sla_paused_seconds is only a cache of their working time in the current
policy's calendar: resume, reopen and recompute count it again from the
events, so after a priority change a pause is measured in the new calendar
(a weekend paused is 0 office hours but 48 hours around the clock).
"""

import math
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import (
    BusinessCalendar,
    CalendarDay,
    SlaPolicy,
    SlaRecord,
    Ticket,
    TicketEvent,
)
from erp.core.errors import DomainError
from erp.core.notifications import notification_send

FIRST_RESPONSE = SlaRecord.Metric.FIRST_RESPONSE
RESOLUTION = SlaRecord.Metric.RESOLUTION
WARNING = SlaRecord.Kind.WARNING
BREACH = SlaRecord.Kind.BREACH

# A calendar with no working time in this many days is broken, not slow.
MAX_CALENDAR_DAYS = 3660
_ONE_DAY = timedelta(days=1)

SLA_TIME_FIELDS = [
    "first_response_due_at",
    "first_response_warn_at",
    "resolution_due_at",
    "resolution_warn_at",
]


class CalendarClosed(DomainError):
    status_code = 400
    code = "invalid"


# --- Calendar arithmetic ------------------------------------------------------


class _Days:
    """Which dates of one calendar are working days: the weekdays, overridden
    by its holidays and make-up days. The override rows are read once for the
    span asked for, and once more per further stretch only if a long count
    runs past it; a calendar whose days were prefetched costs no query."""

    CHUNK = 120

    def __init__(self, calendar: BusinessCalendar, first: date, last: date):
        self.calendar = calendar
        self.weekdays = {int(d) for d in calendar.working_days or ()}
        self.overrides: dict[date, bool] = {}
        prefetched = getattr(calendar, "_prefetched_objects_cache", {}).get("days")
        if prefetched is not None or calendar.pk is None:
            self.overrides = {day.date: day.working for day in prefetched or ()}
            self.loaded_until = date.max
        else:
            self.loaded_until = first - _ONE_DAY
            self._load(first, last)

    def _load(self, first: date, last: date) -> None:
        rows = CalendarDay.objects.filter(
            calendar_id=self.calendar.pk, date__gte=first, date__lte=last
        ).values_list("date", "working")
        self.overrides.update(rows)
        self.loaded_until = last

    def working(self, day: date) -> bool:
        if day > self.loaded_until:
            self._load(self.loaded_until + _ONE_DAY, day + timedelta(days=self.CHUNK))
        override = self.overrides.get(day)
        if override is not None:
            return override
        return day.isoweekday() in self.weekdays


def _local(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment)


def _hours(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(day, calendar.day_start, tzinfo=tz),
        datetime.combine(day, calendar.day_end, tzinfo=tz),
    )


def _estimated_days(calendar: BusinessCalendar, seconds: float) -> int:
    """Calendar days that `seconds` of working time usually take (+ holidays)."""
    start, end = _hours(calendar, date(2000, 1, 3))
    week = (end - start).total_seconds() * len(set(calendar.working_days or ()))
    if week <= 0:
        return 366
    return min(MAX_CALENDAR_DAYS, math.ceil(seconds / week * 7) + 21)


def _add(calendar: BusinessCalendar, days: _Days, start: datetime, seconds: float) -> datetime:
    cursor = _local(start)
    remaining = float(seconds)
    day = cursor.date()
    for _step in range(MAX_CALENDAR_DAYS):
        if days.working(day):
            opens, closes = _hours(calendar, day)
            begin = max(opens, cursor)
            if begin < closes:
                available = (closes - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
        day += _ONE_DAY
        cursor = datetime.combine(day, time.min, tzinfo=cursor.tzinfo)
    raise CalendarClosed(
        _("The calendar %(calendar)s has no working time.") % {"calendar": calendar},
        field="working_days",
    )


def calendar_add(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of the calendar's working time have
    passed since `start` (the earliest such instant: 1 hour before closing
    plus 1 hour ends at closing time, not at the next opening). A start
    outside working hours counts from the next opening. In local time."""
    if seconds <= 0:
        return _local(start)
    if calendar.always_open:
        return _local(start) + timedelta(seconds=seconds)
    first = _local(start).date()
    days = _Days(calendar, first, first + timedelta(days=_estimated_days(calendar, seconds)))
    return _add(calendar, days, start, seconds)


def calendar_seconds_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Working seconds of the calendar in [a, b) (0 when b is not after a)."""
    if b <= a:
        return 0
    if calendar.always_open:
        return int((b - a).total_seconds())
    a, b = _local(a), _local(b)
    return _seconds_between(calendar, _Days(calendar, a.date(), b.date()), a, b)


def _seconds_between(calendar: BusinessCalendar, days: _Days, a: datetime, b: datetime) -> int:
    if b <= a:
        return 0
    a, b = _local(a), _local(b)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if days.working(day):
            opens, closes = _hours(calendar, day)
            overlap = (min(closes, b) - max(opens, a)).total_seconds()
            if overlap > 0:
                total += overlap
        day += _ONE_DAY
    return int(total)


# --- The policy and the targets -------------------------------------------------


def sla_policy_for(*, priority: str, tier: str = "") -> SlaPolicy | None:
    """The active policy for the priority and customer tier, else the one for
    the priority and any tier (tier ""), else None."""
    policies = {
        policy.customer_tier: policy
        for policy in SlaPolicy.objects.select_related("calendar").filter(
            active=True, priority=priority, customer_tier__in={tier or "", ""}
        )
    }
    return policies.get(tier or "") or policies.get("")


def _policy_for_ticket(ticket: Ticket) -> SlaPolicy | None:
    return sla_policy_for(priority=ticket.priority, tier=ticket.customer.tier)


def _targets(ticket: Ticket, *, extra_paused: int = 0) -> dict[str, datetime | None]:
    """Due and warning times from the start plus the paused working time."""
    times: dict[str, datetime | None] = dict.fromkeys(SLA_TIME_FIELDS)
    policy = ticket.sla_policy
    if policy is None or ticket.sla_started_at is None:
        return times
    calendar = policy.calendar
    start = ticket.sla_started_at
    paused = ticket.sla_paused_seconds + extra_paused
    if calendar.always_open:
        days = None
    else:
        first = _local(start).date()
        span = _estimated_days(calendar, policy.resolution_minutes * 60 + paused)
        days = _Days(calendar, first, first + timedelta(days=span))

    def at(minutes: int, percent: int = 100) -> datetime:
        seconds = minutes * 60 * percent // 100 + paused
        if days is None:
            return calendar_add(calendar, start, seconds)
        return _add(calendar, days, start, seconds) if seconds > 0 else _local(start)

    times["resolution_due_at"] = at(policy.resolution_minutes)
    times["resolution_warn_at"] = at(policy.resolution_minutes, policy.warn_at_percent)
    if ticket.first_responded_at is None:
        times["first_response_due_at"] = at(policy.first_response_minutes)
        times["first_response_warn_at"] = at(policy.first_response_minutes, policy.warn_at_percent)
    return times


def _set_times(ticket: Ticket, times: dict) -> None:
    for name, value in times.items():
        setattr(ticket, name, value)


def _paused_working_seconds(ticket: Ticket, since: datetime | None, now: datetime) -> int:
    if since is None or ticket.sla_policy is None:
        return 0
    return calendar_seconds_between(ticket.sla_policy.calendar, since, now)


def _pauses(ticket: Ticket) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """The ended pauses of the clock as recorded on the timeline, and the start
    of the one still open (None if none is): a pause runs from the first
    SLA_PAUSED to the next SLA_RESUMED (resolving while waiting on the
    customer leaves the pause open until the reopen)."""
    ended: list[tuple[datetime, datetime]] = []
    since = None
    rows = (
        TicketEvent.objects.filter(
            ticket_id=ticket.pk,
            kind__in=[TicketEvent.Kind.SLA_PAUSED, TicketEvent.Kind.SLA_RESUMED],
        )
        .order_by("created_at", "id")
        .values_list("kind", "created_at")
    )
    for kind, at in rows:
        if kind == TicketEvent.Kind.SLA_PAUSED:
            since = since or at
        elif since is not None:
            ended.append((since, at))
            since = None
    return ended, since


def _working_seconds(ticket: Ticket, spans: list[tuple[datetime, datetime]]) -> int:
    """The working time of the spans in the calendar of the ticket's policy
    (each span rounded down to the second, as the resume event tells it)."""
    policy = ticket.sla_policy
    if policy is None or not spans:
        return 0
    calendar = policy.calendar
    if calendar.always_open:
        return sum(calendar_seconds_between(calendar, a, b) for a, b in spans)
    days = _Days(
        calendar,
        min(_local(a).date() for a, _b in spans),
        max(_local(b).date() for _a, b in spans),
    )
    return sum(_seconds_between(calendar, days, a, b) for a, b in spans)


def _repause(ticket: Ticket, ended: list[tuple[datetime, datetime]]) -> None:
    """Refresh the cache: the ended pauses counted in the current calendar."""
    ticket.sla_paused_seconds = _working_seconds(ticket, ended)


def _event(ticket: Ticket, kind: str, now: datetime, *, reason: str = "", to_value: str = ""):
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, reason=reason[:500], to_value=to_value[:50], created_at=now
    )


def _local_text(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def duration_text(seconds: int, *, days: bool = True) -> str:
    """A short duration for people: "3d 4h", "2h 15m", "35m" (a few seconds:
    "1m"); working time is told in hours (`days=False`), not 24-hour days."""
    minutes = abs(int(seconds)) // 60 or (1 if seconds else 0)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24) if days else (0, hours)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)dm") % {"minutes": minutes}


def _save(ticket: Ticket, fields: list[str]) -> None:
    ticket.save(update_fields=[*fields, "updated_at"])


# --- The clock's life ------------------------------------------------------------


def sla_start(*, ticket: Ticket, now: datetime) -> None:
    """A new ticket: choose the policy, start the clock, set due and warn times.
    Without a policy the clock still starts (a later priority change may
    bring one) but no times are set."""
    ticket.sla_policy = _policy_for_ticket(ticket)
    ticket.sla_started_at = now
    ticket.sla_paused_at = None
    ticket.sla_paused_seconds = 0
    _set_times(ticket, _targets(ticket))
    _save(
        ticket,
        ["sla_policy", "sla_started_at", "sla_paused_at", "sla_paused_seconds", *SLA_TIME_FIELDS],
    )


def _open_pause(ticket: Ticket, since: datetime | None, fallback: datetime | None):
    """The start of the pause now ending: its SLA_PAUSED event, else (a pause
    begun before such events were kept) `fallback`, recorded now so that
    later recomputes find it."""
    if since is None and fallback is not None:
        _event(ticket, TicketEvent.Kind.SLA_PAUSED, fallback)
        since = fallback
    return since


def sla_pause(*, ticket: Ticket, now: datetime) -> None:
    """Waiting on the customer: the clock stops and the due times are cleared
    (the page shows "paused"). Pausing a paused clock changes nothing. The
    pause is recorded even without a policy: a later priority change may
    bring one, and then the pause counts."""
    if ticket.sla_paused_at is not None:
        return
    ticket.sla_paused_at = now
    _set_times(ticket, dict.fromkeys(SLA_TIME_FIELDS))
    _save(ticket, ["sla_paused_at", *SLA_TIME_FIELDS])
    _event(ticket, TicketEvent.Kind.SLA_PAUSED, now)


def _resumed_reason(ticket: Ticket, text: str, paused: int) -> str:
    if ticket.sla_policy_id is None:
        return ""
    return text % {"duration": duration_text(paused, days=False)}


def sla_resume(*, ticket: Ticket, now: datetime) -> None:
    """The customer answered: the paused time is counted again from the
    recorded pauses in the policy's calendar, and the due and warn times move
    by exactly the working time the clock was stopped."""
    if ticket.sla_paused_at is None:
        return
    ended, since = _pauses(ticket)
    since = _open_pause(ticket, since, ticket.sla_paused_at)
    paused = _working_seconds(ticket, [(since, now)])
    _repause(ticket, ended)
    ticket.sla_paused_seconds += paused
    ticket.sla_paused_at = None
    _set_times(ticket, _targets(ticket))
    _save(ticket, ["sla_paused_at", "sla_paused_seconds", *SLA_TIME_FIELDS])
    _event(
        ticket,
        TicketEvent.Kind.SLA_RESUMED,
        now,
        reason=_resumed_reason(ticket, _("Paused for %(duration)s of working time."), paused),
    )


def sla_recompute(*, ticket: Ticket, now: datetime) -> None:
    """After a priority change: choose the policy again, count the recorded
    pauses again in its calendar, and count from the start. A paused clock
    keeps the new policy and gets its times when it resumes; a resolved
    ticket only keeps the policy."""
    ticket.sla_policy = _policy_for_ticket(ticket)
    fields = ["sla_policy"]
    if ticket.sla_started_at is None:
        ticket.sla_started_at = ticket.created_at or now
        fields.append("sla_started_at")
    if ticket.is_open:
        ended, _since = _pauses(ticket)
        _repause(ticket, ended)
        fields.append("sla_paused_seconds")
        if ticket.sla_paused_at is None:
            _set_times(ticket, _targets(ticket))
            fields += SLA_TIME_FIELDS
    _save(ticket, fields)


def sla_first_response(*, ticket: Ticket, now: datetime) -> None:
    """The first reply the customer sees: recorded once (a later reply
    changes nothing). Past its due time it is a first-response breach,
    recorded once whether the watch saw it first or not."""
    if ticket.first_responded_at is not None:
        return
    due = ticket.first_response_due_at
    if ticket.sla_paused_at is not None:  # answered while paused: due as if resumed now
        extra = _paused_working_seconds(ticket, ticket.sla_paused_at, now)
        due = _targets(ticket, extra_paused=extra)["first_response_due_at"]
    ticket.first_responded_at = now
    breached = due is not None and now > due
    if breached:
        ticket.first_response_breached = True
    ticket.first_response_due_at = ticket.first_response_warn_at = None
    _save(
        ticket,
        [
            "first_responded_at",
            "first_response_breached",
            "first_response_due_at",
            "first_response_warn_at",
        ],
    )
    if breached:
        sla_record(ticket=ticket, metric=FIRST_RESPONSE, kind=BREACH, due_at=due, now=now)


def sla_stop(*, ticket: Ticket, now: datetime) -> None:
    """Resolved: the resolution target is met or breached (recorded once), and
    so is a first response never given. The due times stay for reporting;
    warnings are cleared, and the watch ignores tickets no longer open. The
    clock's pause from now until a reopen is recorded (SLA_PAUSED); resolved
    while waiting on the customer, the open pause simply goes on."""
    fields = ["first_response_warn_at", "resolution_warn_at"]
    if ticket.sla_paused_at is not None:  # resolved while waiting on the customer
        ended, since = _pauses(ticket)
        since = _open_pause(ticket, since, ticket.sla_paused_at)
        _repause(ticket, ended)
        ticket.sla_paused_seconds += _working_seconds(ticket, [(since, now)])
        ticket.sla_paused_at = None
        _set_times(ticket, _targets(ticket))
        fields = ["sla_paused_at", "sla_paused_seconds", *SLA_TIME_FIELDS]
    else:
        _event(
            ticket,
            TicketEvent.Kind.SLA_PAUSED,
            now,
            reason=_("Resolved: the clock stands still unless the ticket is reopened."),
        )
    breaches = []
    if ticket.resolution_due_at is not None and now > ticket.resolution_due_at:
        ticket.resolution_breached = True
        breaches.append((RESOLUTION, ticket.resolution_due_at))
    if (
        ticket.first_responded_at is None
        and ticket.first_response_due_at is not None
        and now > ticket.first_response_due_at
    ):
        ticket.first_response_breached = True
        breaches.append((FIRST_RESPONSE, ticket.first_response_due_at))
    ticket.first_response_warn_at = ticket.resolution_warn_at = None
    _save(ticket, [*fields, "first_response_breached", "resolution_breached"])
    for metric, due in breaches:
        sla_record(ticket=ticket, metric=metric, kind=BREACH, due_at=due, now=now)


def sla_reopen(*, ticket: Ticket, now: datetime, resolved_at: datetime | None = None) -> None:
    """Reopened after being resolved (or closed): the clock runs again, and the
    time it stood still is not counted, like a pause: from the SLA_PAUSED
    that resolving recorded (or the pause it was resolved in), else from
    `resolved_at` (default: ticket.resolved_at, so call this before clearing
    it). All recorded pauses are counted again in the policy's calendar."""
    ended, since = _pauses(ticket)
    since = _open_pause(ticket, since, resolved_at or ticket.resolved_at)
    paused = _working_seconds(ticket, [(since, now)]) if since is not None else 0
    _repause(ticket, ended)
    ticket.sla_paused_seconds += paused
    ticket.sla_paused_at = None
    _set_times(ticket, _targets(ticket))
    _save(ticket, ["sla_paused_at", "sla_paused_seconds", *SLA_TIME_FIELDS])
    _event(
        ticket,
        TicketEvent.Kind.SLA_RESUMED,
        now,
        reason=_resumed_reason(
            ticket,
            _("Reopened; the %(duration)s of working time it was resolved is not counted."),
            paused,
        ),
    )


# --- Warnings and breaches ------------------------------------------------------


def sla_record(
    *, ticket: Ticket, metric: str, kind: str, due_at: datetime, now: datetime
) -> tuple[SlaRecord, bool]:
    """Record a warning or breach of one target once (the unique constraint
    decides between concurrent writers); the timeline event is written only
    by the call that created the record. Returns (record, created)."""
    lookup = {"ticket": ticket, "metric": metric, "kind": kind}
    existing = SlaRecord.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            record = SlaRecord.objects.create(**lookup, due_at=due_at, recorded_at=now)
    except IntegrityError:  # another worker recorded it first
        return SlaRecord.objects.get(**lookup), False
    label = str(SlaRecord.Metric(metric).label)
    if kind == BREACH:
        event_kind = TicketEvent.Kind.SLA_BREACH
        reason = _("%(target)s was due %(time)s.")
    else:
        event_kind = TicketEvent.Kind.SLA_WARNING
        reason = _("%(target)s is due %(time)s.")
    reason %= {"target": label[:1].upper() + label[1:], "time": _local_text(due_at)}
    _event(ticket, event_kind, now, reason=reason, to_value=metric)
    return record, True


def _no_record(metric: str, kind: str):
    return ~Exists(SlaRecord.objects.filter(ticket=OuterRef("pk"), metric=metric, kind=kind))


def _watch_candidates(now: datetime):
    """Open, running clocks with a warning or due time passed and not yet recorded."""
    return Ticket.objects.filter(
        status__in=Ticket.OPEN_STATUSES, sla_paused_at__isnull=True
    ).filter(
        Q(
            first_response_warn_at__lte=now,
            first_response_due_at__gte=now,
            first_responded_at__isnull=True,
        )
        & _no_record(FIRST_RESPONSE, WARNING)
        | Q(first_response_due_at__lt=now, first_responded_at__isnull=True)
        & _no_record(FIRST_RESPONSE, BREACH)
        | Q(resolution_warn_at__lte=now, resolution_due_at__gte=now)
        & _no_record(RESOLUTION, WARNING)
        | Q(resolution_due_at__lt=now) & _no_record(RESOLUTION, BREACH)
    )


def _due_checks(ticket: Ticket, now: datetime) -> list[tuple[str, str, datetime]]:
    checks = []
    targets = [(RESOLUTION, ticket.resolution_due_at, ticket.resolution_warn_at)]
    if ticket.first_responded_at is None:
        targets.insert(
            0, (FIRST_RESPONSE, ticket.first_response_due_at, ticket.first_response_warn_at)
        )
    for metric, due, warn in targets:
        if due is None:
            continue
        if now > due:
            checks.append((metric, BREACH, due))
        elif warn is not None and warn <= now:
            checks.append((metric, WARNING, due))
    return checks


def _ticket_link(ticket: Ticket) -> str:
    from django.conf import settings

    try:
        path = reverse("aftersales:ticket-detail", args=[ticket.number])
    except NoReverseMatch:
        return ""
    return settings.SITE_URL.rstrip("/") + path


def _recipients(ticket: Ticket) -> list:
    if ticket.assignee_id is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    if ticket.team_id is None:
        return []
    return list(ticket.team.members.filter(is_active=True).order_by("pk"))


def _notify(ticket: Ticket, metric: str, kind: str, due: datetime) -> int:
    label = str(SlaRecord.Metric(metric).label)
    if kind == BREACH:
        subject = _("[%(number)s] SLA breached: %(target)s") % {
            "number": ticket.number,
            "target": label,
        }
        text = _("The %(target)s target of ticket %(number)s was due %(time)s and is overdue.")
    else:
        subject = _("[%(number)s] SLA due soon: %(target)s") % {
            "number": ticket.number,
            "target": label,
        }
        text = _("The %(target)s target of ticket %(number)s is due %(time)s.")
    body = text % {"target": label, "number": ticket.number, "time": _local_text(due)}
    body += "\n\n" + _("Subject: %(subject)s") % {"subject": ticket.subject}
    link = _ticket_link(ticket)
    if link:
        body += "\n" + link
    key = f"ticket:{ticket.pk}:sla:{metric}:{kind}"
    sent = 0
    recipients = _recipients(ticket)
    for user in recipients:
        # The assignee gets the cause's key; each team member their own.
        user_key = key if ticket.assignee_id == user.pk else f"{key}:{user.pk}"
        notification_send(
            key=user_key,
            channel="email",
            recipient=user.email,
            user=user,
            subject=subject,
            body=body,
        )
        sent += 1
    return sent


def _watch_one(ticket_id: int, now: datetime, counts: dict) -> None:
    with transaction.atomic():
        # A ticket another worker (or a ticket service call) holds is skipped:
        # that worker records it, or the next run does.
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(pk=ticket_id, status__in=Ticket.OPEN_STATUSES, sla_paused_at__isnull=True)
            .first()
        )
        if ticket is None:
            return
        flags = []
        for metric, kind, due in _due_checks(ticket, now):
            _record, created = sla_record(
                ticket=ticket, metric=metric, kind=kind, due_at=due, now=now
            )
            if kind == BREACH:
                flag = f"{metric}_breached"
                if not getattr(ticket, flag):
                    setattr(ticket, flag, True)
                    flags.append(flag)
            if not created:
                continue
            counts["breaches" if kind == BREACH else "warnings"] += 1
            counts["notifications"] += _notify(ticket, metric, kind, due)
        if flags:
            _save(ticket, flags)


def sla_watch(*, now: datetime | None = None) -> dict[str, int]:
    """Record every passed warning and due time of open, running clocks once,
    with a timeline event, the breached flag and a notice to the assignee (or
    the team when unassigned). Running it again (or twice at once) records
    and sends nothing more."""
    now = now or timezone.now()
    counts = {"tickets": 0, "warnings": 0, "breaches": 0, "notifications": 0}
    ids = list(_watch_candidates(now).order_by("pk").values_list("pk", flat=True))
    counts["tickets"] = len(ids)
    for ticket_id in ids:
        _watch_one(ticket_id, now, counts)
    return counts


# --- What a page shows --------------------------------------------------------------


def sla_remaining(ticket: Ticket, now: datetime | None = None) -> dict:
    """The next target that matters (first response until given, then
    resolution): {"metric", "due_at", "seconds_left" (wall clock, negative
    when overdue), "state"}; state is one of ok, due_soon, breached, paused,
    met (resolved in time) or none (no policy)."""
    now = now or timezone.now()
    result = {"metric": None, "due_at": None, "seconds_left": None, "state": "none"}
    if ticket.sla_policy_id is None:
        return result
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        result.update(
            metric=RESOLUTION,
            due_at=ticket.resolution_due_at,
            state="breached" if ticket.resolution_breached else "met",
        )
        return result
    responded = ticket.first_responded_at is not None
    result["metric"] = RESOLUTION if responded else FIRST_RESPONSE
    if ticket.sla_paused_at is not None:
        result["state"] = "paused"
        return result
    if responded:
        due, warn, breached = (
            ticket.resolution_due_at,
            ticket.resolution_warn_at,
            ticket.resolution_breached,
        )
    else:
        due, warn, breached = (
            ticket.first_response_due_at,
            ticket.first_response_warn_at,
            ticket.first_response_breached,
        )
    if due is None:
        result["state"] = "breached" if breached else "none"
        return result
    seconds_left = math.floor((due - now).total_seconds())
    if breached or now > due:
        state = "breached"
    elif warn is not None and now >= warn:
        state = "due_soon"
    else:
        state = "ok"
    result.update(due_at=due, seconds_left=seconds_left, state=state)
    return result
