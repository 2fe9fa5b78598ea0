"""Each 5xx the API fuzzer found, pinned as a plain test (tests/api/test_fuzz.py
finds them again only with its random inputs)."""

import pytest

from crm.models import TierThreshold

pytestmark = pytest.mark.django_db


def test_forecasts_filtered_to_nothing_answer_an_empty_page(integration):
    # Was a 500: demand history of no forecasts took min() of nothing.
    api = integration("analytics:read")
    response = api.get("/api/v1/forecasts/", {"warehouse": "NO-SUCH-WAREHOUSE"})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.parametrize("body", ["1.5", '"gold"', "[1, 2]", "null"])
def test_tier_threshold_patch_with_a_body_that_is_no_object_is_400(integration, body):
    # Was a 500: the view unpacked the body with ** before validating it.
    TierThreshold.objects.get_or_create(
        tier="gold", defaults={"min_spend_12m": "12000.00", "min_orders_12m": 5}
    )
    api = integration("crm:write crm:read")
    response = api.patch("/api/v1/tier-thresholds/gold/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"


def test_tier_threshold_patch_keeps_what_it_does_not_name(integration):
    row, _ = TierThreshold.objects.get_or_create(
        tier="gold", defaults={"min_spend_12m": "12000.00", "min_orders_12m": 5}
    )
    api = integration("crm:write crm:read")
    response = api.patch("/api/v1/tier-thresholds/gold/", {"min_orders_12m": 7}, format="json")
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.min_orders_12m == 7
    assert response.json()["min_orders_12m"] == 7


def test_multipart_post_with_an_idempotency_key_is_fingerprinted_and_replayed(integration):
    # Was a 500 on every multipart POST with an Idempotency-Key from an OAuth2
    # client: the token check had parsed the form, so the raw body was gone.
    api = integration("aftersales:write aftersales:read")
    form = {"subject": "", "description": "x"}
    first = api.post("/api/v1/tickets/", form, format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 400, first.content  # refused (no customer), not a 500
    again = api.post("/api/v1/tickets/", form, format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 400 and again.headers["Idempotent-Replayed"] == "true"
    other = api.post(
        "/api/v1/tickets/",
        {**form, "description": "y"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
