"""Customers, contacts, duplicates and merges over the API."""

import pytest

from crm.models import Contact, Customer, CustomerMerge, Tag
from crm.services.customers import contact_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_patch_changes_fields_tags_manager_and_consent(staff_api, make_user):
    amy = make_user("account_manager", username="amy")
    customer = CustomerFactory(phone="13800000001")
    api = staff_api("order_clerk")
    response = api.patch(
        f"/api/v1/customers/{customer.code}/",
        {
            "name": "王芳芳",
            "email": "W@Example.com",
            "language": "en",
            "account_manager": "amy",
            "tags": ["wholesale", "trade fair"],
            "marketing_consent": True,
            "consent_source": "phone",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "王芳芳"
    assert body["email"] == "w@example.com"
    assert body["account_manager"] == "amy"
    assert body["tags"] == ["trade fair", "wholesale"]
    assert body["marketing_consent"] is True and body["consent_source"] == "phone"
    assert body["consent_at"]
    customer.refresh_from_db()
    assert customer.account_manager == amy and customer.language == "en"

    response = api.patch(
        f"/api/v1/customers/{customer.code}/", {"marketing_consent": False}, format="json"
    )
    assert response.status_code == 400
    assert "consent_source" in response.json()["error"]["fields"]
    response = api.patch(f"/api/v1/customers/{customer.code}/", {"phone": "12"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]


def test_patch_and_merge_permissions(staff_api):
    a, b = CustomerFactory(), CustomerFactory()
    response = staff_api("dispatcher").patch(
        f"/api/v1/customers/{a.code}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    for role in ("order_clerk", "analyst", "aftersales_agent"):
        api = staff_api(role)
        response = api.post(
            f"/api/v1/customers/{a.code}/merge/", {"duplicate": b.code}, format="json"
        )
        assert response.status_code == 403, role
        assert api.get("/api/v1/customers/duplicates/").status_code == 403, role
    assert staff_api("order_clerk").get("/api/v1/customer-merges/").status_code == 403
    assert staff_api("analyst").get("/api/v1/customer-merges/").status_code == 200
    assert not CustomerMerge.objects.exists()


def test_merge_list_and_undo_over_the_api(staff_api):
    a = CustomerFactory(phone="13800000001")
    b = CustomerFactory(phone="13800000001", email="b@example.com")
    api = staff_api("account_manager")

    response = api.get("/api/v1/customers/duplicates/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["first"]["code"] == a.code
    assert body["results"][0]["reasons"] == ["phone"]

    response = api.post(
        f"/api/v1/customers/{a.code}/merge/",
        {"duplicate": b.code, "reason": "同一手机号"},
        format="json",
    )
    assert response.status_code == 201, response.content
    merge = response.json()
    assert merge["survivor"] == a.code and merge["merged"] == b.code
    assert merge["undoable"] is True

    # The merged customer drops out of the list, keeps its page.
    codes = [c["code"] for c in api.get("/api/v1/customers/").json()["results"]]
    assert codes == [a.code]
    codes = [c["code"] for c in api.get("/api/v1/customers/?show_merged=true").json()["results"]]
    assert codes == [a.code, b.code]
    response = api.get(f"/api/v1/customers/{b.code}/")
    assert response.status_code == 200 and response.json()["merged_into"] == a.code
    assert api.get(f"/api/v1/customers/{a.code}/").json()["email"] == "b@example.com"

    again = api.post(f"/api/v1/customers/{a.code}/merge/", {"duplicate": b.code}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "merge_refused"
    patched = api.patch(f"/api/v1/customers/{b.code}/", {"name": "x"}, format="json")
    assert patched.status_code == 409

    listed = api.get(f"/api/v1/customer-merges/?customer={b.code}").json()
    assert listed["count"] == 1 and listed["results"][0]["moved"] == {}
    response = api.post(f"/api/v1/customer-merges/{merge['id']}/undo/")
    assert response.status_code == 200, response.content
    assert response.json()["undone_at"] and response.json()["undoable"] is False
    assert Customer.objects.get(pk=b.pk).merged_into is None
    response = api.post(f"/api/v1/customer-merges/{merge['id']}/undo/")
    assert response.status_code == 409

    response = api.post(
        f"/api/v1/customers/{b.code}/not-duplicate/", {"other": a.code}, format="json"
    )
    assert response.status_code == 204
    assert api.get("/api/v1/customers/duplicates/").json()["count"] == 0


def test_list_filters(staff_api, make_user):
    amy = make_user("account_manager", username="amy")
    tag = Tag.objects.create(name="wholesale")
    a = CustomerFactory(tier="vip", language="en", account_manager=amy)
    a.tags.add(tag)
    CustomerFactory()
    api = staff_api("analyst")
    for query in ("tier=vip", "language=en", "account_manager=amy", "tags=wholesale"):
        body = api.get(f"/api/v1/customers/?{query}").json()
        assert [c["code"] for c in body["results"]] == [a.code], query


def test_contacts_crud_and_primary_rule(staff_api):
    company = CustomerFactory(kind="company")
    api = staff_api("order_clerk")
    first = api.post(
        "/api/v1/contacts/",
        {"customer": company.code, "name": "李娜", "role": "buyer", "phone": "13900139000"},
        format="json",
    )
    assert first.status_code == 201, first.content
    assert first.json()["is_primary"] is True  # the first buyer
    second = api.post(
        "/api/v1/contacts/",
        {
            "customer": company.code,
            "name": "张伟",
            "role": "buyer",
            "email": "zw@example.com",
            "is_primary": True,
        },
        format="json",
    )
    assert second.status_code == 201
    primaries = Contact.objects.filter(customer=company, role="buyer", is_primary=True)
    assert [c.name for c in primaries] == ["张伟"]

    response = api.patch(
        f"/api/v1/contacts/{first.json()['id']}/", {"is_primary": True}, format="json"
    )
    assert response.status_code == 200, response.content
    primaries = Contact.objects.filter(customer=company, role="buyer", is_primary=True)
    assert [c.name for c in primaries] == ["李娜"]

    listed = api.get(f"/api/v1/contacts/?customer={company.code}").json()
    assert listed["count"] == 2
    response = api.post(
        "/api/v1/contacts/", {"customer": company.code, "name": "无"}, format="json"
    )
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]

    # Deleting deactivates (order clerks may not).
    assert api.delete(f"/api/v1/contacts/{first.json()['id']}/").status_code == 403
    manager = staff_api("account_manager")
    assert manager.delete(f"/api/v1/contacts/{first.json()['id']}/").status_code == 204
    contact = Contact.objects.get(pk=first.json()["id"])
    assert not contact.active and not contact.is_primary
    assert (
        staff_api("dispatcher")
        .post("/api/v1/contacts/", {"customer": company.code, "name": "x", "phone": "13900139001"})
        .status_code
        == 403
    )


def test_company_is_matched_through_a_contact(staff_api):
    company = CustomerFactory(kind="company", phone="02100000000")
    contact_create(customer=company, name="李娜", phone="13900139000", email="li@example.com")
    from crm.services.customers import customer_match_or_create

    assert customer_match_or_create(name="李娜", phone="+86 139 0013 9000") == (company, False)
    assert customer_match_or_create(name="李娜", email="LI@example.com") == (company, False)


def test_create_with_consent_records_when_and_where(staff_api):
    """Review: POST /customers/ with marketing_consent stored no date or source."""
    api = staff_api("order_clerk")
    response = api.post(
        "/api/v1/customers/",
        {"name": "王芳", "phone": "13800000094", "marketing_consent": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["consent_source"] == "api" and body["consent_at"]
    response = api.post(
        "/api/v1/customers/",
        {"name": "李娜", "phone": "13800000095", "marketing_consent": True, "consent_source": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "consent_source" in str(response.json())
