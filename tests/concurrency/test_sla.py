"""The SLA watch run by several workers at once records each warning and
breach once, with one timeline event and one notice per person (PostgreSQL).
The negative control runs the same sla_watch without its ticket lock and
with a check-then-insert writer instead of sla_record: the timeline, the
counts and the notices double; with either guard left in place they do not."""

import secrets
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from aftersales.models import BusinessCalendar, SlaPolicy, SlaRecord, Ticket, TicketEvent
from aftersales.services import sla
from aftersales.services.sla import sla_start, sla_watch
from aftersales.services.teams import team_create
from erp.core.models import Notification
from tests.concurrency.test_stock_race import run_concurrently as run_all
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
TICKETS = 30


def run_concurrently(target, n=WORKERS):
    return run_all(target, n)


@pytest.fixture
def overdue():
    """TICKETS tickets whose first response was due an hour ago: half assigned
    to ann, half unassigned in a team of ann and bob."""
    ann = UserFactory(username="ann", email="ann@example.com")
    bob = UserFactory(username="bob", email="bob@example.com")
    team = team_create(code="GENERAL", name="售后一组", members=[ann, bob])
    calendar = BusinessCalendar.objects.create(code="24X7", name="全天候", always_open=True)
    SlaPolicy.objects.create(
        name="普通",
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=24 * 60,
        calendar=calendar,
    )
    started = timezone.now() - timedelta(hours=2)
    tickets = []
    for i in range(TICKETS):
        ticket = Ticket.objects.create(
            number=f"T-RACE-{i:03d}",
            subject="race",
            customer=CustomerFactory(),
            kind="complaint",
            channel="phone",
            public_token=secrets.token_urlsafe(16),
            team=team,
            assignee=ann if i % 2 else None,
        )
        sla_start(ticket=ticket, now=started)
        tickets.append(ticket)
    return tickets


def test_workers_running_the_watch_at_once_record_and_notify_each_breach_once(overdue):
    results, errors = run_concurrently(lambda i: sla_watch())
    assert errors == []
    assert sum(r["breaches"] for r in results) == TICKETS
    assert SlaRecord.objects.filter(kind="breach").count() == TICKETS
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA_BREACH).count() == TICKETS
    assert Ticket.objects.filter(first_response_breached=True).count() == TICKETS
    # Assigned: ann once. Unassigned: ann and bob once each.
    assigned = TICKETS // 2
    expected = assigned + 2 * (TICKETS - assigned)
    assert Notification.objects.filter(key__contains=":sla:").count() == expected
    assert sum(r["notifications"] for r in results) == expected
    # And a later run finds nothing left.
    assert sla_watch()["breaches"] == 0


def test_a_ticket_held_by_another_transaction_is_skipped_not_waited_for(overdue):
    held = overdue[0]
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        first = sla_watch()
    finally:
        release.set()
        holder.join()
    assert first["breaches"] == TICKETS - 1
    assert not SlaRecord.objects.filter(ticket=held).exists()
    assert sla_watch()["breaches"] == 1
    assert SlaRecord.objects.filter(ticket=held).count() == 1


# --- Negative control: the real sla_watch with its guards taken away ----------------
#
# Two things keep a warning or breach single: _watch_one locks the ticket
# (select_for_update(skip_locked=True)) and sla_record lets the unique
# constraint decide which writer created the record. Below, the same sla_watch
# runs with the lock turned into a no-op, with sla_record replaced by a plain
# check-then-insert writer, or both. Either guard alone holds; without both the
# timeline, the counts and the notices are doubled.


def _without_the_lock(monkeypatch):
    original = QuerySet.select_for_update

    def select_for_update(self, *args, **kwargs):
        if self.model is Ticket:
            return self  # a plain read: nothing is locked, nothing skipped
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", select_for_update)


def _check_then_insert(*, ticket, metric, kind, due_at, now):
    # What sla_record must not be: look for the record, and if there is none,
    # write the timeline event and the record and call it new. (The record
    # keeps its unique constraint, so get_or_create stays single; everything
    # decided on the check alone -- event, count, notice -- doubles.)
    lookup = {"ticket": ticket, "metric": metric, "kind": kind}
    if SlaRecord.objects.filter(**lookup).exists():
        return None, False
    threading.Event().wait(0.005)  # the gap every real worker has
    sla._event(ticket, TicketEvent.Kind.SLA_BREACH, now, to_value=metric)
    record, _created = SlaRecord.objects.get_or_create(
        **lookup, defaults={"due_at": due_at, "recorded_at": now}
    )
    return record, True


def _remove(monkeypatch, guards):
    if "lock" in guards:
        _without_the_lock(monkeypatch)
    if "writer" in guards:
        monkeypatch.setattr(sla, "sla_record", _check_then_insert)


@pytest.mark.parametrize("removed", [("lock",), ("writer",)])
def test_either_guard_alone_records_each_breach_once(overdue, monkeypatch, removed):
    _remove(monkeypatch, removed)
    results, errors = run_concurrently(lambda i: sla.sla_watch())
    assert errors == []
    assert sum(r["breaches"] for r in results) == TICKETS
    assert SlaRecord.objects.filter(kind="breach").count() == TICKETS
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA_BREACH).count() == TICKETS


def test_negative_control_without_lock_and_once_only_writer_the_watch_doubles(overdue, monkeypatch):
    _remove(monkeypatch, ("lock", "writer"))
    results, errors = run_concurrently(lambda i: sla.sla_watch())
    assert errors == []
    # The record stays single (the constraint), but the same sla_watch now
    # counts, times and notifies some breaches more than once.
    assert SlaRecord.objects.filter(kind="breach").count() == TICKETS
    breaches = TicketEvent.objects.filter(kind=TicketEvent.Kind.SLA_BREACH)
    assert breaches.count() > TICKETS
    assert breaches.values("ticket").distinct().count() == TICKETS
    assert sum(r["breaches"] for r in results) > TICKETS
    assigned = TICKETS // 2
    assert sum(r["notifications"] for r in results) > assigned + 2 * (TICKETS - assigned)
