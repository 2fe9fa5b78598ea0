"""The SLA engine with a frozen clock: policies, due and warning times,
pause and resume, priority changes, first response, resolution, reopening,
and the watch recording each warning and breach once."""

import secrets
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from aftersales.models import (
    BusinessCalendar,
    CalendarDay,
    SlaPolicy,
    SlaRecord,
    Ticket,
    TicketEvent,
)
from aftersales.services.sla import (
    sla_first_response,
    sla_pause,
    sla_recompute,
    sla_remaining,
    sla_reopen,
    sla_resume,
    sla_start,
    sla_stop,
    sla_watch,
)
from aftersales.tasks import watch_sla
from crm.models import Customer
from erp.core.models import Notification
from tests.aftersales.conftest import shanghai
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    return BusinessCalendar.objects.create(
        code="OFFICE", name="办公时间", working_days=[1, 2, 3, 4, 5]
    )


@pytest.fixture
def policies(office):
    """normal: first response 2 h, resolution 8 h; urgent: 30 min and 1 h;
    VIP normal: 1 h and 4 h around the clock. All warn at 80 %."""
    always = BusinessCalendar.objects.create(code="24X7", name="全天候", always_open=True)
    return {
        "normal": SlaPolicy.objects.create(
            name="普通",
            priority="normal",
            first_response_minutes=120,
            resolution_minutes=480,
            calendar=office,
        ),
        "urgent": SlaPolicy.objects.create(
            name="紧急",
            priority="urgent",
            first_response_minutes=30,
            resolution_minutes=60,
            calendar=office,
        ),
        "vip": SlaPolicy.objects.create(
            name="VIP",
            priority="normal",
            customer_tier="vip",
            first_response_minutes=60,
            resolution_minutes=240,
            calendar=always,
        ),
    }


def open_ticket(now, *, priority="normal", tier=Customer.Tier.STANDARD, **fields):
    """A ticket created straight in the table, its clock started at `now`."""
    ticket = Ticket.objects.create(
        number=f"T{secrets.token_hex(4)}",
        subject="茶叶罐破损",
        customer=CustomerFactory(tier=tier),
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        priority=priority,
        **fields,
    )
    sla_start(ticket=ticket, now=now)
    return ticket


def reload(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def sla_events(ticket, kind):
    return TicketEvent.objects.filter(ticket=ticket, kind=kind).count()


# --- Start: the policy and the times ------------------------------------------


def test_friday_five_pm_with_a_two_hour_target_is_due_monday_ten(frozen_clock, policies):
    now = frozen_clock.set(2026, 11, 27, 17, 0)
    ticket = reload(open_ticket(now))
    assert ticket.sla_policy == policies["normal"]
    assert ticket.sla_started_at == now
    assert ticket.first_response_due_at == shanghai(2026, 11, 30, 10, 0)
    # 80 % of 2 h = 96 min: 60 on Friday, 36 on Monday.
    assert ticket.first_response_warn_at == shanghai(2026, 11, 30, 9, 36)
    # 8 h: 1 on Friday, 7 on Monday; warning at 6.4 h.
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 16, 0)
    assert ticket.resolution_warn_at == shanghai(2026, 11, 30, 14, 24)


def test_a_holiday_monday_moves_the_due_time_to_tuesday(frozen_clock, policies, office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 30), name="假日")
    ticket = reload(open_ticket(frozen_clock.set(2026, 11, 27, 17, 0)))
    assert ticket.first_response_due_at == shanghai(2026, 12, 1, 10, 0)


def test_a_make_up_saturday_counts(frozen_clock, policies, office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 28), working=True, name="调休")
    ticket = reload(open_ticket(frozen_clock.set(2026, 11, 27, 17, 0)))
    assert ticket.first_response_due_at == shanghai(2026, 11, 28, 10, 0)


