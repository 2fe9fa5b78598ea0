"""Report schedules: a report made on a timetable over a period relative to
the run, and mailed to a list of recipients. Each schedule owns a
django-celery-beat PeriodicTask (with its crontab), created, changed and
disabled with it in one transaction; beat calls analytics.report_scheduled,
which makes one report per schedule and due time (a unique constraint) and
mails it once (mailed_at is claimed before sending). Runs beat missed are
caught up by report_schedules_due (also the way schedules run without beat).
"""

import json
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analytics.models import Report, ReportSchedule
from analytics.reports.kinds import KINDS
from analytics.services.reports import (
    ReportInvalid,
    ReportRefused,
    check_kind_and_format,
    report_content_type,
    report_download_name,
    report_generate,
    report_parameter_labels,
    report_parameters_clean,
    report_place_parameters,
)
from erp.core.errors import DomainError
from erp.core.notifications import notification_send

SCHEDULED_TASK = "analytics.report_scheduled"


def _local(d: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(d, at))


def _previous_month_day(d: date, day: int) -> date:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).replace(day=day)


def schedule_last_due(schedule: ReportSchedule, now: datetime | None = None) -> datetime:
    """The latest run of the timetable at or before `now` (local time)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    at = schedule.at_time.replace(second=0, microsecond=0)
    F = ReportSchedule.Frequency
    if schedule.frequency == F.DAILY:
        due = _local(today, at)
        return due if due <= now else _local(today - timedelta(days=1), at)
    if schedule.frequency == F.WEEKLY:
        day = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
        due = _local(day, at)
        return due if due <= now else _local(day - timedelta(days=7), at)
    day = today.replace(day=schedule.month_day)
    if day > today:
        day = _previous_month_day(today, schedule.month_day)
    due = _local(day, at)
    return due if due <= now else _local(_previous_month_day(day, schedule.month_day), at)


def schedule_period(period: str, run_day: date) -> tuple[date, date]:
    """The dates a scheduled report covers when it runs on `run_day`."""
    P = ReportSchedule.Period
    yesterday = run_day - timedelta(days=1)
    if period == P.YESTERDAY:
        return yesterday, yesterday
    if period == P.LAST_7_DAYS:
        return run_day - timedelta(days=7), yesterday
    if period == P.LAST_30_DAYS:
        return run_day - timedelta(days=30), yesterday
    if period == P.LAST_WEEK:
        monday = run_day - timedelta(days=run_day.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if period == P.LAST_MONTH:
        last = run_day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return run_day.replace(day=1), run_day  # month to date


def _clean_recipients(recipients) -> list[str]:
    if isinstance(recipients, str):
        recipients = recipients.replace(";", ",").replace("\n", ",").split(",")
    cleaned: list[str] = []
    for raw in recipients or []:
        address = str(raw).strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ReportInvalid(
                _("%(address)s is not an e-mail address.") % {"address": address},
                field="recipients",
            ) from None
        if address.lower() not in {a.lower() for a in cleaned}:
            cleaned.append(address)
    if not cleaned:
        raise ReportInvalid(_("Give at least one e-mail address."), field="recipients")
    limit = settings.ANALYTICS_REPORT_MAX_RECIPIENTS
    if len(cleaned) > limit:
        raise ReportInvalid(
            _("At most %(limit)s recipients.") % {"limit": limit}, field="recipients"
        )
    return cleaned


SCHEDULE_FIELDS = (
    "name",
    "kind",
    "format",
    "period",
    "channel",
    "warehouse",
    "recipients",
    "frequency",
    "at_time",
    "weekday",
    "month_day",
    "language",
)


def _number(value) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _schedule_validate(owner, values: dict) -> dict:
    """Checked and normalised fields of a schedule (model field names)."""
    name = (values.get("name") or "").strip()
    if not name:
        raise ReportInvalid(_("Give the schedule a name."), field="name")
    kind, format = values.get("kind"), values.get("format")
    check_kind_and_format(kind, format)
    if not KINDS[kind].allowed(owner):
        raise ReportRefused(_("Your role may not request this kind of report."), field="kind")
    period = values.get("period") or ReportSchedule.Period.LAST_7_DAYS
    if period not in ReportSchedule.Period.values:
        raise ReportInvalid(_("Choose a period from the list."), field="period")
    frequency = values.get("frequency")
    if frequency not in ReportSchedule.Frequency.values:
        raise ReportInvalid(_("Choose daily, weekly or monthly."), field="frequency")
    at_time = values.get("at_time")
    if isinstance(at_time, str):
        try:
            at_time = time.fromisoformat(at_time)
        except ValueError:
            at_time = None
    if not isinstance(at_time, time):
        raise ReportInvalid(_("Give the time of day as HH:MM."), field="at_time")
    weekday = _number(values.get("weekday"))
    month_day = _number(values.get("month_day"))
    F = ReportSchedule.Frequency
    if frequency != F.WEEKLY:
        weekday = None
    elif weekday is None or not 0 <= weekday <= 6:
        raise ReportInvalid(_("Choose the day of the week."), field="weekday")
    if frequency != F.MONTHLY:
        month_day = None
    elif month_day is None or not 1 <= month_day <= 28:
        raise ReportInvalid(_("Choose a day of the month from 1 to 28."), field="month_day")
    parameters = report_place_parameters(kind=kind, raw=values)
    return {
        "name": name[:100],
        "kind": kind,
        "format": format,
        "period": period,
        "parameters": parameters,
        "recipients": _clean_recipients(values.get("recipients")),
        "frequency": frequency,
        "at_time": at_time.replace(second=0, microsecond=0),
        "weekday": weekday,
        "month_day": month_day,
        "language": values.get("language") or translation.get_language() or settings.LANGUAGE_CODE,
    }


def _crontab_fields(schedule: ReportSchedule) -> dict:
    # Cron counts the week from Sunday (0); the schedule from Monday (0).
    return {
        "minute": str(schedule.at_time.minute),
        "hour": str(schedule.at_time.hour),
        "day_of_week": "*" if schedule.weekday is None else str((schedule.weekday + 1) % 7),
        "day_of_month": "*" if schedule.month_day is None else str(schedule.month_day),
        "month_of_year": "*",
    }


def _sync_periodic_task(schedule: ReportSchedule) -> None:
    """Make the schedule's PeriodicTask (and its crontab) match it."""
    from zoneinfo import ZoneInfo

    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    fields = _crontab_fields(schedule)
    tz = ZoneInfo(settings.TIME_ZONE)
    crontab = CrontabSchedule.objects.filter(**fields, timezone=tz).order_by("pk").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**fields, timezone=tz)
    task = schedule.periodic_task or PeriodicTask(name=f"report-schedule-{schedule.pk}")
    old_crontab_id = task.crontab_id
    task.task = SCHEDULED_TASK
    task.kwargs = json.dumps({"schedule_id": schedule.pk})
    task.crontab = crontab
    task.interval = task.solar = task.clocked = None
    task.one_off = False
    task.enabled = schedule.enabled
    task.description = schedule.name
    task.save()  # save(), not update(): beat is told the schedule changed
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task", "updated_at"])
    if old_crontab_id and old_crontab_id != crontab.pk:
        CrontabSchedule.objects.filter(pk=old_crontab_id, periodictask__isnull=True).delete()


