"""The hourly care job run by several workers at once (PostgreSQL): every
cause still gets exactly one task and its assignee one notice. Without the
per-rule lock the unique (rule, cause_key) constraint alone keeps causes
single; the negative control shows a plain check-then-insert races."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import CareRule, CareTask, Customer
from crm.services import care
from crm.services.care import care_tasks_raise
from erp.core.models import Notification
from tests.concurrency.test_stock_race import run_concurrently
from tests.orders.conftest import place, world  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


@pytest.fixture
def large_orders(place, make_user):  # noqa: F811
    amy = make_user("account_manager", username="amy", email="amy@example.com")
    orders = [place(("tea", 50), phone=f"1380000{i:04d}") for i in range(5)]
    Customer.objects.filter(pk__in=[o.customer_id for o in orders]).update(account_manager=amy)
    return orders


def _run_all(now):
    return run_concurrently(lambda i: care_tasks_raise(now=now), n=WORKERS)


def test_workers_at_once_raise_each_cause_once(large_orders):
    now = timezone.now() + timedelta(days=1, minutes=1)
    results, errors = _run_all(now)
    assert errors == []
    assert all(result["failed"] == [] for result in results)
    tasks = CareTask.objects.filter(rule__code="thank_large_order")
    assert tasks.count() == 5
    assert sorted(tasks.values_list("reference", flat=True)) == sorted(
        o.number for o in large_orders
    )
    # Exactly one run created each task: the counts add up to five.
    assert sum(r["rules"]["thank_large_order"] for r in results) == 5
    for task in tasks:
        assert Notification.objects.filter(key=f"care:{task.pk}").count() == 1


def test_without_the_lock_the_constraint_still_keeps_causes_single(monkeypatch, large_orders):
    monkeypatch.setattr(care, "advisory_lock", lambda key: None)
    _results, errors = _run_all(timezone.now() + timedelta(days=1, minutes=1))
    assert errors == []
    assert CareTask.objects.filter(rule__code="thank_large_order").count() == 5
    assert Notification.objects.filter(key__startswith="care:").count() == 5


def _naive_raise(rule_id, order):
    # What must never be written: look for the task, then insert it plainly.
    with transaction.atomic():
        if CareTask.objects.filter(rule_id=rule_id, cause_key=f"order:{order.pk}:large").exists():
            return False
        threading.Event().wait(0.05)  # the gap every real run has
        CareTask.objects.create(
            customer_id=order.customer_id,
            rule_id=rule_id,
            cause_key=f"order:{order.pk}:large",
            title="naive",
            due_at=timezone.now(),
        )
        return True


def test_negative_control_check_then_insert_races(large_orders):
    rule = CareRule.objects.get(code="thank_large_order")
    order = large_orders[0]
    results, errors = run_concurrently(lambda i: _naive_raise(rule.pk, order), n=WORKERS)
    # Several workers saw no task and tried to insert: only the constraint stopped them.
    assert results.count(True) == 1
    assert any(isinstance(e, IntegrityError) for e in errors)