def test_a_tier_policy_wins_and_may_run_24x7(frozen_clock, policies):
    now = frozen_clock.set(2026, 11, 27, 17, 0)
    ticket = reload(open_ticket(now, tier=Customer.Tier.VIP))
    assert ticket.sla_policy == policies["vip"]
    assert ticket.first_response_due_at == shanghai(2026, 11, 27, 18, 0)
    assert ticket.resolution_due_at == shanghai(2026, 11, 27, 21, 0)
    # A gold customer has no gold policy: the priority's policy for any tier.
    gold = reload(open_ticket(now, tier=Customer.Tier.GOLD))
    assert gold.sla_policy == policies["normal"]


def test_inactive_policies_do_not_apply(frozen_clock, policies):
    SlaPolicy.objects.filter(pk=policies["vip"].pk).update(active=False)
    ticket = reload(open_ticket(frozen_clock.now, tier=Customer.Tier.VIP))
    assert ticket.sla_policy == policies["normal"]


def test_without_a_policy_nothing_is_due_and_nothing_raises(frozen_clock, policies):
    now = frozen_clock.now
    ticket = open_ticket(now, priority="low")
    sla_pause(ticket=ticket, now=frozen_clock.advance(hours=1))
    sla_resume(ticket=ticket, now=frozen_clock.advance(hours=1))
    sla_recompute(ticket=ticket, now=frozen_clock.now)
    sla_first_response(ticket=ticket, now=frozen_clock.advance(hours=1))
    sla_stop(ticket=ticket, now=frozen_clock.advance(days=30))
    ticket = reload(ticket)
    assert ticket.sla_policy is None
    assert ticket.sla_started_at == now
    assert [ticket.first_response_due_at, ticket.resolution_due_at] == [None, None]
    assert not ticket.first_response_breached and not ticket.resolution_breached
    assert sla_remaining(ticket)["state"] == "none"
    assert sla_watch(now=frozen_clock.advance(days=60))["breaches"] == 0
    assert not SlaRecord.objects.exists()


# --- Pause and resume --------------------------------------------------------------


def test_pause_clears_due_times_and_resume_shifts_them_by_the_paused_working_time(
    frozen_clock, policies
):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    assert reload(ticket).first_response_due_at == shanghai(2026, 11, 27, 12, 0)
    assert reload(ticket).resolution_due_at == shanghai(2026, 11, 27, 18, 0)

    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    paused = reload(ticket)
    assert paused.sla_paused_at == shanghai(2026, 11, 27, 11, 0)
    assert [getattr(paused, f) for f in ("first_response_due_at", "resolution_due_at")] == [
        None,
        None,
    ]
    assert sla_remaining(paused)["state"] == "paused"
    assert sla_events(ticket, TicketEvent.Kind.SLA_PAUSED) == 1
    sla_pause(ticket=ticket, now=frozen_clock.advance(hours=1))  # pausing again: nothing
    assert reload(ticket).sla_paused_at == shanghai(2026, 11, 27, 11, 0)

    # Back on Monday 10:00: 7 h on Friday + 1 h on Monday of working time paused.
    with translation.override("en"):
        sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 10, 0))
    ticket = reload(ticket)
    assert ticket.sla_paused_at is None
    assert ticket.sla_paused_seconds == 8 * 3600
    # 1 h of the first-response target and 7 h of the resolution target were left.
    assert ticket.first_response_due_at == shanghai(2026, 11, 30, 11, 0)
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 17, 0)
    resumed = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.SLA_RESUMED)
    assert resumed.reason == "Paused for 8h 0m of working time."

    # A second pause adds up.
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 10, 30))
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 11, 0))
    ticket = reload(ticket)
    assert ticket.sla_paused_seconds == 8 * 3600 + 1800
    assert ticket.first_response_due_at == shanghai(2026, 11, 30, 11, 30)


def test_resume_without_a_pause_changes_nothing(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)
    before = reload(ticket).first_response_due_at
    sla_resume(ticket=ticket, now=frozen_clock.advance(hours=3))
    assert reload(ticket).first_response_due_at == before
    assert sla_events(ticket, TicketEvent.Kind.SLA_RESUMED) == 0


def test_the_watch_never_breaches_a_paused_ticket(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now, status=Ticket.Status.WAITING_CUSTOMER)
    sla_pause(ticket=ticket, now=frozen_clock.advance(minutes=10))
    result = sla_watch(now=frozen_clock.advance(days=20))
    assert result["breaches"] == result["warnings"] == 0
    assert not SlaRecord.objects.exists()
    assert not reload(ticket).resolution_breached


