"""Care tasks by hand and their life: complete (outcome, logged contact),
cancel, reassign (account managers only to account managers), visibility."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import CareTask, Interaction
from crm.selectors import care_task_counts, care_tasks_visible_to
from crm.services.care import (
    CareTaskConflict,
    CareTaskInvalid,
    care_task_cancel,
    care_task_complete,
    care_task_create,
    care_task_reassign,
)
from erp.core.models import Notification
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "amy": make_user("account_manager", username="amy", email="amy@example.com"),
        "ben": make_user("account_manager", username="ben", email="ben@example.com"),
        "boss": make_user("admin", username="boss", email="boss@example.com"),
        "clerk": make_user("order_clerk", username="clerk"),
        "agent": make_user("aftersales_agent", username="agent"),
    }


def test_manual_task_goes_to_the_account_manager_who_is_told(people):
    customer = CustomerFactory(account_manager=people["amy"])
    task = care_task_create(customer=customer, title="回访", actor=people["boss"])
    assert task.assignee == people["amy"]
    assert task.rule is None
    assert task.created_by == people["boss"]
    assert Notification.objects.filter(key=f"care:{task.pk}", user=people["amy"]).count() == 1


def test_own_task_sends_no_notice_and_blank_title_is_refused(people):
    customer = CustomerFactory(account_manager=people["amy"])
    care_task_create(customer=customer, title="自己的", actor=people["amy"])
    assert not Notification.objects.exists()
    with pytest.raises(CareTaskInvalid) as err:
        care_task_create(customer=customer, title="  ", actor=people["amy"])
    assert err.value.field == "title"


def test_task_on_a_merged_customer_is_refused(people):
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)
    with pytest.raises(CareTaskInvalid) as err:
        care_task_create(customer=merged, title="x", actor=people["amy"])
    assert err.value.field == "customer"


def test_complete_needs_an_outcome_and_logs_the_contact(people):
    customer = CustomerFactory(account_manager=people["amy"])
    task = care_task_create(customer=customer, title="回访", actor=people["amy"])
    with pytest.raises(CareTaskInvalid) as err:
        care_task_complete(task=task, outcome=" ", actor=people["amy"])
    assert err.value.field == "outcome"

    task = care_task_complete(task=task, outcome="客户满意", reached_by="call", actor=people["amy"])
    assert task.status == CareTask.Status.DONE
    assert task.completed_by == people["amy"]
    interaction = Interaction.objects.get()
    assert interaction.care_task == task
    assert interaction.kind == "call"
    assert interaction.direction == Interaction.Direction.OUTBOUND
    assert interaction.staff == people["amy"]
    assert interaction.body == "客户满意"

    with pytest.raises(CareTaskConflict):
        care_task_complete(task=task, outcome="again", actor=people["amy"])


def test_complete_without_contact_logs_nothing_and_bad_kind_is_refused(people):
    task = care_task_create(customer=CustomerFactory(), title="t", actor=people["boss"])
    with pytest.raises(CareTaskInvalid) as err:
        care_task_complete(task=task, outcome="ok", reached_by="pigeon", actor=people["boss"])
    assert err.value.field == "reached_by"
    care_task_complete(task=task, outcome="ok", actor=people["boss"])
    assert not Interaction.objects.exists()


def test_cancel_needs_a_reason_and_only_open_tasks(people):
    task = care_task_create(customer=CustomerFactory(), title="t", actor=people["boss"])
    with pytest.raises(CareTaskInvalid):
        care_task_cancel(task=task, reason="", actor=people["boss"])
    task = care_task_cancel(task=task, reason="客户拒绝联系", actor=people["boss"])
    assert task.status == CareTask.Status.CANCELLED
    assert task.outcome == "客户拒绝联系"
    with pytest.raises(CareTaskConflict):
        care_task_cancel(task=task, reason="again", actor=people["boss"])


def test_account_manager_passes_tasks_only_to_account_managers(people):
    customer = CustomerFactory(account_manager=people["amy"])
    task = care_task_create(customer=customer, title="t", actor=people["amy"])
    for other in ("clerk", "boss"):
        with pytest.raises(CareTaskInvalid) as err:
            care_task_reassign(task=task, assignee=people[other], actor=people["amy"])
        assert err.value.field == "assignee"
    task = care_task_reassign(task=task, assignee=people["ben"], actor=people["amy"])
    assert task.assignee == people["ben"]
    assert Notification.objects.filter(user=people["ben"], key__startswith="care:").count() == 1


def test_admin_may_pass_to_an_admin_but_not_to_a_role_without_care_tasks(people):
    task = care_task_create(customer=CustomerFactory(), title="t", actor=people["boss"])
    care_task_reassign(task=task, assignee=people["boss"], actor=people["boss"])
    with pytest.raises(CareTaskInvalid):
        care_task_reassign(task=task, assignee=people["agent"], actor=people["boss"])


def test_visibility_own_and_unassigned_of_managed_customers(people):
    amy, ben = people["amy"], people["ben"]
    mine = care_task_create(customer=CustomerFactory(account_manager=amy), title="a", actor=None)
    loose = CareTask.objects.create(
        customer=CustomerFactory(account_manager=amy), title="b", due_at=timezone.now()
    )
    bens = care_task_create(customer=CustomerFactory(account_manager=ben), title="c", actor=None)
    # Assigned to ben though amy manages the customer: ben's, not amy's.
    passed = care_task_create(
        customer=CustomerFactory(account_manager=amy), title="d", assignee=ben, actor=None
    )
    assert set(care_tasks_visible_to(amy)) == {mine, loose}
    assert set(care_tasks_visible_to(ben)) == {bens, passed}
    assert care_tasks_visible_to(people["boss"]).count() == 4
    assert not care_tasks_visible_to(people["clerk"]).exists()


def test_counts_open_overdue_due_today(people):
    amy = people["amy"]
    customer = CustomerFactory(account_manager=amy)
    now = timezone.now()
    care_task_create(customer=customer, title="late", due_at=now - timedelta(days=2), actor=amy)
    care_task_create(customer=customer, title="soon", due_at=now + timedelta(seconds=30), actor=amy)
    done = care_task_create(customer=customer, title="done", due_at=now, actor=amy)
    care_task_complete(task=done, outcome="ok", actor=amy)
    counts = care_task_counts(care_tasks_visible_to(amy))
    assert counts["open"] == 2
    assert counts["overdue"] == 1


def test_own_task_for_an_unmanaged_customer_stays_with_its_account_manager(people):
    customer = CustomerFactory(account_manager=None)
    task = care_task_create(customer=customer, title="新客户回访", actor=people["amy"])
    assert task.assignee == people["amy"]
    assert care_tasks_visible_to(people["amy"]).filter(pk=task.pk).exists()


def test_an_admin_cannot_give_a_task_to_someone_who_only_looks(people, make_user):
    analyst = make_user("analyst", username="ana")
    customer = CustomerFactory(account_manager=people["amy"])
    with pytest.raises(CareTaskInvalid) as err:
        care_task_create(customer=customer, title="x", assignee=analyst, actor=people["boss"])
    assert err.value.field == "assignee"
    task = care_task_create(
        customer=customer, title="y", assignee=people["boss"], actor=people["boss"]
    )
    assert task.assignee == people["boss"]
