"""Care rules and the hourly job that raises their tasks: each rule fires once
per cause however often the job runs, only after its delay, only when on;
tasks go to the customer's account manager, who is told once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.services.tickets import ticket_create, ticket_resolve
from crm.models import CareRule, CareTask, Customer, CustomerScore
from crm.services.care import care_tasks_raise
from erp.core.models import Notification
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
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def amy(make_user):
    return make_user("account_manager", username="amy", email="amy@example.com")


def _vip(customer, manager=None):
    customer.tier = Customer.Tier.VIP
    customer.account_manager = manager
    customer.save()
    return customer


def _tasks(code):
    return CareTask.objects.filter(rule__code=code)


def test_every_rule_has_its_row_with_the_default_delay():
    rules = {r.code: r for r in CareRule.objects.all()}
    assert {
        "complaint_follow_up",
        "vip_order_at_risk",
        "vip_shipment_exception",
        "vip_win_back",
        "thank_large_order",
    } <= set(rules)
    assert rules["complaint_follow_up"].delay_days == 3
    assert rules["thank_large_order"].delay_days == 1
    assert rules["thank_large_order"].threshold == Decimal("5000")
    assert rules["vip_order_at_risk"].delay_days == 0


# --- thank_large_order: delay, threshold, once per cause -----------------------


def test_large_order_is_thanked_a_day_later_once(place, amy):  # noqa: F811
    order = place(("tea", 50))  # 50 x 100.00 = 5000.00: reaches the threshold
    order.customer.account_manager = amy
    order.customer.save()
    assert order.total == Decimal("5000.00")
    now = timezone.now()

    # The delay is one day: nothing yet.
    assert care_tasks_raise(now=now + timedelta(hours=12))["rules"]["thank_large_order"] == 0
    assert not _tasks("thank_large_order").exists()

    later = now + timedelta(days=1, minutes=1)
    summary = care_tasks_raise(now=later)
    assert summary["rules"]["thank_large_order"] == 1
    task = _tasks("thank_large_order").get()
    assert task.customer == order.customer
    assert task.reference == order.number
    assert task.cause_key == f"order:{order.pk}:large"
    assert task.assignee == amy
    assert task.status == CareTask.Status.OPEN
    assert task.due_at >= order.placed_at + timedelta(days=1)
    assert task.history.count() == 1  # bulk insert still leaves its history entry
    notice = Notification.objects.get(key=f"care:{task.pk}")
    assert notice.recipient == "amy@example.com"
    assert notice.user == amy

    # The job again (and an hour later): still one task, one notice.
    assert care_tasks_raise(now=later)["created"] == 0
    assert care_tasks_raise(now=later + timedelta(hours=1))["created"] == 0
    assert _tasks("thank_large_order").count() == 1
    assert Notification.objects.filter(key__startswith="care:").count() == 1


def test_small_order_and_raised_threshold_fire_nothing(place):  # noqa: F811
    place(("tea", 49))  # 4900.00
    big = place(("tea", 60), phone="13800000002")  # 6000.00
    CareRule.objects.filter(code="thank_large_order").update(threshold=Decimal("8000"))
    care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert not _tasks("thank_large_order").exists()

    CareRule.objects.filter(code="thank_large_order").update(threshold=Decimal("5500"))
    care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert list(_tasks("thank_large_order").values_list("reference", flat=True)) == [big.number]


def test_disabled_rule_fires_nothing(place):  # noqa: F811
    place(("tea", 50))
    CareRule.objects.filter(code="thank_large_order").update(enabled=False)
    summary = care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert "thank_large_order" not in summary["rules"]
    assert not CareTask.objects.exists()


def test_cancelled_order_is_not_thanked_and_old_causes_are_out_of_the_window(place):  # noqa: F811
    from orders.services import order_cancel

    order = place(("tea", 50))
    order_cancel(order=order, reason="客户取消")
    care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert not CareTask.objects.exists()

    place(("tea", 50), phone="13800000009")
    # Beyond delay + 14 days of lookback the cause is no longer looked at.
    care_tasks_raise(now=timezone.now() + timedelta(days=16))
    assert not _tasks("thank_large_order").exists()


def test_merged_customer_gets_no_task(place):  # noqa: F811
    order = place(("tea", 50))
    survivor = CustomerFactory()
    Customer.objects.filter(pk=order.customer_id).update(merged_into=survivor)
    care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert not CareTask.objects.exists()


def test_unassigned_task_sends_no_notice(place):  # noqa: F811
    place(("tea", 50))
    care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    task = CareTask.objects.get()
    assert task.assignee is None
    assert not Notification.objects.filter(key__startswith="care:").exists()


# --- vip_order_at_risk ----------------------------------------------------------


def test_vip_order_at_risk_raises_one_high_priority_task(place, amy):  # noqa: F811
    soon = place(("tea", 1), promised_in=2)  # within ORDER_AT_RISK_DAYS (3)
    _vip(soon.customer, amy)
    now = timezone.now() + timedelta(minutes=1)
    care_tasks_raise(now=now)
    care_tasks_raise(now=now)
    task = _tasks("vip_order_at_risk").get()
    assert task.priority == CareTask.Priority.HIGH
    assert task.reference == soon.number
    assert task.cause_key == f"order:{soon.pk}:at-risk:{soon.promised_date:%Y%m%d}"
    assert task.assignee == amy
    assert Notification.objects.filter(key=f"care:{task.pk}").count() == 1


def test_order_far_from_its_promise_is_raised_only_when_it_gets_close(place):  # noqa: F811
    order = place(("tea", 1), promised_in=10)
    _vip(order.customer)
    care_tasks_raise(now=timezone.now() + timedelta(minutes=1))
    assert not _tasks("vip_order_at_risk").exists()
    # From the start of the day 3 days before the promised date it is at risk.
    care_tasks_raise(now=timezone.now() + timedelta(days=8))
    assert _tasks("vip_order_at_risk").count() == 1


def test_order_of_a_non_vip_or_shipped_is_not_at_risk(place):  # noqa: F811
    plain = place(("tea", 1), promised_in=1)
    assert plain.customer.tier != Customer.Tier.VIP
    care_tasks_raise(now=timezone.now() + timedelta(minutes=1))
    assert not _tasks("vip_order_at_risk").exists()


# --- vip_shipment_exception -----------------------------------------------------


def test_vip_shipment_exception_raises_at_once(delivered, amy):  # noqa: F811
    from logistics.models import ShipmentException

    _vip(delivered.customer, amy)
    shipment = delivered.shipments.get()
    exception = ShipmentException.objects.create(
        shipment=shipment, kind="damaged", started_at=timezone.now(), details="外箱破损"
    )
    now = timezone.now() + timedelta(minutes=1)
    care_tasks_raise(now=now)
    care_tasks_raise(now=now)
    task = _tasks("vip_shipment_exception").get()
    assert task.cause_key == f"shipment-exception:{exception.pk}"
    assert task.reference == shipment.number
    assert task.priority == CareTask.Priority.HIGH
    assert "外箱破损" in task.detail


def test_shipment_exception_of_a_standard_customer_raises_nothing(delivered):  # noqa: F811
    from logistics.models import ShipmentException

    ShipmentException.objects.create(
        shipment=delivered.shipments.get(), kind="lost", started_at=timezone.now()
    )
    care_tasks_raise(now=timezone.now() + timedelta(minutes=1))
    assert not _tasks("vip_shipment_exception").exists()


# --- complaint_follow_up --------------------------------------------------------


def test_resolved_complaint_is_followed_up_three_days_later(service_desk, amy):  # noqa: F811
    customer = CustomerFactory(account_manager=amy)
    complaint = ticket_create(
        customer=customer, subject="茶叶受潮", kind="complaint", channel="phone"
    )
    inquiry = ticket_create(customer=customer, subject="发票", kind="inquiry", channel="phone")
    for ticket in (complaint, inquiry):
        ticket_resolve(ticket=ticket, summary="已补发", actor=service_desk["ann"])
    complaint.refresh_from_db()

    care_tasks_raise(now=timezone.now() + timedelta(days=2))
    assert not _tasks("complaint_follow_up").exists()  # delay 3 days

    later = timezone.now() + timedelta(days=3, minutes=1)
    care_tasks_raise(now=later)
    care_tasks_raise(now=later + timedelta(hours=5))
    task = _tasks("complaint_follow_up").get()
    assert task.reference == complaint.number
    assert task.cause_key == f"ticket:{complaint.pk}:resolved"
    assert task.assignee == amy


def test_delay_change_moves_the_window(service_desk):  # noqa: F811
    customer = CustomerFactory()
    ticket = ticket_create(customer=customer, subject="投诉", kind="complaint", channel="phone")
    ticket_resolve(ticket=ticket, summary="已处理", actor=service_desk["ann"])
    CareRule.objects.filter(code="complaint_follow_up").update(delay_days=0)
    care_tasks_raise(now=timezone.now() + timedelta(minutes=1))
    assert _tasks("complaint_follow_up").count() == 1


# --- vip_win_back ----------------------------------------------------------------


def _score(customer, *, level, rose_at):
    return CustomerScore.objects.create(
        customer=customer,
        churn_level=level,
        previous_churn_level=CustomerScore.ChurnLevel.MEDIUM,
        churn_rose_at=rose_at,
        orders_count=12,
        last_order_at=rose_at - timedelta(days=200),
        interval_days=Decimal("30.0"),
        computed_at=rose_at,
    )


def test_vip_whose_churn_rose_to_high_is_won_back_once_per_rise(amy):
    vip = CustomerFactory(tier=Customer.Tier.VIP, account_manager=amy)
    standard = CustomerFactory()
    medium_vip = CustomerFactory(tier=Customer.Tier.VIP)
    rose = timezone.now() - timedelta(hours=2)
    score = _score(vip, level=CustomerScore.ChurnLevel.HIGH, rose_at=rose)
    _score(standard, level=CustomerScore.ChurnLevel.HIGH, rose_at=rose)
    _score(medium_vip, level=CustomerScore.ChurnLevel.MEDIUM, rose_at=rose)

    care_tasks_raise()
    care_tasks_raise()
    task = _tasks("vip_win_back").get()
    assert task.customer == vip
    assert task.assignee == amy
    assert task.cause_key == f"churn:{vip.pk}:{timezone.localdate(rose):%Y%m%d}"

    # The score is rewritten nightly with the same rise: nothing new.
    score.computed_at = timezone.now()
    score.save()
    care_tasks_raise()
    assert _tasks("vip_win_back").count() == 1

    # Weeks later the VIP came back, then drifted away again: a new rise, a new task.
    score.churn_rose_at = timezone.now() + timedelta(days=30)
    score.save()
    care_tasks_raise(now=timezone.now() + timedelta(days=30, minutes=1))
    assert _tasks("vip_win_back").count() == 2


def test_a_failing_rule_does_not_stop_the_others(monkeypatch, place):  # noqa: F811
    from crm import hooks

    place(("tea", 50))
    spec = hooks.CARE_RULES["vip_win_back"]

    def broken(rule, since, until):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        hooks.CARE_RULES,
        "vip_win_back",
        hooks.CareRuleSpec(code=spec.code, name=spec.name, description="", find=broken),
    )
    summary = care_tasks_raise(now=timezone.now() + timedelta(days=1, minutes=1))
    assert summary["failed"] == ["vip_win_back"]
    assert summary["rules"]["thank_large_order"] == 1


def test_celery_task_returns_the_summary(place):  # noqa: F811
    from crm.tasks import raise_care_tasks

    result = raise_care_tasks.delay().get()
    assert result["created"] == 0
    assert set(result["rules"]) >= {"thank_large_order", "vip_win_back"}
