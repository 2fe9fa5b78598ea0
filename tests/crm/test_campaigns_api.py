"""Segments and campaigns over the API, and the campaign code on order intake."""

from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Campaign, CustomerScore, Segment, Tag
from erp.core.models import Notification
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

# The shared fixtures are imported above and taken as arguments below.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(db):
    tag = Tag.objects.create(name="tea-lovers")
    rows = [
        CustomerFactory(code="C1", email="c1@example.com", marketing_consent=True),
        CustomerFactory(code="C2", email="c2@example.com", marketing_consent=False),
        CustomerFactory(code="C3", email="c3@example.com", marketing_consent=True),
    ]
    for customer in rows:
        customer.tags.add(tag)
        CustomerScore.objects.create(
            customer=customer,
            computed_at=timezone.now(),
            lifetime_value=Decimal("100"),
            orders_count=1,
        )
    return rows


def test_segment_crud_count_customers_and_preview(staff_api, customers):
    api = staff_api("account_manager")
    created = api.post(
        "/api/v1/segments/",
        {"name": "Tea lovers", "filters": {"tags": ["tea-lovers"]}},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["filters"] == {"tags": ["tea-lovers"]}
    assert api.get(f"/api/v1/segments/{pk}/count/").json() == {"customers": 3, "consenting": 2}
    page = api.get(f"/api/v1/segments/{pk}/customers/?ordering=-code").json()
    assert page["count"] == 3
    assert [row["code"] for row in page["results"]] == ["C3", "C2", "C1"]
    assert page["results"][0]["lifetime_value"] == "100.00"
    analysis = api.get(f"/api/v1/segments/{pk}/analysis/").json()
    assert analysis["profile"]["customers"] == 3
    preview = api.get("/api/v1/segments/preview/?tags=tea-lovers&marketing_consent=true")
    assert preview.json() == {"customers": 2, "consenting": 2}
    bad = api.get("/api/v1/segments/preview/?colour=red")
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["fields"]
    changed = api.patch(f"/api/v1/segments/{pk}/", {"filters": {"tier": "diamond"}}, format="json")
    assert changed.status_code == 400 and "tier" in changed.json()["error"]["fields"]
    assert api.delete(f"/api/v1/segments/{pk}/").status_code == 204


def test_segment_and_campaign_permissions(staff_api, customers):
    segment = Segment.objects.create(name="All", filters={})
    for role in ("order_clerk", "warehouse"):
        api = staff_api(role)
        assert api.get("/api/v1/segments/").status_code == 403
        assert api.get(f"/api/v1/segments/{segment.pk}/customers/").status_code == 403
        assert api.get("/api/v1/campaigns/").status_code == 403
    analyst = staff_api("analyst")
    assert analyst.get(f"/api/v1/segments/{segment.pk}/count/").status_code == 200
    assert analyst.post("/api/v1/segments/", {"name": "x"}, format="json").status_code == 403
    campaign = Campaign.objects.create(
        code="CP-T-1", name="x", segment=segment, channel="email", subject="s", message="m"
    )
    assert analyst.get(f"/api/v1/campaigns/{campaign.code}/").status_code == 200
    assert analyst.post(f"/api/v1/campaigns/{campaign.code}/send/").status_code == 403
    assert analyst.post(f"/api/v1/campaigns/{campaign.code}/cancel/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_campaign_create_audience_send_and_stats(
    staff_api, customers, world, django_capture_on_commit_callbacks
):
    api = staff_api("account_manager")
    segment = Segment.objects.create(name="Tea", filters={"tags": ["tea-lovers"]})
    created = api.post(
        "/api/v1/campaigns/",
        {
            "name": "Autumn",
            "segment": segment.pk,
            "channel": "email",
            "subject": "Hi {name}",
            "message": "Tea for {name}",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert code.startswith(f"CP-{timezone.localdate():%Y%m}-")
    assert created.json()["status"] == "draft"
    audience = api.get(f"/api/v1/campaigns/{code}/audience/").json()
    assert audience == {
        "customers": 3,
        "consenting": 2,
        "recipients": 2,
        "no_consent": 1,
        "no_address": 0,
    }
    bad = api.patch(f"/api/v1/campaigns/{code}/", {"message": "Hi {first}"}, format="json")
    assert bad.status_code == 400 and "message" in bad.json()["error"]["fields"]
    ok = api.patch(f"/api/v1/campaigns/{code}/", {"attribution_days": 7}, format="json")
    assert ok.status_code == 200 and ok.json()["attribution_days"] == 7

    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/api/v1/campaigns/{code}/send/")
    assert sent.status_code == 202, sent.content
    detail = api.get(f"/api/v1/campaigns/{code}/").json()
    assert detail["status"] == "sent"
    assert detail["stats"]["recipients"] == 2 and detail["stats"]["delivered"] == 2
    recipients = Notification.objects.filter(key__startswith=f"campaign:{detail['id']}:")
    assert sorted(recipients.values_list("recipient", flat=True)) == [
        "c1@example.com",
        "c3@example.com",
    ]
    again = api.post(f"/api/v1/campaigns/{code}/send/")
    assert again.status_code == 409
    assert api.patch(f"/api/v1/campaigns/{code}/", {"name": "x"}, format="json").status_code == 409
    assert api.delete(f"/api/v1/campaigns/{code}/").status_code == 405

    # An order carrying the code (any case) through the orders API counts as a response.
    clerk = staff_api("order_clerk")
    payload = {
        "channel": "WEB",
        "customer": {"code": "C1"},
        "shipping_address": {
            "recipient": "x",
            "phone": "13800000000",
            "province": "上海市",
            "city": "上海市",
            "street": "人民路1号",
        },
        "lines": [{"sku": "TEA-1", "quantity": 3, "unit_price": "100.00"}],
        "campaign_code": code.lower(),
    }
    order = clerk.post("/api/v1/orders/", payload, format="json")
    assert order.status_code == 201, order.content
    assert order.json()["campaign_code"] == code
    assert Order.objects.get(number=order.json()["number"]).campaign.code == code
    stats = api.get(f"/api/v1/campaigns/{code}/").json()["stats"]
    assert stats == {
        "recipients": 2,
        "delivered": 2,
        "responders": 1,
        "response_rate": "50.0",
        "orders": 1,
        "revenue": "300.00",
    }

    unknown = clerk.post("/api/v1/orders/", {**payload, "campaign_code": "CP-NONE"}, format="json")
    assert unknown.status_code == 400
    assert "campaign_code" in unknown.json()["error"]["fields"]


def test_cancel_a_draft(staff_api, customers):
    api = staff_api("account_manager")
    segment = Segment.objects.create(name="Tea", filters={})
    campaign = Campaign.objects.create(
        code="CP-T-2", name="x", segment=segment, channel="sms", message="m"
    )
    response = api.post(f"/api/v1/campaigns/{campaign.code}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/campaigns/{campaign.code}/send/").status_code == 409


def test_integration_scopes(integration, customers):
    segment = Segment.objects.create(name="Tea", filters={})
    reader = integration("crm:read")
    assert reader.get(f"/api/v1/segments/{segment.pk}/count/").status_code == 200
    assert reader.post("/api/v1/segments/", {"name": "x"}, format="json").status_code == 403
    assert integration("orders:read").get("/api/v1/segments/").status_code == 403