@transaction.atomic
def report_schedule_create(*, owner, enabled: bool = True, **values) -> ReportSchedule:
    """A new schedule and its PeriodicTask, in one transaction."""
    unknown = set(values) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    fields = _schedule_validate(owner, values)
    schedule = ReportSchedule.objects.create(
        owner=owner, enabled=enabled, active_since=timezone.now(), **fields
    )
    _sync_periodic_task(schedule)
    return schedule


@transaction.atomic
def report_schedule_update(*, schedule: ReportSchedule, actor, **changes) -> ReportSchedule:
    """Change a schedule; its PeriodicTask follows in the same transaction.
    The kind is checked against the owner's permissions (and the actor's,
    when an admin edits someone else's schedule)."""
    unknown = set(changes) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown schedule fields: {', '.join(sorted(unknown))}")
    schedule = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
    current = {
        name: getattr(schedule, name)
        for name in SCHEDULE_FIELDS
        if name not in ("channel", "warehouse")
    }
    current.update(
        channel=schedule.parameters.get("channel"), warehouse=schedule.parameters.get("warehouse")
    )
    current.update(changes)
    fields = _schedule_validate(schedule.owner, current)
    if actor is not None and actor != schedule.owner and not KINDS[fields["kind"]].allowed(actor):
        raise ReportRefused(_("Your role may not request this kind of report."), field="kind")
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.save()
    _sync_periodic_task(schedule)
    return schedule


@transaction.atomic
def report_schedule_set_enabled(*, schedule: ReportSchedule, enabled: bool) -> ReportSchedule:
    """Pause or resume a schedule (and its PeriodicTask). Runs missed while
    paused are not caught up."""
    schedule = ReportSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.enabled != enabled:
        schedule.enabled = enabled
        if enabled:
            schedule.active_since = timezone.now()
        schedule.save(update_fields=["enabled", "active_since", "updated_at"])
    _sync_periodic_task(schedule)
    return schedule


