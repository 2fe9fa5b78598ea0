"""Care tasks and rules over the API: scoping, actions, denials."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import CareRule, CareTask, Interaction
from crm.services.care import care_task_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def amy(make_user):
    return make_user("account_manager", username="amy", email="amy@example.com")


def _client(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_account_manager_lists_only_their_tasks(amy, make_user):
    ben = make_user("account_manager", username="ben")
    mine = care_task_create(customer=CustomerFactory(account_manager=amy), title="a", actor=None)
    theirs = care_task_create(customer=CustomerFactory(account_manager=ben), title="b", actor=None)
    api = _client(amy)
    rows = api.get("/api/v1/care-tasks/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert api.get(f"/api/v1/care-tasks/{theirs.pk}/").status_code == 404
    response = api.post(
        f"/api/v1/care-tasks/{theirs.pk}/complete/", {"outcome": "x"}, format="json"
    )
    assert response.status_code == 404
    admin_rows = _client(make_user("admin")).get("/api/v1/care-tasks/").json()["results"]
    assert {row["id"] for row in admin_rows} == {mine.pk, theirs.pk}


def test_create_complete_and_conflict(amy):
    customer = CustomerFactory(account_manager=amy)
    api = _client(amy)
    response = api.post(
        "/api/v1/care-tasks/",
        {"customer": customer.code, "title": "春茶回购提醒", "priority": "high"},
        format="json",
    )
    assert response.status_code == 201, response.content
    task = response.json()
    assert task["assignee"] == "amy" and task["rule"] is None and task["status"] == "open"

    missing = api.post(f"/api/v1/care-tasks/{task['id']}/complete/", {}, format="json")
    assert missing.status_code == 400 and "outcome" in missing.text
    done = api.post(
        f"/api/v1/care-tasks/{task['id']}/complete/",
        {"outcome": "已回购", "reached_by": "chat"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert Interaction.objects.get().care_task_id == task["id"]
    again = api.post(f"/api/v1/care-tasks/{task['id']}/cancel/", {"reason": "x"}, format="json")
    assert again.status_code == 409


def test_reassign_refuses_non_account_managers_naming_the_field(amy, make_user):
    make_user("order_clerk", username="olly")
    make_user("account_manager", username="ben")
    task = care_task_create(customer=CustomerFactory(account_manager=amy), title="t", actor=None)
    api = _client(amy)
    bad = api.post(f"/api/v1/care-tasks/{task.pk}/reassign/", {"assignee": "olly"}, format="json")
    assert bad.status_code == 400
    assert "assignee" in bad.json()["error"]["fields"]
    ok = api.post(f"/api/v1/care-tasks/{task.pk}/reassign/", {"assignee": "ben"}, format="json")
    assert ok.status_code == 200 and ok.json()["assignee"] == "ben"


def test_roles_without_care_tasks_are_refused(staff_api):
    task = care_task_create(customer=CustomerFactory(), title="t", actor=None)
    for role in ("order_clerk", "aftersales_agent", "dispatcher"):
        api = staff_api(role)
        assert api.get("/api/v1/care-tasks/").status_code == 403
        assert (
            api.post(
                f"/api/v1/care-tasks/{task.pk}/cancel/", {"reason": "x"}, format="json"
            ).status_code
            == 403
        )
    analyst = staff_api("analyst")
    assert analyst.get("/api/v1/care-tasks/").status_code == 200
    assert analyst.get("/api/v1/care-tasks/").json()["results"] == []  # not theirs to see
    response = analyst.post(f"/api/v1/care-tasks/{task.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 403


def test_filters_overdue_and_rule(amy):
    customer = CustomerFactory(account_manager=amy)
    late = care_task_create(
        customer=customer,
        title="late",
        due_at=timezone.now() - timedelta(days=1),
        actor=amy,
    )
    care_task_create(
        customer=customer,
        title="later",
        due_at=timezone.now() + timedelta(days=1),
        actor=amy,
    )
    rows = _client(amy).get("/api/v1/care-tasks/?overdue=true").json()["results"]
    assert [row["id"] for row in rows] == [late.pk]
    rows = _client(amy).get("/api/v1/care-tasks/?manual=true&status=open").json()["results"]
    assert len(rows) == 2


def test_care_rules_list_and_patch(staff_api, make_user):
    admin = staff_api("admin")
    rules = admin.get("/api/v1/care-rules/").json()
    codes = (
        [row["code"] for row in rules["results"]]
        if "results" in rules
        else [row["code"] for row in rules]
    )
    assert "thank_large_order" in codes
    response = admin.patch(
        "/api/v1/care-rules/thank_large_order/",
        {"enabled": False, "delay_days": 2, "threshold": "8000.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    rule = CareRule.objects.get(code="thank_large_order")
    assert (rule.enabled, rule.delay_days, rule.threshold) == (False, 2, Decimal("8000.00"))
    bad = admin.patch("/api/v1/care-rules/thank_large_order/", {"delay_days": -1}, format="json")
    assert bad.status_code == 400
    assert admin.put("/api/v1/care-rules/thank_large_order/", {}, format="json").status_code == 405
    assert (
        staff_api("order_clerk")
        .patch("/api/v1/care-rules/thank_large_order/", {"enabled": True}, format="json")
        .status_code
        == 403
    )
    assert (
        staff_api("analyst")
        .patch("/api/v1/care-rules/thank_large_order/", {"enabled": True}, format="json")
        .status_code
        == 403
    )


def test_integration_token_scopes(integration):
    task = care_task_create(customer=CustomerFactory(), title="t", actor=None)
    reader = integration("crm:read")
    rows = reader.get("/api/v1/care-tasks/").json()["results"]
    assert [row["id"] for row in rows] == [task.pk]
    response = reader.post(f"/api/v1/care-tasks/{task.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert CareTask.objects.get().status == "open"
