"""Every 4xx of the API has one shape: {"error": {"code", "message", "fields"}}."""

import pytest

from crm.models import Address, Customer
from erp.core.api.throttling import ClientRateThrottle


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.django_db
def test_validation_error_names_the_field_and_writes_nothing(integration):
    api = integration("crm:write")
    response = api.post(
        "/api/v1/customers/",
        {"name": "王芳", "email": "not-an-email", "tier": "platinum"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "tier"}
    assert error["message"].startswith("Invalid input: email:")
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_nested_fields_are_named_by_path(integration):
    api = integration("crm:write")
    response = api.post(
        "/api/v1/customers/",
        {"name": "王芳", "phone": "13800138000", "address": {"recipient": "王芳", "phone": "1"}},
        format="json",
    )
    error = error_of(response)
    assert response.status_code == 400
    assert {"address.province", "address.city", "address.street"} <= set(error["fields"])
    assert Customer.objects.count() == 0
    assert Address.objects.count() == 0


@pytest.mark.django_db
def test_service_rule_errors_use_the_same_format(integration):
    api = integration("crm:write")
    response = api.post("/api/v1/customers/", {"name": "无联系方式"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"phone": ["请填写电话号码或电子邮箱。"]}


@pytest.mark.django_db
def test_malformed_json_is_400(integration):
    api = integration("crm:write")
    response = api.generic(
        "POST", "/api/v1/customers/", '{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_unexpected_content_type_is_415(integration, content_type):
    api = integration("crm:write")
    response = api.generic("POST", "/api/v1/customers/", "name=x", content_type=content_type)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_not_found_and_method_not_allowed(integration):
    api = integration("crm:read crm:write")
    assert error_of(api.get("/api/v1/customers/NOPE/"))["code"] == "not_found"
    unknown = api.get("/api/v1/no-such-thing/")
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "not_found"
    response = api.delete("/api/v1/customers/NOPE/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_bad_filter_values_are_400_with_the_field(integration):
    api = integration("crm:read")
    for query, field in (("tier=platinum", "tier"), ("ordering=password", "ordering")):
        response = api.get(f"/api/v1/customers/?{query}")
        assert response.status_code == 400
        assert field in error_of(response)["fields"]


@pytest.mark.django_db
def test_throttling_is_per_client_and_429(integration, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "3/min"})
    busy, other = integration("crm:read"), integration("crm:read")
    for _ in range(3):
        assert busy.get("/api/v1/customers/").status_code == 200
    response = busy.get("/api/v1/customers/")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert other.get("/api/v1/customers/").status_code == 200  # its own budget


@pytest.mark.django_db
def test_pagination_filters_and_ordering(integration):
    from tests.factories import CustomerFactory

    CustomerFactory.create_batch(7, tier=Customer.Tier.GOLD)
    CustomerFactory.create_batch(3, tier=Customer.Tier.VIP)
    api = integration("crm:read")
    page = api.get("/api/v1/customers/?tier=gold&page_size=5&ordering=-code").json()
    assert page["count"] == 7
    assert len(page["results"]) == 5
    codes = [c["code"] for c in page["results"]]
    assert codes == sorted(codes, reverse=True)
    assert "page=2" in page["next"]
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 2


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(integration, django_assert_max_num_queries):
    from tests.factories import CustomerFactory

    CustomerFactory.create_batch(40)
    api = integration("crm:read")
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/customers/?page_size=40")
    assert len(response.json()["results"]) == 40