# --- Priority change ------------------------------------------------------------------


def test_a_priority_change_recomputes_from_the_start(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00, normal: resolution at 18:00
    assert reload(ticket).resolution_due_at == shanghai(2026, 11, 27, 18, 0)
    frozen_clock.set(2026, 11, 27, 10, 20)
    ticket.priority = "urgent"
    ticket.save(update_fields=["priority"])
    sla_recompute(ticket=ticket, now=frozen_clock.now)
    ticket = reload(ticket)
    assert ticket.sla_policy == policies["urgent"]
    assert ticket.first_response_due_at == shanghai(2026, 11, 27, 10, 30)
    assert ticket.resolution_due_at == shanghai(2026, 11, 27, 11, 0)
    assert ticket.resolution_warn_at == shanghai(2026, 11, 27, 10, 48)

    ticket.priority = "normal"
    ticket.save(update_fields=["priority"])
    sla_recompute(ticket=ticket, now=frozen_clock.now)
    assert reload(ticket).resolution_due_at == shanghai(2026, 11, 27, 18, 0)


def test_a_priority_change_while_paused_waits_for_the_resume(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 10))
    ticket.priority = "urgent"
    ticket.save(update_fields=["priority"])
    sla_recompute(ticket=ticket, now=frozen_clock.now)
    paused = reload(ticket)
    assert paused.sla_policy == policies["urgent"]
    assert paused.resolution_due_at is None
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 10))
    # Urgent: 60 min from 10:00, plus the hour paused.
    assert reload(ticket).resolution_due_at == shanghai(2026, 11, 27, 12, 0)


# --- Priority change: the pauses are measured in the new policy's calendar ------------


@pytest.fixture
def urgent_around_the_clock(policies):
    """Urgent becomes 24x7: first response 1 h, resolution 8 h (warn at 80 %)."""
    urgent = policies["urgent"]
    urgent.calendar = BusinessCalendar.objects.get(code="24X7")
    urgent.first_response_minutes, urgent.resolution_minutes = 60, 480
    urgent.save()
    return urgent


def change_priority(ticket, priority, now):
    ticket.priority = priority
    ticket.save(update_fields=["priority"])
    sla_recompute(ticket=ticket, now=now)
    return reload(ticket)


def test_a_weekend_pause_counts_in_hours_around_the_clock_after_a_raise_to_urgent(
    frozen_clock, policies, urgent_around_the_clock
):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00, normal: office hours
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 11, 0))
    ticket = reload(ticket)
    assert ticket.sla_paused_seconds == 9 * 3600  # Friday 11-18 and Monday 9-11
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 18, 0)

    # Raised at Monday 11:05. Around the clock the pause lasted 72 h, not 9:
    # 8 h from Friday 10:00 plus 72 h is Monday 18:00 (not Saturday 03:00).
    ticket = change_priority(ticket, "urgent", frozen_clock.set(2026, 11, 30, 11, 5))
    assert ticket.sla_policy == urgent_around_the_clock
    assert ticket.sla_paused_seconds == 72 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 18, 0)
    assert ticket.resolution_warn_at == shanghai(2026, 11, 30, 16, 24)  # 6 h 24 m run
    assert sla_remaining(ticket, frozen_clock.now)["state"] == "ok"
    assert sla_watch(now=frozen_clock.advance(minutes=5)) == {
        "tickets": 0,
        "warnings": 0,
        "breaches": 0,
        "notifications": 0,
    }
    assert not reload(ticket).resolution_breached

    # And back: office hours again, the pause is 9 working hours again.
    ticket = change_priority(ticket, "normal", frozen_clock.now)
    assert ticket.sla_paused_seconds == 9 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 18, 0)
    assert ticket.resolution_warn_at == shanghai(2026, 11, 30, 16, 24)


