"""Customer services: matching across channels, changes, consent, contacts,
addresses and tags."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Contact, Customer, Tag
from crm.services.customers import (
    CustomerInvalid,
    address_add,
    address_set_default,
    address_update,
    consent_set,
    contact_create,
    contact_deactivate,
    contact_update,
    customer_edit,
    customer_match_or_create,
    customer_update,
    tag_add,
    tag_remove,
)
from orders.models import SalesChannel
from orders.services import LineInput, order_create
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.orders.conftest import world  # noqa: F401  (shared fixture)

pytestmark = pytest.mark.django_db


def _order(world, channel, phone, email=""):  # noqa: F811
    order, _created = order_create(
        channel=channel,
        customer={"name": "王芳", "phone": phone, "email": email},
        shipping_address={
            "recipient": "王芳",
            "phone": phone,
            "province": "上海市",
            "city": "上海市",
            "street": "人民路1号",
        },
        promised_date=timezone.localdate() + timedelta(days=5),
        lines=[LineInput(product=world["tea"], quantity=1, unit_price=Decimal("100"))],
    )
    return order


def test_orders_from_two_channels_with_one_phone_land_on_one_customer(world):  # noqa: F811
    shop = SalesChannelFactory(
        code="TMALL", kind=SalesChannel.Kind.MARKETPLACE, default_warehouse=world["sh"]
    )
    web = _order(world, world["channel"], "138 0013 8000")
    tmall = _order(world, shop, "+86 13800138000", email="wang@example.com")
    assert web.customer_id == tmall.customer_id
    assert Customer.objects.count() == 1


def test_orders_of_a_company_contact_land_on_the_company(world):  # noqa: F811
    company = CustomerFactory(kind="company", phone="02100000000")
    contact_create(customer=company, name="李娜", phone="13900139000")
    order = _order(world, world["channel"], "13900139000")
    assert order.customer == company
    # An inactive contact no longer matches.
    contact_deactivate(contact=company.contacts.get())
    assert _order(world, world["channel"], "13900139000").customer != company


def test_match_prefers_the_customer_phone_over_a_contact_and_email():
    person = CustomerFactory(phone="13900139000")
    company = CustomerFactory(kind="company", phone="02100000000", email="buy@example.com")
    contact_create(customer=company, name="李娜", phone="13900139000")
    assert customer_match_or_create(name="x", phone="13900139000") == (person, False)
    found, created = customer_match_or_create(
        name="x", phone="13500000000", email="buy@example.com"
    )
    assert (found, created) == (company, False)
    found, created = customer_match_or_create(name="新", phone="13500000000")
    assert created and found.phone == "13500000000"


def test_customer_update_checks_and_normalises(make_user):
    amy = make_user("account_manager")
    customer = CustomerFactory(phone="13800000001")
    customer = customer_update(
        customer=customer,
        name=" 王芳 ",
        phone="+86 138-0000-0002",
        email="W@Example.COM",
        language="en",
        account_manager=amy,
        note="老客户",
        tags=["wholesale", " vip ", ""],
    )
    assert (customer.name, customer.phone, customer.email) == (
        "王芳",
        "13800000002",
        "w@example.com",
    )
    assert customer.account_manager == amy and customer.note == "老客户"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["vip", "wholesale"]
    for changes, field in (
        ({"name": " "}, "name"),
        ({"phone": "", "email": ""}, "phone"),
        ({"language": "fr"}, "language"),
        ({"tier": "vip"}, "tier"),
    ):
        with pytest.raises(CustomerInvalid) as exc:
            customer_update(customer=customer, **changes)
        assert exc.value.field == field
    customer_update(customer=customer, tags=[])
    assert not customer.tags.exists()


def test_consent_records_date_and_source():
    customer = CustomerFactory()
    at = timezone.now() - timedelta(days=2)
    consent_set(customer=customer, given=True, source="web_form", at=at)
    customer.refresh_from_db()
    assert customer.marketing_consent and customer.consent_at == at
    assert customer.consent_source == "web_form"
    consent_set(customer=customer, given=False, source="phone")
    customer.refresh_from_db()
    assert not customer.marketing_consent and customer.consent_source == "phone"
    assert customer.consent_at > at
    with pytest.raises(CustomerInvalid) as exc:
        consent_set(customer=customer, given=True, source="carrier pigeon")
    assert exc.value.field == "consent_source"


def test_one_primary_contact_per_role():
    company = CustomerFactory(kind="company")
    first = contact_create(customer=company, name="甲", phone="13900000001")
    second = contact_create(customer=company, name="乙", phone="13900000002")
    finance = contact_create(customer=company, name="丙", role="finance", email="f@example.com")
    assert first.is_primary and not second.is_primary and finance.is_primary
    contact_update(contact=second, is_primary=True)
    first.refresh_from_db()
    assert not first.is_primary
    third = contact_create(customer=company, name="丁", phone="13900000003", is_primary=True)
    assert list(Contact.objects.filter(customer=company, role="buyer", is_primary=True)) == [third]
    contact_deactivate(contact=third)
    third.refresh_from_db()
    assert not third.active and not third.is_primary
    with pytest.raises(CustomerInvalid):
        contact_update(contact=third, name="x")
    with pytest.raises(CustomerInvalid) as exc:
        contact_create(customer=company, name="无")
    assert exc.value.field == "phone"


def test_addresses_and_default():
    customer = CustomerFactory()
    fields = {
        "recipient": "王芳",
        "phone": "13800000001",
        "province": "上海市",
        "city": "上海市",
        "street": "人民路1号",
    }
    first = address_add(customer=customer, **fields)
    customer.refresh_from_db()
    assert customer.default_address == first
    second = address_add(customer=customer, **{**fields, "street": "南京路2号"})
    customer.refresh_from_db()
    assert customer.default_address == first
    address_set_default(customer=customer, address=second)
    customer.refresh_from_db()
    assert customer.default_address == second
    address_update(address=first, district="黄浦区")
    first.refresh_from_db()
    assert first.district == "黄浦区"
    with pytest.raises(CustomerInvalid) as exc:
        address_add(customer=customer, **{**fields, "street": ""})
    assert exc.value.field == "street"
    other = CustomerFactory()
    with pytest.raises(CustomerInvalid):
        address_set_default(customer=other, address=first)


def test_tags_add_and_remove():
    customer = CustomerFactory()
    tag_add(customer=customer, name="wholesale")
    tag_add(customer=customer, name="wholesale")
    assert Tag.objects.count() == 1 and customer.tags.count() == 1
    tag_remove(customer=customer, name="wholesale")
    assert customer.tags.count() == 0
    with pytest.raises(CustomerInvalid):
        tag_add(customer=customer, name=" ")


def test_consent_given_at_creation_is_recorded_with_date_and_source():
    """Review: a customer created with consent had no consent date or source,
    so campaigns reached customers on an unrecorded consent."""
    from crm.services.customers import customer_create

    consenting = customer_create(name="甲", phone="13800000091", marketing_consent=True)
    assert consenting.marketing_consent is True
    assert consenting.consent_at is not None
    assert consenting.consent_source == Customer.ConsentSource.STAFF
    by_web = customer_create(
        name="乙", phone="13800000092", marketing_consent=True, consent_source="web_form"
    )
    assert by_web.consent_source == "web_form"
    silent = customer_create(name="丙", phone="13800000093")
    assert silent.consent_at is None and silent.consent_source == ""


@pytest.mark.django_db
def test_details_and_consent_change_together_or_not_at_all():
    customer = CustomerFactory(name="旧名", marketing_consent=False)
    with pytest.raises(CustomerInvalid) as err:
        customer_edit(customer=customer, name="新名", consent=True, consent_source="carrier pigeon")
    assert err.value.field == "consent_source"
    customer.refresh_from_db()
    assert customer.name == "旧名" and customer.marketing_consent is False
    customer_edit(customer=customer, name="新名", consent=True, consent_source="phone")
    customer.refresh_from_db()
    assert customer.name == "新名" and customer.marketing_consent is True
    assert customer.consent_source == "phone" and customer.consent_at is not None
