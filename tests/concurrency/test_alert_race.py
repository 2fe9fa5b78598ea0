"""The T-3 scan and the escalation job run by several workers at once
(PostgreSQL): every at-risk order still gets exactly one alert, each person
one notice, each late alert one escalation. The negative control shows a
plain check-then-insert races and only the constraint stops the duplicate."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import Alert, AlertEvent
from analytics.services.lifecycle import alerts_escalate
from analytics.services.t3 import t3_scan
from erp.core.models import Notification
from tests.concurrency.test_stock_race import run_concurrently
from tests.orders.conftest import place, world  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


@pytest.fixture
def at_risk(place, make_user):  # noqa: F811
    make_user("order_clerk", username="ann", email="ann@example.com")
    make_user("order_clerk", username="bob", email="bob@example.com")
    make_user("admin", username="root", email="root@example.com")
    return [place(("tea", 1), promised_in=i % 4, phone=f"1380000{i:04d}") for i in range(6)]


def test_workers_at_once_raise_one_alert_per_order(at_risk):
    now = timezone.now()
    results, errors = run_concurrently(lambda i: t3_scan(now=now), n=WORKERS)
    assert errors == []
    alerts = Alert.objects.filter(kind=Alert.Kind.T3_DELIVERY)
    assert sorted(alerts.values_list("subject_key", flat=True)) == sorted(
        f"order:{o.pk}" for o in at_risk
    )
    # Exactly one worker raised each alert: the counts add up.
    assert sum(r["raised"] for r in results) == len(at_risk)
    assert all(r["found"] == len(at_risk) for r in results)
    assert AlertEvent.objects.filter(action=AlertEvent.Action.RAISED).count() == len(at_risk)
    for alert in alerts:
        assert Notification.objects.filter(key__startswith=f"alert:{alert.pk}:").count() == 2


def test_workers_at_once_escalate_each_alert_once(at_risk):
    t3_scan()
    later = timezone.now() + timedelta(days=1)
    results, errors = run_concurrently(lambda i: alerts_escalate(now=later), n=WORKERS)
    assert errors == []
    assert sum(r["escalated"] for r in results) == len(at_risk)
    assert AlertEvent.objects.filter(action=AlertEvent.Action.ESCALATED).count() == len(at_risk)
    assert Notification.objects.filter(key__contains=":escalated:").count() == len(at_risk)


def _naive_raise(order):
    # What must never be written: look for the open alert, then insert plainly.
    key = f"order:{order.pk}"
    with transaction.atomic():
        if Alert.objects.filter(kind=Alert.Kind.T3_DELIVERY, subject_key=key).exists():
            return False
        threading.Event().wait(0.05)  # the gap every real run has
        now = timezone.now()
        Alert.objects.create(
            number=f"naive-{threading.get_ident()}"[:30],
            kind=Alert.Kind.T3_DELIVERY,
            subject_key=key,
            cause_key=f"{key}:promised:{order.promised_date}",
            subject_label=order.number,
            message="naive",
            raised_at=now,
            last_seen_at=now,
            deadline=now,
        )
        return True


def test_negative_control_check_then_insert_races(at_risk):
    order = at_risk[0]
    results, errors = run_concurrently(lambda i: _naive_raise(order), n=WORKERS)
    # Several workers saw no alert and tried to insert: only the constraints stopped them.
    assert results.count(True) == 1
    assert any(isinstance(e, IntegrityError) for e in errors)