def test_a_pause_across_a_holiday_is_counted_again_at_each_priority_change(
    frozen_clock, policies, office, urgent_around_the_clock
):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 30), name="假日")
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 12, 1, 10, 0))
    ticket = reload(ticket)
    # Office hours: Friday 11-18 and Tuesday 9-10; Monday is a holiday.
    assert ticket.sla_paused_seconds == 8 * 3600
    # 7 h of the 8 were left: Tuesday 10:00 to 17:00.
    assert ticket.resolution_due_at == shanghai(2026, 12, 1, 17, 0)

    # Urgent, around the clock: Friday 11:00 to Tuesday 10:00 is 95 h, and
    # the 7 h left run from 10:00; half an hour of them has passed.
    ticket = change_priority(ticket, "urgent", frozen_clock.set(2026, 12, 1, 10, 30))
    assert ticket.sla_paused_seconds == 95 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 12, 1, 17, 0)
    urgent_around_the_clock.resolution_minutes = 240  # a 4 h target: 3 h were left
    urgent_around_the_clock.save()
    ticket = change_priority(ticket, "normal", frozen_clock.now)
    ticket = change_priority(ticket, "urgent", frozen_clock.now)
    assert ticket.resolution_due_at == shanghai(2026, 12, 1, 13, 0)
    assert sla_watch(now=frozen_clock.set(2026, 12, 1, 12, 59))["breaches"] == 0

    # Back to normal: the holiday counts for nothing again.
    ticket = change_priority(ticket, "normal", frozen_clock.now)
    assert ticket.sla_paused_seconds == 8 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 12, 1, 17, 0)


def test_a_priority_change_while_paused_counts_earlier_pauses_in_the_new_calendar(
    frozen_clock, policies, urgent_around_the_clock
):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 17, 0))
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 9, 0))  # 1 office hour
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 10, 0))
    ticket = change_priority(ticket, "urgent", frozen_clock.set(2026, 11, 30, 10, 30))
    assert ticket.sla_paused_seconds == 64 * 3600  # the ended pause, around the clock
    assert ticket.resolution_due_at is None  # still paused
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 11, 0))
    ticket = reload(ticket)
    assert ticket.sla_paused_seconds == 65 * 3600
    # Run: Friday 10-17 and Monday 9-10, 8 h: due as the clock resumes.
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 11, 0)


def test_the_time_resolved_counts_in_the_new_calendar_after_a_reopen(
    frozen_clock, policies, urgent_around_the_clock
):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    ticket.status, ticket.resolved_at = Ticket.Status.RESOLVED, frozen_clock.set(2026, 11, 27, 14)
    sla_stop(ticket=ticket, now=frozen_clock.now)
    assert sla_events(ticket, TicketEvent.Kind.SLA_PAUSED) == 1
    ticket.status = Ticket.Status.REOPENED
    sla_reopen(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 11, 0))
    ticket.resolved_at = None
    ticket.save(update_fields=["status", "resolved_at"])
    assert reload(ticket).sla_paused_seconds == 6 * 3600  # office hours
    # Around the clock Friday 14:00 to Monday 11:00 is 69 h: 4 h were left.
    ticket = change_priority(reload(ticket), "urgent", frozen_clock.advance(minutes=30))
    assert ticket.sla_paused_seconds == 69 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 15, 0)
    ticket = change_priority(ticket, "normal", frozen_clock.now)
    assert ticket.sla_paused_seconds == 6 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 15, 0)


def test_paused_then_resolved_then_reopened_counts_both_spells_in_one(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 16, 0))
    ticket.status, ticket.resolved_at = Ticket.Status.RESOLVED, frozen_clock.set(2026, 11, 27, 17)
    sla_stop(ticket=ticket, now=frozen_clock.now)
    assert reload(ticket).sla_paused_seconds == 3600
    ticket.status = Ticket.Status.REOPENED
    sla_reopen(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 10, 0))
    ticket.resolved_at = None
    ticket.save(update_fields=["status", "resolved_at"])
    # Friday 16-18 and Monday 9-10; 2 of the 8 h were left.
    ticket = change_priority(reload(ticket), "normal", frozen_clock.now)
    assert ticket.sla_paused_seconds == 3 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 12, 0)


