"""Writes to SLA policies and service calendars (with their holidays and
make-up working days). Every rule is checked here, with the field it
concerns, so the API and the pages refuse the same things the same way;
the database constraints back them against concurrent writers."""

from datetime import date, time

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.models import BusinessCalendar, CalendarDay, SlaPolicy
from erp.core.errors import DomainError
from erp.core.updates import fields_update


class SlaInvalid(DomainError):
    status_code = 400
    code = "invalid"


class CalendarDayMissing(DomainError):
    status_code = 404
    code = "not_found"


# --- Policies ---------------------------------------------------------------------

POLICY_EDITABLE = {
    "name",
    "priority",
    "customer_tier",
    "first_response_minutes",
    "resolution_minutes",
    "calendar",
    "warn_at_percent",
    "active",
}


def _policy_check(values: dict, *, exclude_pk=None) -> None:
    if not str(values.get("name") or "").strip():
        raise SlaInvalid(_("A policy needs a name."), field="name")
    first, resolution = values["first_response_minutes"], values["resolution_minutes"]
    if first < 1:
        raise SlaInvalid(
            _("The first response target must be at least 1 minute."),
            field="first_response_minutes",
        )
    if resolution < first:
        raise SlaInvalid(
            _("The resolution target cannot be shorter than the first response target."),
            field="resolution_minutes",
        )
    if not 1 <= values["warn_at_percent"] <= 99:
        raise SlaInvalid(
            # xgettext:no-python-format
            _("The warning must come at 1 to 99 % of the target."),
            field="warn_at_percent",
        )
    if values["active"]:
        clash = SlaPolicy.objects.filter(
            active=True, priority=values["priority"], customer_tier=values["customer_tier"]
        ).exclude(pk=exclude_pk)
        if clash.exists():
            raise _policy_clash()


def _policy_clash() -> SlaInvalid:
    return SlaInvalid(
        _(
            "An active policy for this priority and customer tier exists already; "
            "set that one inactive first."
        ),
        field="priority",
    )


@transaction.atomic
def sla_policy_create(
    *,
    name: str,
    priority: str,
    first_response_minutes: int,
    resolution_minutes: int,
    calendar: BusinessCalendar,
    customer_tier: str = "",
    warn_at_percent: int = 80,
    active: bool = True,
) -> SlaPolicy:
    values = {
        "name": name.strip(),
        "priority": priority,
        "customer_tier": customer_tier or "",
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": resolution_minutes,
        "calendar": calendar,
        "warn_at_percent": warn_at_percent,
        "active": active,
    }
    _policy_check(values)
    try:
        with transaction.atomic():
            return SlaPolicy.objects.create(**values)
    except IntegrityError:  # the same priority and tier made active at the same moment
        raise _policy_clash() from None


@transaction.atomic
def sla_policy_update(*, policy: SlaPolicy, **changes) -> SlaPolicy:
    """Change a policy. Tickets keep the due times they have; the new targets
    apply to clocks started, resumed or recomputed from now on."""
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "customer_tier" in changes:
        changes["customer_tier"] = changes["customer_tier"] or ""
    values = {field: getattr(policy, field) for field in POLICY_EDITABLE}
    values.update({k: v for k, v in changes.items() if k in POLICY_EDITABLE})
    _policy_check(values, exclude_pk=policy.pk)
    try:
        with transaction.atomic():
            return fields_update(policy, changes, allowed=POLICY_EDITABLE)
    except IntegrityError:
        raise _policy_clash() from None


# --- Calendars ----------------------------------------------------------------------

CALENDAR_EDITABLE = {"name", "always_open", "working_days", "day_start", "day_end"}


def _weekdays(value) -> list[int]:
    try:
        days = sorted({int(day) for day in value or ()})
    except (TypeError, ValueError):
        days = [0]
    if any(not 1 <= day <= 7 for day in days):
        raise SlaInvalid(
            _("Working days are weekday numbers from 1 (Monday) to 7 (Sunday)."),
            field="working_days",
        )
    return days


def _calendar_check(values: dict) -> None:
    if not str(values.get("name") or "").strip():
        raise SlaInvalid(_("A calendar needs a name."), field="name")
    if values["always_open"]:
        return
    if not values["working_days"]:
        raise SlaInvalid(
            _("Choose at least one working day, or make the calendar 24x7."),
            field="working_days",
        )
    start: time = values["day_start"]
    end: time = values["day_end"]
    if end <= start:
        raise SlaInvalid(_("The working day must end after it starts."), field="day_end")


@transaction.atomic
def calendar_create(
    *,
    code: str,
    name: str,
    always_open: bool = False,
    working_days=(1, 2, 3, 4, 5),
    day_start: time = time(9, 0),
    day_end: time = time(18, 0),
) -> BusinessCalendar:
    code = code.strip().upper()
    if not code:
        raise SlaInvalid(_("A calendar needs a code."), field="code")
    if BusinessCalendar.objects.filter(code=code).exists():
        raise SlaInvalid(_("A calendar with this code exists already."), field="code")
    values = {
        "name": name.strip(),
        "always_open": always_open,
        "working_days": _weekdays(working_days),
        "day_start": day_start,
        "day_end": day_end,
    }
    _calendar_check(values)
    try:
        with transaction.atomic():
            return BusinessCalendar.objects.create(code=code, **values)
    except IntegrityError:
        raise SlaInvalid(_("A calendar with this code exists already."), field="code") from None


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, **changes) -> BusinessCalendar:
    """Change a calendar's week and hours. Open tickets keep their due times
    until their clocks are next resumed or recomputed."""
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "working_days" in changes:
        changes["working_days"] = _weekdays(changes["working_days"])
    values = {field: getattr(calendar, field) for field in CALENDAR_EDITABLE}
    values.update({k: v for k, v in changes.items() if k in CALENDAR_EDITABLE})
    _calendar_check(values)
    return fields_update(calendar, changes, allowed=CALENDAR_EDITABLE)


@transaction.atomic
def calendar_day_add(
    *, calendar: BusinessCalendar, date: date, working: bool = False, name: str = ""
) -> CalendarDay:
    """A holiday (working=False) or a make-up working day (working=True) that
    differs from the calendar's week; one entry per date."""
    if calendar.always_open:
        raise SlaInvalid(_("A 24x7 calendar has no holidays or make-up days."), field="date")
    if CalendarDay.objects.filter(calendar=calendar, date=date).exists():
        raise _day_exists(date)
    try:
        with transaction.atomic():
            return CalendarDay.objects.create(
                calendar=calendar, date=date, working=working, name=name.strip()
            )
    except IntegrityError:
        raise _day_exists(date) from None


def _day_exists(day: date) -> SlaInvalid:
    return SlaInvalid(
        _("%(date)s is in this calendar already.") % {"date": day.isoformat()}, field="date"
    )


@transaction.atomic
def calendar_day_remove(*, calendar: BusinessCalendar, date: date) -> None:
    deleted, _rows = CalendarDay.objects.filter(calendar=calendar, date=date).delete()
    if not deleted:
        raise CalendarDayMissing(
            _("%(date)s is not in this calendar.") % {"date": date.isoformat()}, field="date"
        )
