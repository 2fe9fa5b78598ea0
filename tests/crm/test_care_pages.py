"""Care task pages: my queue, the list, one task with its actions, new task,
the rules page; and who may see what."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import CareRule, CareTask
from crm.services.care import care_task_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def amy(make_user):
    return make_user("account_manager", username="amy", email="amy@example.com")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_my_tasks_overdue_first_with_counts(amy, make_user):
    customer = CustomerFactory(account_manager=amy)
    now = timezone.now()
    care_task_create(customer=customer, title="明天回访", due_at=now + timedelta(days=1), actor=amy)
    care_task_create(customer=customer, title="逾期回访", due_at=now - timedelta(days=1), actor=amy)
    ben = make_user("account_manager", username="ben")
    care_task_create(customer=CustomerFactory(account_manager=ben), title="别人的", actor=None)
    page = _client(amy).get(reverse("crm:care-mine"), **EN)
    assert page.status_code == 200
    text = page.text
    assert text.index("逾期回访") < text.index("明天回访")
    assert "别人的" not in text
    assert 'id="count-open">2<' in text
    assert 'id="count-overdue">1<' in text


def test_list_is_scoped_and_exports(amy, make_user):
    ben = make_user("account_manager", username="ben")
    care_task_create(customer=CustomerFactory(account_manager=amy), title="甲任务", actor=None)
    care_task_create(customer=CustomerFactory(account_manager=ben), title="乙任务", actor=None)
    page = _client(amy).get(reverse("crm:care-list"), **EN)
    assert "甲任务" in page.text and "乙任务" not in page.text
    export = _client(amy).get(reverse("crm:care-list") + "?export=csv")
    assert "甲任务" in export.content.decode("utf-8-sig")
    assert "乙任务" not in export.content.decode("utf-8-sig")
    admin = _client(make_user("admin")).get(reverse("crm:care-list") + "?assignee=ben", **EN)
    assert "乙任务" in admin.text and "甲任务" not in admin.text


def test_detail_and_actions(amy, make_user):
    make_user("account_manager", username="ben")
    task = care_task_create(customer=CustomerFactory(account_manager=amy), title="回访", actor=amy)
    client = _client(amy)
    page = client.get(reverse("crm:care-detail", args=[task.pk]), **EN)
    assert page.status_code == 200 and 'id="action-complete"' in page.text

    # No outcome: refused with a message, still open.
    client.post(reverse("crm:care-action", args=[task.pk, "complete"]), {"outcome": ""})
    assert CareTask.objects.get().status == "open"
    response = client.post(
        reverse("crm:care-action", args=[task.pk, "complete"]),
        {"outcome": "客户满意", "reached_by": "call"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.interactions.count() == 1
    page = client.get(reverse("crm:care-detail", args=[task.pk]), **EN)
    assert 'id="action-complete"' not in page.text and "客户满意" in page.text


def test_reassign_page_action_moves_it_out_of_my_sight(amy, make_user):
    ben = make_user("account_manager", username="ben")
    task = care_task_create(customer=CustomerFactory(account_manager=amy), title="t", actor=amy)
    response = _client(amy).post(
        reverse("crm:care-action", args=[task.pk, "reassign"]), {"assignee": ben.pk}
    )
    assert response.status_code == 302 and response.url == reverse("crm:care-mine")
    task.refresh_from_db()
    assert task.assignee == ben


def test_other_managers_task_is_404_and_roles_without_care_are_403(amy, make_user, role_client):
    ben = make_user("account_manager", username="ben")
    task = care_task_create(customer=CustomerFactory(account_manager=ben), title="t", actor=None)
    client = _client(amy)
    assert client.get(reverse("crm:care-detail", args=[task.pk])).status_code == 404
    response = client.post(reverse("crm:care-action", args=[task.pk, "cancel"]), {"reason": "x"})
    assert response.status_code == 404
    for role in ("order_clerk", "aftersales_agent", "dispatcher"):
        other = role_client(role)
        assert other.get(reverse("crm:care-mine")).status_code == 403
        assert other.get(reverse("crm:care-list")).status_code == 403
        assert other.get(reverse("crm:care-rule-list")).status_code == 403
    analyst = role_client("analyst")
    response = analyst.post(reverse("crm:care-action", args=[task.pk, "cancel"]), {"reason": "x"})
    assert response.status_code == 403


def test_new_task_on_a_customer(amy):
    customer = CustomerFactory(account_manager=amy)
    url = reverse("crm:care-create", args=[customer.code])
    client = _client(amy)
    assert client.get(url, **EN).status_code == 200
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"title": "节前问候", "due_at": due, "priority": "normal"})
    assert response.status_code == 302
    task = CareTask.objects.get()
    assert task.assignee == amy and task.created_by == amy


def test_rules_page_and_edit(make_user, role_client):
    admin = _client(make_user("admin"))
    page = admin.get(reverse("crm:care-rule-list"), **EN)
    assert page.status_code == 200
    assert "Thank the customer for a large order" in page.text
    url = reverse("crm:care-rule-edit", args=["thank_large_order"])
    response = admin.post(url, {"delay_days": "2", "threshold": "6000"})  # enabled unticked
    assert response.status_code == 302
    rule = CareRule.objects.get(code="thank_large_order")
    assert (rule.enabled, rule.delay_days, str(rule.threshold)) == (False, 2, "6000.00")
    analyst = role_client("analyst")
    assert analyst.get(reverse("crm:care-rule-list")).status_code == 200
    assert analyst.get(url).status_code == 403