def test_a_pause_before_the_ticket_had_a_policy_counts_once_it_has_one(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now, priority="low")  # Friday 10:00, no policy
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    sla_resume(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 15, 0))
    assert reload(ticket).sla_paused_seconds == 0
    ticket = change_priority(reload(ticket), "normal", frozen_clock.set(2026, 11, 27, 15, 30))
    assert ticket.sla_paused_seconds == 4 * 3600
    # 8 h from 10:00 plus the 4 h paused: Friday 18:00 and 4 h on Monday.
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 13, 0)


def test_the_ticket_services_measure_the_pause_in_the_new_calendar(
    frozen_clock, policies, urgent_around_the_clock, service_desk
):
    from aftersales.services.tickets import (
        ticket_create,
        ticket_priority_change,
        ticket_reply,
        ticket_transition,
    )

    ann = service_desk["ann"]
    ticket = ticket_create(
        customer=CustomerFactory(),
        subject="茶叶罐破损",
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.PHONE,
        description="罐子压扁了",
    )  # Friday 10:00
    frozen_clock.set(2026, 11, 27, 10, 30)
    ticket_reply(ticket=ticket, body="请发照片", actor=ann)
    frozen_clock.set(2026, 11, 27, 11, 0)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.WAITING_CUSTOMER, actor=ann)
    frozen_clock.set(2026, 11, 30, 11, 0)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.IN_PROGRESS, actor=ann)
    frozen_clock.set(2026, 11, 30, 11, 5)
    ticket = ticket_priority_change(ticket=ticket, priority="urgent", actor=ann)
    ticket = reload(ticket)
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 18, 0)
    assert sla_watch(now=frozen_clock.advance(minutes=5))["breaches"] == 0
    assert sla_remaining(ticket, frozen_clock.now)["state"] == "ok"


# --- First response -------------------------------------------------------------------


