"""/api/v1/alerts/: what each caller sees, the filters, acknowledge, assign
and resolve, and the refusals (another role's alert, looking-only roles,
tokens without the write scope, a resolution without a note)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Alert
from tests.analytics.test_alert_pages import raise_alert

pytestmark = pytest.mark.django_db
URL = "/api/v1/alerts/"


@pytest.fixture
def alerts():
    return {
        "t3": raise_alert(Alert.Kind.T3_DELIVERY, 1, owner_role="order_clerk", severity="critical"),
        "low": raise_alert(Alert.Kind.LOW_STOCK, 2, owner_role="warehouse_manager"),
        "ship": raise_alert(Alert.Kind.SHIPMENT_EXCEPTION, 3, owner_role="dispatcher"),
    }


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_staff_see_the_alerts_of_their_roles(staff_api, alerts):
    t3, low, ship = (alerts[k].number for k in ("t3", "low", "ship"))
    assert numbers(staff_api("order_clerk").get(URL)) == {t3}
    assert numbers(staff_api("warehouse_manager").get(URL)) == {low}
    assert numbers(staff_api("warehouse").get(URL)) == set()
    assert numbers(staff_api("analyst").get(URL)) == {t3, low, ship}
    assert numbers(staff_api("admin").get(URL)) == {t3, low, ship}
    assert staff_api("account_manager").get(URL).status_code == 403
    assert staff_api("warehouse").get(f"{URL}{t3}/").status_code == 404


def test_a_token_with_the_read_scope_sees_every_alert_and_filters(integration, alerts):
    client = integration("analytics:read")
    t3, low, ship = (alerts[k].number for k in ("t3", "low", "ship"))
    assert numbers(client.get(URL)) == {t3, low, ship}
    assert numbers(client.get(URL, {"kind": ["low_stock", "shipment_exception"]})) == {low, ship}
    assert numbers(client.get(URL, {"severity": "critical"})) == {t3}
    Alert.objects.filter(number=low).update(deadline=timezone.now() - timedelta(hours=1))
    assert numbers(client.get(URL, {"overdue": "true"})) == {low}
    Alert.objects.filter(number=ship).update(cleared_at=timezone.now())
    assert numbers(client.get(URL, {"cleared": "true"})) == {ship}
    assert numbers(client.get(URL, {"status": "resolved"})) == set()
    assert client.get(URL, {"severity": "nope"}).status_code == 400

    body = client.get(f"{URL}{t3}/").json()
    assert body["kind"] == "t3_delivery" and body["owner_role"] == "order_clerk"
    assert [e["action"] for e in body["events"]] == ["raised"]
    # Reading is not writing.
    refused = client.post(f"{URL}{t3}/resolve/", {"resolution_note": "x"}, format="json")
    assert refused.status_code == 403


def test_acknowledge_assign_resolve_by_a_clerk(staff_api, make_user, alerts):
    client = staff_api("order_clerk")
    colleague = make_user("order_clerk", username="fang.wang")
    t3 = alerts["t3"].number

    body = client.post(f"{URL}{t3}/acknowledge/", {"note": "on it"}, format="json").json()
    assert body["status"] == "acknowledged" and body["events"][-1]["note"] == "on it"

    response = client.post(f"{URL}{t3}/assign/", {"owner": "fang.wang"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == "fang.wang"

    response = client.post(f"{URL}{t3}/resolve/", {"resolution_note": "new date"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved" and body["resolution_note"] == "new date"
    assert [e["action"] for e in body["events"]] == [
        "raised",
        "acknowledged",
        "assigned",
        "resolved",
    ]
    again = client.post(f"{URL}{t3}/resolve/", {"resolution_note": "again"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "alert_resolved"
    assert colleague.pk == Alert.objects.get(number=t3).owner_id


def test_resolving_without_a_note_is_a_400_naming_the_field(staff_api, alerts):
    client = staff_api("order_clerk")
    t3 = alerts["t3"].number
    for data in ({}, {"resolution_note": "  "}, {"note": ""}):
        response = client.post(f"{URL}{t3}/resolve/", data, format="json")
        assert response.status_code == 400, data
        assert "resolution_note" in response.json()["error"]["fields"]
    assert Alert.objects.get(number=t3).status == Alert.Status.OPEN
    # `note` is accepted as the note's short name.
    response = client.post(f"{URL}{t3}/resolve/", {"note": "done"}, format="json")
    assert response.status_code == 200 and response.json()["resolution_note"] == "done"


def test_refusals_for_other_roles_and_lookers(staff_api, make_user, alerts):
    low = alerts["low"].number
    clerk = staff_api("order_clerk")
    assert clerk.post(f"{URL}{low}/resolve/", {"note": "x"}, format="json").status_code == 404
    analyst = staff_api("analyst")
    assert analyst.get(f"{URL}{low}/").status_code == 200
    for action, data in [
        ("resolve", {"resolution_note": "x"}),
        ("acknowledge", {}),
        ("assign", {"owner": "nobody"}),
    ]:
        assert analyst.post(f"{URL}{low}/{action}/", data, format="json").status_code == 403
    manager = staff_api("warehouse_manager")
    make_user("order_clerk", username="a.clerk")
    response = manager.post(f"{URL}{low}/assign/", {"owner": "a.clerk"}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["error"]["fields"]
    response = manager.post(f"{URL}{low}/assign/", {"owner": "ghost"}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["error"]["fields"]
    alert = Alert.objects.get(number=low)
    assert alert.status == Alert.Status.OPEN and alert.owner is None


def test_the_schema_documents_the_alert_endpoints(staff_api):
    schema = staff_api("admin").get("/api/schema/", {"format": "json"})
    if schema.status_code == 404:
        pytest.skip("schema served elsewhere")
    paths = schema.json()["paths"]
    assert "/api/v1/alerts/" in paths
    assert "/api/v1/alerts/{number}/resolve/" in paths


def test_a_token_with_the_write_scope_resolves(integration, alerts):
    client = integration("analytics:read analytics:write")
    t3 = alerts["t3"].number
    response = client.post(f"{URL}{t3}/resolve/", {"resolution_note": ""}, format="json")
    assert response.status_code == 400
    assert "resolution_note" in response.json()["error"]["fields"]
    response = client.post(f"{URL}{t3}/resolve/", {"resolution_note": "done"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