def _scheduled_report(schedule: ReportSchedule, due_at: datetime) -> Report:
    """The report of this run of the schedule: the one made already, or a
    new one (one per schedule and due time, by a unique constraint)."""
    existing = Report.objects.filter(schedule=schedule, due_at=due_at).first()
    if existing is not None:
        return existing
    date_from, date_to = schedule_period(schedule.period, timezone.localdate(due_at))
    raw = {
        **schedule.parameters,
        "date_from": date_from,
        "date_to": date_to,
        "period": schedule.period,
    }
    fields = {
        "kind": schedule.kind,
        "format": schedule.format,
        "language": schedule.language,
        "requested_by": schedule.owner,
        "schedule": schedule,
        "due_at": due_at,
    }
    try:
        fields["parameters"] = report_parameters_clean(kind=schedule.kind, raw=raw)
    except DomainError as exc:  # a warehouse or channel gone: a failed run, on record
        fields.update(
            parameters={"period": schedule.period},
            status=Report.Status.FAILED,
            error=exc.message,
            finished_at=timezone.now(),
        )
    try:
        with transaction.atomic():
            return Report.objects.create(**fields)
    except IntegrityError:  # another worker made it first
        return Report.objects.get(schedule=schedule, due_at=due_at)


def report_schedule_run(
    *, schedule_id: int, due_at: datetime | None = None, now: datetime | None = None
) -> Report | None:
    """One run of a schedule: its report for the due time, generated and
    mailed to the recipients. Safe when beat fires twice: the second run
    finds the report of that due time made (or being made) and mailed."""
    schedule = ReportSchedule.objects.select_related("owner").filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        return None
    due_at = due_at or schedule_last_due(schedule, now)
    report = _scheduled_report(schedule, due_at)
    report = report_generate(report_id=report.pk)
    if report.status == Report.Status.DONE:
        report_mail(report=report)
    elif report.status == Report.Status.FAILED:
        _failure_notice(report)
    return report


def _report_url(report: Report) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("analytics:report-detail", args=[report.pk])


def report_mail(*, report: Report) -> bool:
    """Mail a scheduled report to its recipients, once: the send is claimed
    by setting mailed_at; a mail server failure releases the claim so a
    retry sends it. The file is attached unless larger than
    ANALYTICS_REPORT_MAIL_MAX_BYTES (then the mail links to it)."""
    now = timezone.now()
    claimed = Report.objects.filter(
        pk=report.pk, status=Report.Status.DONE, mailed_at__isnull=True
    ).update(mailed_at=now)
    if not claimed:
        return False
    report = Report.objects.select_related("schedule").get(pk=report.pk)
    schedule = report.schedule
    try:
        with translation.override(report.language):
            labels = report_parameter_labels(report.parameters)
            attach = (report.file_size or 0) <= settings.ANALYTICS_REPORT_MAIL_MAX_BYTES
            lines = [
                f"{schedule.name if schedule else report.get_kind_display()}",
                f"{_('kind')}: {report.get_kind_display()}",
                *(f"{label}: {value}" for label, value in labels),
                f"{_('rows')}: {report.row_count}",
                "",
                _("The report is attached.")
                if attach
                else _("The file is too large to attach; download it here:"),
                _report_url(report),
            ]
            name = schedule.name if schedule else report.get_kind_display()
            subject = f"{name} {timezone.localtime(report.due_at or report.created_at):%Y-%m-%d}"
            message = EmailMessage(
                subject=subject[:200],
                body="\n".join(lines),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=list(schedule.recipients if schedule else []),
            )
            if attach:
                with report.file.open("rb") as handle:
                    message.attach(
                        report_download_name(report), handle.read(), report_content_type(report)
                    )
            message.send()
    except Exception:
        Report.objects.filter(pk=report.pk).update(mailed_at=None)
        raise
    return True


def _failure_notice(report: Report) -> None:
    owner = report.schedule.owner if report.schedule else report.requested_by
    if owner is None or not owner.email:
        return
    with translation.override(report.language):
        notification_send(
            key=f"report:{report.pk}:failed",
            channel="email",
            recipient=owner.email,
            user=owner,
            subject=_("Scheduled report failed: %(name)s") % {"name": report.schedule.name},
            body="\n".join([report.error, _report_url(report)]),
        )


def report_schedules_due(*, now: datetime | None = None) -> dict:
    """Runs of enabled schedules due in the last ANALYTICS_REPORT_CATCH_UP_HOURS
    that have no report yet: beat missed them (down, restarted) or there is no
    beat at all (the embedded default runs this through run_due_jobs); and
    reports made but not mailed, mailed now."""
    from analytics.tasks import report_scheduled

    now = now or timezone.now()
    horizon = now - timedelta(hours=settings.ANALYTICS_REPORT_CATCH_UP_HOURS)
    started = 0
    for schedule in ReportSchedule.objects.filter(enabled=True).order_by("pk"):
        due = schedule_last_due(schedule, now)
        if due < schedule.active_since or due < horizon:
            continue
        report = Report.objects.filter(schedule=schedule, due_at=due).first()
        # Made already - unless done and not mailed (the mail server was down).
        if report is not None and not (report.status == "done" and report.mailed_at is None):
            continue
        report_scheduled.delay(schedule_id=schedule.pk, due_at=due.isoformat())
        started += 1
    return {"started": started}