def test_a_first_response_in_time_is_not_a_breach_and_counts_once(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # due 12:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 13, 0))
    ticket = reload(ticket)
    assert ticket.first_responded_at == shanghai(2026, 11, 27, 11, 0)
    assert ticket.first_response_due_at is None and ticket.first_response_warn_at is None
    assert not ticket.first_response_breached
    assert sla_remaining(ticket)["metric"] == "resolution"
    assert not SlaRecord.objects.filter(metric="first_response").exists()


def test_a_first_response_after_the_due_time_is_a_breach(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # due 12:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 12, 5))
    ticket = reload(ticket)
    assert ticket.first_response_breached
    record = SlaRecord.objects.get(ticket=ticket, metric="first_response", kind="breach")
    assert record.due_at == shanghai(2026, 11, 27, 12, 0)
    assert record.recorded_at == shanghai(2026, 11, 27, 12, 5)
    assert sla_events(ticket, TicketEvent.Kind.SLA_BREACH) == 1
    # The watch finds nothing more to record for it.
    assert sla_watch(now=frozen_clock.advance(minutes=5))["breaches"] == 0
    assert SlaRecord.objects.filter(ticket=ticket, kind="breach").count() == 1


def test_a_breach_the_watch_recorded_is_not_recorded_again_at_the_response(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)
    assert sla_watch(now=frozen_clock.set(2026, 11, 27, 12, 1))["breaches"] == 1
    sla_first_response(ticket=reload(ticket), now=frozen_clock.advance(minutes=30))
    assert (
        SlaRecord.objects.filter(ticket=ticket, metric="first_response", kind="breach").count() == 1
    )
    assert sla_events(ticket, TicketEvent.Kind.SLA_BREACH) == 1
    assert reload(ticket).first_response_breached


# --- The watch --------------------------------------------------------------------------


def test_warning_and_breach_are_each_recorded_and_notified_once(
    frozen_clock, policies, service_desk, django_capture_on_commit_callbacks
):
    ann = service_desk["ann"]
    ticket = open_ticket(frozen_clock.now, assignee=ann, team=service_desk["general"])
    # First response due 12:00, warning at 80 % = 11:36.
    frozen_clock.set(2026, 11, 27, 11, 30)
    assert sla_watch()["warnings"] == 0

    frozen_clock.set(2026, 11, 27, 11, 40)
    with django_capture_on_commit_callbacks(execute=True):
        first = sla_watch()
        second = sla_watch()
    assert (first["warnings"], first["notifications"]) == (1, 1)
    assert (second["warnings"], second["notifications"]) == (0, 0)
    warning = SlaRecord.objects.get(ticket=ticket, metric="first_response", kind="warning")
    assert warning.due_at == shanghai(2026, 11, 27, 12, 0)
    assert sla_events(ticket, TicketEvent.Kind.SLA_WARNING) == 1
    assert sla_remaining(reload(ticket))["state"] == "due_soon"
    notice = Notification.objects.get(key=f"ticket:{ticket.pk}:sla:first_response:warning")
    assert notice.user == ann and notice.recipient == "ann@example.com"
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert ticket.number in mail.outbox[0].subject

    frozen_clock.set(2026, 11, 27, 12, 1)
    with django_capture_on_commit_callbacks(execute=True):
        first = sla_watch()
        second = sla_watch()
    assert (first["breaches"], first["notifications"]) == (1, 1)
    assert second == {"tickets": 0, "warnings": 0, "breaches": 0, "notifications": 0}
    assert SlaRecord.objects.filter(ticket=ticket).count() == 2
    assert sla_events(ticket, TicketEvent.Kind.SLA_BREACH) == 1
    assert reload(ticket).first_response_breached
    assert not reload(ticket).resolution_breached
    assert len(mail.outbox) == 2

    # Resolution (due 18:00): warning at 16:24, breach after 18:00, each once.
    sla_first_response(ticket=reload(ticket), now=frozen_clock.now)
    for moment in [(16, 30), (16, 31), (18, 1), (18, 2), (23, 0)]:
        sla_watch(now=frozen_clock.set(2026, 11, 27, *moment))
    kinds = set(SlaRecord.objects.filter(ticket=ticket).values_list("metric", "kind"))
    assert kinds == {
        ("first_response", "warning"),
        ("first_response", "breach"),
        ("resolution", "warning"),
        ("resolution", "breach"),
    }
    assert reload(ticket).resolution_breached
    assert Notification.objects.filter(key__startswith=f"ticket:{ticket.pk}:sla:").count() == 4


def test_an_unassigned_ticket_notifies_every_member_of_its_team_once(
    frozen_clock, policies, service_desk
):
    ticket = open_ticket(frozen_clock.now, team=service_desk["general"])
    sla_watch(now=frozen_clock.set(2026, 11, 27, 12, 1))
    sla_watch(now=frozen_clock.advance(minutes=5))
    notices = Notification.objects.filter(key__startswith=f"ticket:{ticket.pk}:sla:first_response")
    assert sorted(n.recipient for n in notices) == ["ann@example.com", "bob@example.com"]


def test_a_warning_and_breach_both_past_record_only_the_breach(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)
    sla_watch(now=frozen_clock.set(2026, 11, 27, 12, 30))
    assert list(SlaRecord.objects.filter(ticket=ticket).values_list("metric", "kind")) == [
        ("first_response", "breach")
    ]


def test_the_watch_ignores_resolved_and_closed_tickets(frozen_clock, policies):
    resolved = open_ticket(frozen_clock.now, status=Ticket.Status.RESOLVED)
    closed = open_ticket(frozen_clock.now, status=Ticket.Status.CLOSED)
    sla_watch(now=frozen_clock.advance(days=10))
    assert not SlaRecord.objects.filter(ticket__in=[resolved, closed]).exists()


def test_the_task_runs_the_watch_and_is_a_periodic_job(frozen_clock, policies, capsys):
    ticket = open_ticket(frozen_clock.now)
    frozen_clock.set(2026, 11, 27, 12, 1)
    assert watch_sla.delay().get()["breaches"] == 1
    assert watch_sla.delay().get()["breaches"] == 0
    assert SlaRecord.objects.filter(ticket=ticket, kind="breach").count() == 1
    call_command("run_due_jobs", "--list")
    listed = capsys.readouterr().out
    assert "watch-ticket-sla\taftersales.watch_sla" in listed


def test_the_watch_is_routed_to_the_alerts_queue():
    from erp.celery import app

    route = app.amqp.router.route({}, "aftersales.watch_sla")
    assert route["queue"].name == "alerts"


# --- Resolution and reopening -------------------------------------------------------------


def test_resolved_in_time_is_met_and_late_is_a_breach(frozen_clock, policies):
    on_time = open_ticket(frozen_clock.now)
    late = open_ticket(frozen_clock.now)
    for ticket in (on_time, late):
        sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 11, 0))
    on_time.status = Ticket.Status.RESOLVED
    sla_stop(ticket=on_time, now=frozen_clock.set(2026, 11, 27, 17, 0))
    late.status = Ticket.Status.RESOLVED
    sla_stop(ticket=late, now=frozen_clock.set(2026, 11, 30, 9, 30))
    on_time, late = reload(on_time), reload(late)
    assert not on_time.resolution_breached
    assert on_time.resolution_due_at == shanghai(2026, 11, 27, 18, 0)  # kept for reports
    assert on_time.resolution_warn_at is None
    assert late.resolution_breached
    assert SlaRecord.objects.filter(ticket=late, metric="resolution", kind="breach").count() == 1
    assert not SlaRecord.objects.filter(ticket=on_time).exists()
    on_time.status = late.status = Ticket.Status.RESOLVED
    assert sla_remaining(on_time)["state"] == "met"
    assert sla_remaining(late)["state"] == "breached"


