import pytest

from crm.models import Customer
from crm.services import CustomerInvalid, customer_create, phone_normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("+1 415 555 0100", "+14155550100"),
        ("", ""),
    ],
)
def test_phone_is_normalised(raw, expected):
    assert phone_normalise(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12", "138001380001380013800"])
def test_bad_phone_is_refused(raw):
    with pytest.raises(CustomerInvalid) as exc:
        phone_normalise(raw)
    assert exc.value.field == "phone"


@pytest.mark.django_db
def test_customer_gets_the_next_code_and_default_address():
    first = customer_create(name="甲", phone="13800000001")
    second = customer_create(
        name="乙",
        email="B@Example.com",
        address={
            "recipient": "乙",
            "phone": "1",
            "province": "上海市",
            "city": "上海市",
            "street": "路",
        },
    )
    assert first.code == f"C{first.pk:06d}"
    assert second.code == f"C{second.pk:06d}"
    assert second.email == "b@example.com"
    assert second.default_address.customer == second


@pytest.mark.django_db
def test_duplicate_code_and_missing_contact_are_refused():
    customer_create(name="甲", phone="13800000001", code="VIP001")
    with pytest.raises(CustomerInvalid) as exc:
        customer_create(name="乙", phone="13800000002", code="VIP001")
    assert exc.value.field == "code"
    with pytest.raises(CustomerInvalid) as exc:
        customer_create(name="丙")
    assert exc.value.field == "phone"
    assert Customer.objects.count() == 1
