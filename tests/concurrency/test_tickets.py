"""Tickets under concurrency (PostgreSQL): a logistics exception handled by
several workers at once opens one ticket; tickets arriving together are
spread over the team by workload, never piled onto one agent. The negative
control shows the pile-up without the team lock."""

from collections import Counter

import pytest

from aftersales.models import Ticket
from aftersales.services import assignment
from aftersales.services.inbound import exception_ticket_open
from aftersales.services.tickets import ticket_create
from tests.aftersales.conftest import (  # noqa: F401  (shared fixtures)
    carrier,
    delivered,
    packed,
    place,
    service_desk,
    stock,
    weighed,
    world,
)
from tests.concurrency.test_stock_race import run_concurrently
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_ticket_per_exception_however_many_workers(service_desk, delivered):  # noqa: F811
    from logistics.models import ShipmentException

    shipment = delivered.shipments.get()
    exception = ShipmentException.objects.create(
        shipment=shipment, kind="lost", started_at=shipment.created_at, details="丢件"
    )
    results, errors = run_concurrently(
        lambda i: exception_ticket_open(exception_id=exception.pk), n=8
    )
    assert errors == []
    assert Ticket.objects.count() == 1
    assert sum(1 for _ticket, created in results if created) == 1
    assert {ticket.pk for ticket, _created in results} == {Ticket.objects.get().pk}


def _six_at_once(customers):
    return run_concurrently(
        lambda i: (
            ticket_create(
                customer=customers[i], subject=f"投诉{i}", kind="complaint", channel="phone"
            ).assignee.username
        ),
        n=6,
    )


def test_tickets_arriving_together_are_spread_over_the_team(service_desk):  # noqa: F811
    customers = [CustomerFactory() for _ in range(6)]
    results, errors = _six_at_once(customers)
    assert errors == []
    assert Counter(results) == {"ann": 3, "bob": 3}


def test_without_the_team_lock_they_pile_up(service_desk, monkeypatch):  # noqa: F811
    # Negative control: choose the member without serialising on the team,
    # and hold the choice open long enough for the others to read the same
    # workload.
    import time

    real = assignment.members_by_workload

    def slow(team):
        members = list(real(team))
        time.sleep(0.3)
        return _List(members)

    class _List(list):
        def first(self):
            return self[0] if self else None

    monkeypatch.setattr(assignment, "members_by_workload", slow)
    monkeypatch.setattr(
        assignment.ServiceTeam.objects, "select_for_update", lambda *a, **k: Ticket.objects.none()
    )
    customers = [CustomerFactory() for _ in range(6)]
    results, errors = _six_at_once(customers)
    assert errors == []
    assert max(Counter(results).values()) > 3  # the race the lock prevents