def test_resolving_while_paused_counts_the_pause(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # resolution due Friday 18:00
    sla_first_response(ticket=ticket, now=frozen_clock.advance(minutes=10))
    sla_pause(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 17, 0))
    sla_stop(ticket=ticket, now=frozen_clock.set(2026, 12, 2, 9, 0))
    ticket = reload(ticket)
    assert ticket.sla_paused_at is None
    assert not ticket.resolution_breached
    assert ticket.resolution_due_at == shanghai(2026, 12, 2, 10, 0)


def test_a_reopened_ticket_does_not_count_the_time_it_was_resolved(frozen_clock, policies):
    ticket = open_ticket(frozen_clock.now)  # Friday 10:00, resolution due 18:00
    sla_first_response(ticket=ticket, now=frozen_clock.set(2026, 11, 27, 10, 30))
    ticket.status, ticket.resolved_at = Ticket.Status.RESOLVED, frozen_clock.set(2026, 11, 27, 14)
    sla_stop(ticket=ticket, now=frozen_clock.now)
    # Reopened Monday 11:00: Friday 14-18 and Monday 9-11 (6 h) are not counted.
    ticket.status = Ticket.Status.REOPENED
    sla_reopen(ticket=ticket, now=frozen_clock.set(2026, 11, 30, 11, 0))
    ticket.resolved_at = None
    ticket.save(update_fields=["status", "resolved_at"])
    ticket = reload(ticket)
    assert ticket.sla_paused_seconds == 6 * 3600
    assert ticket.resolution_due_at == shanghai(2026, 11, 30, 15, 0)  # the 4 h left
    assert ticket.resolution_warn_at == shanghai(2026, 11, 30, 13, 24)
    assert sla_events(ticket, TicketEvent.Kind.SLA_RESUMED) == 1
    assert sla_watch(now=frozen_clock.set(2026, 11, 30, 15, 1))["breaches"] == 1


# --- What pages show ------------------------------------------------------------------------


def test_remaining_time_states(frozen_clock, policies):
    ticket = reload(open_ticket(frozen_clock.now))  # first response due 12:00, warn 11:36
    ok = sla_remaining(ticket, shanghai(2026, 11, 27, 10, 0))
    assert ok == {
        "metric": "first_response",
        "due_at": shanghai(2026, 11, 27, 12, 0),
        "seconds_left": 7200,
        "state": "ok",
    }
    assert sla_remaining(ticket, shanghai(2026, 11, 27, 11, 40))["state"] == "due_soon"
    late = sla_remaining(ticket, shanghai(2026, 11, 27, 12, 35))
    assert (late["state"], late["seconds_left"]) == ("breached", -35 * 60)
