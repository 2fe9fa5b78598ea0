from decimal import Decimal

import pytest

from inventory.models import Product
from inventory.services import ProductInvalid, gtin_is_valid, product_create


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("6901234567892", True),
        ("6901234567891", False),
        ("4006381333931", True),
        ("96385074", True),
        ("12345", False),
        ("690123456789X", False),
    ],
)
def test_gtin_check_digit(code, valid):
    assert gtin_is_valid(code) is valid


@pytest.mark.django_db
def test_product_create_normalises_and_validates():
    product = product_create(sku=" tea-1 ", name="龙井", barcode="6901234567892")
    assert product.sku == "TEA-1"
    assert product.currency == "CNY"
    with pytest.raises(ProductInvalid) as exc:
        product_create(sku="TEA-1", name="again")
    assert exc.value.field == "sku"
    with pytest.raises(ProductInvalid) as exc:
        product_create(sku="TEA-2", name="x", barcode="6901234567892")
    assert exc.value.field == "barcode"
    with pytest.raises(ProductInvalid) as exc:
        product_create(sku="TEA-3", name="x", barcode="6901234567891")
    assert exc.value.field == "barcode"
    with pytest.raises(ProductInvalid):
        product_create(sku="TEA-4", name="x", list_price=Decimal("-1"))
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_product_api_create_and_read(integration):
    writer = integration("inventory:write inventory:read")
    response = writer.post(
        "/api/v1/products/",
        {
            "sku": "TEA-LJ-250",
            "name": "西湖龙井 250g",
            "barcode": "6901234567892",
            "list_price": "168",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["list_price"] == "168.00"
    got = writer.get("/api/v1/products/TEA-LJ-250/").json()
    assert got["name"] == "西湖龙井 250g"
    bad = writer.post(
        "/api/v1/products/", {"sku": "X", "name": "x", "list_price": "-5"}, format="json"
    )
    assert bad.status_code == 400
    assert "list_price" in bad.json()["error"]["fields"]
