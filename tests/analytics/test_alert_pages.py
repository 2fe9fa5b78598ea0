"""Alert pages: who sees which alerts, the list's filters and export, and the
detail page's acknowledge, assign and resolve forms, with their refusals."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.models import Alert, AlertEvent
from analytics.selectors import alerts_visible_to
from analytics.services.alerts import alert_raise

pytestmark = pytest.mark.django_db


def raise_alert(kind, n, *, owner_role, severity="warning", owner=None, now=None):
    alert, created = alert_raise(
        kind=kind,
        subject_key=f"test:{kind}:{n}",
        cause_key=f"test:{kind}:{n}:1",
        subject_label=f"subject {kind} {n}",
        subject_url=f"/somewhere/{n}/",
        message=f"message {kind} {n}",
        severity=severity,
        owner_role=owner_role,
        owner=owner,
        now=now,
    )
    assert created
    return alert


@pytest.fixture
def alerts():
    return {
        "t3": raise_alert(Alert.Kind.T3_DELIVERY, 1, owner_role="order_clerk", severity="critical"),
        "low": raise_alert(Alert.Kind.LOW_STOCK, 2, owner_role="warehouse_manager"),
        "sla": raise_alert(Alert.Kind.SLA_BREACH, 3, owner_role="aftersales_agent"),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set[str]:
    return {row["alert"].number for row in response.context["alerts"]}


def test_each_role_sees_its_own_alerts_admins_and_analysts_all(make_user, alerts):
    t3, low, sla = alerts["t3"].number, alerts["low"].number, alerts["sla"].number
    url = reverse("analytics:alert-list")
    expected = {
        "order_clerk": {t3},
        "warehouse_manager": {low},
        "warehouse": set(),
        "aftersales_agent": {sla},
        "dispatcher": set(),
        "admin": {t3, low, sla},
        "analyst": {t3, low, sla},
    }
    for role, numbers in expected.items():
        response = client_for(make_user(role)).get(url)
        assert response.status_code == 200, role
        assert listed(response) == numbers, role


def test_account_managers_have_no_alert_pages(role_client, alerts):
    assert role_client("account_manager").get(reverse("analytics:alert-list")).status_code == 403


def test_alerts_given_to_me_or_escalated_to_my_role_are_visible(make_user, alerts):
    someone = make_user("warehouse")
    low = alerts["low"]
    assert not alerts_visible_to(someone).filter(pk=low.pk).exists()
    Alert.objects.filter(pk=low.pk).update(owner=someone)
    assert alerts_visible_to(someone).filter(pk=low.pk).exists()

    dispatcher = make_user("dispatcher")
    t3 = alerts["t3"]
    Alert.objects.filter(pk=t3.pk).update(escalated_to_role="dispatcher")
    assert list(alerts_visible_to(dispatcher)) == [t3]


def test_a_warehouse_user_gets_404_for_a_t3_alert(make_user, alerts):
    client = client_for(make_user("warehouse"))
    t3 = alerts["t3"]
    assert client.get(reverse("analytics:alert-detail", args=[t3.number])).status_code == 404
    assert client.get(reverse("analytics:alert-detail", args=[t3.pk])).status_code == 404
    url = reverse("analytics:alert-action", args=[t3.number, "resolve"])
    assert client.post(url, {"resolution_note": "x"}).status_code == 404
    t3.refresh_from_db()
    assert t3.status == Alert.Status.OPEN


def test_an_order_clerk_cannot_resolve_a_low_stock_alert(make_user, alerts):
    client = client_for(make_user("order_clerk"))
    low = alerts["low"]
    url = reverse("analytics:alert-action", args=[low.number, "resolve"])
    assert client.post(url, {"resolution_note": "restocked"}).status_code == 404
    low.refresh_from_db()
    assert low.status == Alert.Status.OPEN


def test_an_analyst_can_look_but_not_act(make_user, alerts):
    client = client_for(make_user("analyst"))
    t3 = alerts["t3"]
    response = client.get(reverse("analytics:alert-detail", args=[t3.number]))
    assert response.status_code == 200
    assert response.context["forms"] == {}
    assert b'id="action-resolve"' not in response.content
    for action, data in [
        ("resolve", {"resolution_note": "done"}),
        ("acknowledge", {}),
        ("assign", {"owner": "1"}),
    ]:
        url = reverse("analytics:alert-action", args=[t3.number, action])
        assert client.post(url, data).status_code == 403, action
    t3.refresh_from_db()
    assert t3.status == Alert.Status.OPEN and t3.owner is None


def test_the_list_opens_with_unresolved_alerts_and_filters(make_user, alerts):
    clerk = make_user("order_clerk")
    client = client_for(make_user("admin"))
    url = reverse("analytics:alert-list")
    low = alerts["low"]
    Alert.objects.filter(pk=low.pk).update(
        status=Alert.Status.RESOLVED, resolution_note="restocked", resolved_at=timezone.now()
    )
    t3, sla = alerts["t3"].number, alerts["sla"].number
    assert listed(client.get(url)) == {t3, sla}
    assert listed(client.get(url, {"status": "resolved"})) == {low.number}
    assert listed(client.get(url, {"status": ["open", "resolved"]})) == {t3, sla, low.number}
    assert listed(client.get(url, {"kind": "sla_breach"})) == {sla}
    assert listed(client.get(url, {"severity": "critical"})) == {t3}

    Alert.objects.filter(number=sla).update(deadline=timezone.now() - timedelta(minutes=1))
    assert listed(client.get(url, {"overdue": "true"})) == {sla}
    assert listed(client.get(url, {"overdue": "false"})) == {t3}

    Alert.objects.filter(number=t3).update(cleared_at=timezone.now())
    assert listed(client.get(url, {"cleared": "true"})) == {t3}

    Alert.objects.filter(number=t3).update(owner=clerk)
    assert listed(client_for(clerk).get(url, {"mine": "true"})) == {t3}
    assert listed(client.get(url, {"mine": "true"})) == set()


def test_the_list_shows_the_subject_link_and_exports(make_user, alerts):
    client = client_for(make_user("order_clerk"))
    url = reverse("analytics:alert-list")
    response = client.get(url)
    t3 = alerts["t3"]
    assert f'href="{t3.subject_url}"'.encode() in response.content
    assert reverse("analytics:alert-detail", args=[t3.number]).encode() in response.content
    exported = client.get(url, {"export": "csv"})
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert t3.number in text and alerts["low"].number not in text


def test_acknowledge_assign_and_resolve_from_the_page(make_user, alerts):
    clerk = make_user("order_clerk")
    colleague = make_user("order_clerk", first_name="芳", last_name="王")
    make_user("warehouse", username="not_a_clerk")
    client = client_for(clerk)
    t3 = alerts["t3"]
    detail = reverse("analytics:alert-detail", args=[t3.number])

    page = client.get(detail)
    assert set(page.context["forms"]) == {"acknowledge", "assign", "resolve"}
    choices = page.context["forms"]["assign"].fields["owner"].queryset
    assert colleague in choices and not choices.filter(username="not_a_clerk").exists()

    action = lambda name: reverse("analytics:alert-action", args=[t3.number, name])  # noqa: E731
    response = client.post(action("acknowledge"), {"note": "looking"})
    assert response.status_code == 302 and response.url == detail
    t3.refresh_from_db()
    assert t3.status == Alert.Status.ACKNOWLEDGED and t3.acknowledged_by == clerk

    assert client.post(action("assign"), {"owner": colleague.pk}).status_code == 302
    t3.refresh_from_db()
    assert t3.owner == colleague

    assert client.post(action("resolve"), {"resolution_note": "new date agreed"}).status_code == 302
    t3.refresh_from_db()
    assert t3.status == Alert.Status.RESOLVED and t3.resolution_note == "new date agreed"
    actions = list(t3.events.values_list("action", flat=True))
    assert actions == ["raised", "acknowledged", "assigned", "resolved"]

    page = client.get(detail)
    assert page.context["forms"] == {}
    assert b"new date agreed" in page.content
    assert page.content.count(b'data-action="') == 4


def test_resolving_without_a_note_shows_the_error_on_the_form(make_user, alerts):
    client = client_for(make_user("order_clerk"))
    t3 = alerts["t3"]
    url = reverse("analytics:alert-action", args=[t3.number, "resolve"])
    response = client.post(url, {"resolution_note": "   "})
    assert response.status_code == 400
    form = response.context["forms"]["resolve"]
    assert form.errors["resolution_note"]
    assert b'id="action-resolve"' in response.content
    t3.refresh_from_db()
    assert t3.status == Alert.Status.OPEN
    assert not t3.events.filter(action=AlertEvent.Action.RESOLVED).exists()


def test_assigning_to_someone_outside_the_role_is_refused(make_user, alerts):
    client = client_for(make_user("order_clerk"))
    outsider = make_user("warehouse")
    t3 = alerts["t3"]
    url = reverse("analytics:alert-action", args=[t3.number, "assign"])
    response = client.post(url, {"owner": outsider.pk})
    assert response.status_code == 400
    assert response.context["forms"]["assign"].errors["owner"]
    t3.refresh_from_db()
    assert t3.owner is None


def test_unknown_actions_and_anonymous_users(make_user, alerts):
    t3 = alerts["t3"]
    client = client_for(make_user("order_clerk"))
    bad = reverse("analytics:alert-action", args=[t3.number, "delete"])
    assert client.post(bad).status_code == 404
    anonymous = Client().get(reverse("analytics:alert-list"))
    assert anonymous.status_code == 302 and "login" in anonymous.url
