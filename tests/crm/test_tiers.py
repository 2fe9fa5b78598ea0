"""Tier thresholds and tiers set by hand: pages and API, with their denials."""

from decimal import Decimal

import pytest

from crm.models import Customer, TierChange, TierThreshold
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def thresholds_post(**changes):
    data = {
        "silver_min_spend_12m": "2000",
        "silver_min_orders_12m": "2",
        "gold_min_spend_12m": "10000",
        "gold_min_orders_12m": "5",
        "vip_min_spend_12m": "50000",
        "vip_min_orders_12m": "10",
    }
    data.update(changes)
    return data


def test_thresholds_page_saves_and_refuses_a_broken_ladder(role_client):
    client = role_client("account_manager")
    page = client.get("/crm/tiers/", **EN)
    assert page.status_code == 200
    assert b"Tier thresholds" in page.content

    response = client.post("/crm/tiers/", thresholds_post(gold_min_spend_12m="12000"))
    assert response.status_code == 302
    assert TierThreshold.objects.get(tier="gold").min_spend_12m == Decimal("12000")

    response = client.post("/crm/tiers/", thresholds_post(vip_min_spend_12m="5000"), **EN)
    assert response.status_code == 200
    assert "vip_min_spend_12m" in response.context["form"].errors
    assert TierThreshold.objects.get(tier="vip").min_spend_12m == Decimal("50000")


def test_thresholds_page_read_only_for_analyst_and_denied_to_clerk(role_client):
    analyst = role_client("analyst")
    assert analyst.get("/crm/tiers/").status_code == 200
    assert analyst.post("/crm/tiers/", thresholds_post()).status_code == 403
    assert role_client("order_clerk").get("/crm/tiers/").status_code == 403


def test_customer_tier_page_sets_and_clears(role_client):
    customer = CustomerFactory(code="C-T1")
    client = role_client("account_manager")
    assert client.get("/crm/customers/C-T1/tier/").status_code == 200
    response = client.post("/crm/customers/C-T1/tier/", {"tier": "vip", "reason": "key account"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_override) == ("vip", "vip")

    response = client.post("/crm/customers/C-T1/tier/", {"tier": "gold", "reason": ""}, **EN)
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors

    client.post("/crm/customers/C-T1/tier/", {"tier": "", "reason": ""})
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_override) == ("standard", "")
    assert TierChange.objects.filter(customer=customer, by_system=False).count() == 2


def test_customer_tier_page_denied_without_permission(role_client):
    CustomerFactory(code="C-T2")
    for role in ("order_clerk", "analyst"):
        assert role_client(role).get("/crm/customers/C-T2/tier/").status_code == 403


def test_api_thresholds_list_and_patch(staff_api):
    api = staff_api("account_manager")
    listed = api.get("/api/v1/tier-thresholds/")
    assert listed.status_code == 200
    assert {row["tier"] for row in listed.json()} == {"silver", "gold", "vip"}

    response = api.patch("/api/v1/tier-thresholds/gold/", {"min_orders_12m": 6}, format="json")
    assert response.status_code == 200
    assert response.json()["min_orders_12m"] == 6

    response = api.patch(
        "/api/v1/tier-thresholds/silver/", {"min_spend_12m": "20000"}, format="json"
    )
    assert response.status_code == 400
    assert "gold_min_spend_12m" in str(response.json())  # gold would need less than silver
    assert (
        staff_api("analyst")
        .patch("/api/v1/tier-thresholds/gold/", {"min_orders_12m": 1}, format="json")
        .status_code
        == 403
    )


def test_api_customer_tier(staff_api):
    customer = CustomerFactory(code="C-T3")
    api = staff_api("account_manager")
    response = api.post(
        "/api/v1/customers/C-T3/tier/", {"tier": "gold", "reason": "contract"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["tier"], body["tier_override"], body["tier_override_reason"]) == (
        "gold",
        "gold",
        "contract",
    )
    response = api.post("/api/v1/customers/C-T3/tier/", {"tier": "vip"}, format="json")
    assert response.status_code == 400
    assert "reason" in str(response.json())
    assert Customer.objects.get(pk=customer.pk).tier == "gold"

    denied = staff_api("order_clerk").post(
        "/api/v1/customers/C-T3/tier/", {"tier": "", "reason": ""}, format="json"
    )
    assert denied.status_code == 403
