"""Customer, contact, duplicate and merge pages."""

import pytest

from crm.models import Contact, Customer, CustomerMerge, DuplicateDismissal, Tag
from crm.services.customers import contact_create
from crm.services.merge import customer_merge
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_list_leaves_merged_customers_out_and_filters(role_client, make_user):
    amy = make_user("account_manager", username="amy")
    a = CustomerFactory(name="甲", account_manager=amy)
    a.tags.add(Tag.objects.create(name="wholesale"))
    b = CustomerFactory(name="乙")
    customer_merge(survivor=a, merged=b)
    client = role_client("order_clerk")
    response = client.get("/crm/customers/", **EN)
    assert response.status_code == 200
    codes = [row["cells"][0] for row in response.context["rows"]]
    assert codes == [a.code]
    assert "wholesale" in response.content.decode()
    response = client.get("/crm/customers/?show_merged=true", **EN)
    assert [row["cells"][0] for row in response.context["rows"]] == [a.code, b.code]
    response = client.get("/crm/customers/?account_manager=amy&tags=wholesale", **EN)
    assert [row["cells"][0] for row in response.context["rows"]] == [a.code]
    response = client.get("/crm/customers/?export=csv", **EN)
    assert "wholesale" in response.content.decode("utf-8-sig")


def test_edit_page_updates_and_records_consent(role_client):
    customer = CustomerFactory(phone="13800000001")
    client = role_client("order_clerk")
    url = f"/crm/customers/{customer.code}/edit/"
    assert client.get(url, **EN).status_code == 200
    data = {
        "name": "王芳",
        "kind": "person",
        "phone": "13800000001",
        "email": "",
        "language": "zh-hans",
        "tags": "vip客户, 展会",
        "marketing_consent": "on",
        "consent_source": "",
        "note": "",
    }
    response = client.post(url, data, **EN)
    assert response.status_code == 200  # consent changed without a source
    assert "consent_source" in response.context["form"].errors
    data["consent_source"] = "in_store"
    response = client.post(url, data, **EN)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "王芳" and customer.marketing_consent
    assert customer.consent_source == "in_store" and customer.consent_at is not None
    assert sorted(customer.tags.values_list("name", flat=True)) == ["vip客户", "展会"]
    assert role_client("dispatcher").get(url).status_code == 403


def test_edit_page_of_a_merged_customer_says_so(role_client):
    a, b = CustomerFactory(), CustomerFactory()
    customer_merge(survivor=a, merged=b)
    response = role_client("account_manager").get(f"/crm/customers/{b.code}/edit/", **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "merged into" in body and a.code in body
    assert 'id="customer-form"' not in body


def test_contact_pages(role_client):
    company = CustomerFactory(kind="company")
    client = role_client("order_clerk")
    response = client.post(
        f"/crm/customers/{company.code}/contacts/new/",
        {"name": "李娜", "role": "buyer", "phone": "13900139000"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(customer=company)
    assert contact.is_primary
    response = client.post(
        f"/crm/contacts/{contact.pk}/edit/",
        {"name": "李娜", "role": "finance", "phone": "13900139000", "is_primary": "on"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.role == "finance"
    page = client.get(f"/crm/customers/{company.code}/edit/", **EN)
    assert "李娜" in page.content.decode()
    assert client.post(f"/crm/contacts/{contact.pk}/deactivate/").status_code == 302
    contact.refresh_from_db()
    assert not contact.active
    denied = role_client("dispatcher").post(
        f"/crm/customers/{company.code}/contacts/new/", {"name": "x", "phone": "13900139001"}
    )
    assert denied.status_code == 403


def test_duplicates_merge_and_undo_pages(role_client):
    a = CustomerFactory(phone="13800000001")
    b = CustomerFactory(phone="13800000001", email="b@example.com")
    c = CustomerFactory(phone="13600000001")
    d = CustomerFactory(phone="13600000001")
    contact_create(customer=b, name="乙", phone="13700000000")
    client = role_client("account_manager")

    response = client.get("/crm/duplicates/", **EN)
    assert response.status_code == 200
    assert len(response.context["pairs"]) == 2
    client.post("/crm/duplicates/dismiss/", {"first": c.code, "second": d.code})
    assert DuplicateDismissal.objects.filter(first=c, second=d).exists()
    assert len(client.get("/crm/duplicates/", **EN).context["pairs"]) == 1

    response = client.get(f"/crm/customers/{a.code}/merge/?duplicate={b.code}", **EN)
    assert response.status_code == 200
    preview = {row["key"]: row["count"] for row in response.context["preview"]}
    assert preview == {"crm.Contact.customer": 1}
    response = client.post(
        f"/crm/customers/{a.code}/merge/", {"duplicate": b.code, "reason": "同一人"}
    )
    assert response.status_code == 302
    merge = CustomerMerge.objects.get()
    assert response["Location"] == f"/crm/merges/{merge.pk}/"
    assert Customer.objects.get(pk=b.pk).merged_into_id == a.pk

    # Merging it again is refused with a message on the form.
    response = client.post(f"/crm/customers/{a.code}/merge/", {"duplicate": b.code}, **EN)
    assert response.status_code == 200
    assert "merged already" in response.content.decode()

    listing = client.get("/crm/merges/", **EN)
    assert listing.status_code == 200 and len(listing.context["rows"]) == 1
    detail = client.get(f"/crm/merges/{merge.pk}/", **EN)
    assert 'id="merge-undo"' in detail.content.decode()
    assert client.post(f"/crm/merges/{merge.pk}/undo/").status_code == 302
    assert Customer.objects.get(pk=b.pk).merged_into is None
    detail = client.get(f"/crm/merges/{merge.pk}/", **EN)
    assert 'id="merge-undo"' not in detail.content.decode()


@pytest.mark.parametrize("role", ["order_clerk", "aftersales_agent", "analyst", "dispatcher"])
def test_merge_pages_need_the_merge_permission(role_client, role):
    a, b = CustomerFactory(), CustomerFactory()
    client = role_client(role)
    assert client.get("/crm/duplicates/").status_code == 403
    assert client.get(f"/crm/customers/{a.code}/merge/?duplicate={b.code}").status_code == 403
    assert client.post(f"/crm/customers/{a.code}/merge/", {"duplicate": b.code}).status_code == 403
    assert not CustomerMerge.objects.exists()
    merge = customer_merge(survivor=a, merged=b)
    assert client.post(f"/crm/merges/{merge.pk}/undo/").status_code == 403
    expected = 200 if role == "analyst" else 403
    assert client.get("/crm/merges/").status_code == expected
