"""Products, warehouses and channels: create, change and delete by scope."""

import pytest

from inventory.models import Product, Warehouse
from inventory.services import stock_receive
from orders.models import SalesChannel
from tests.factories import ProductFactory, WarehouseFactory

WAREHOUSE = {
    "code": "HZ01",
    "name": "杭州前置仓",
    "kind": "regional",
    "city": "杭州市",
    "latitude": "30.274100",
    "longitude": "120.155100",
}


@pytest.fixture
def writer(integration):
    return integration("inventory:write inventory:read orders:write orders:read")


def test_product_change_and_delete(writer, db):
    ProductFactory(sku="TEA-1", name="旧名")
    changed = writer.patch(
        "/api/v1/products/TEA-1/", {"name": "西湖龙井", "reorder_point": 12}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["reorder_point"]) == ("西湖龙井", 12)
    assert Product.objects.get(sku="TEA-1").history.count() == 2  # created + changed, with who
    renamed = writer.patch("/api/v1/products/TEA-1/", {"sku": "TEA-2"}, format="json")
    assert renamed.status_code == 400 and "sku" in renamed.json()["error"]["fields"]
    bad = writer.patch("/api/v1/products/TEA-1/", {"barcode": "123"}, format="json")
    assert bad.status_code == 400 and "barcode" in bad.json()["error"]["fields"]
    assert writer.delete("/api/v1/products/TEA-1/").status_code == 204
    assert not Product.objects.filter(sku="TEA-1").exists()


def test_a_product_in_use_is_not_deleted_but_can_be_deactivated(writer, db):
    product = ProductFactory(sku="TEA-1")
    stock_receive(warehouse=WarehouseFactory(), product=product, quantity=1)
    refused = writer.delete("/api/v1/products/TEA-1/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "in_use"
    assert (
        writer.patch("/api/v1/products/TEA-1/", {"active": False}, format="json").json()["active"]
        is False
    )


def test_warehouse_crud(writer, db):
    created = writer.post("/api/v1/warehouses/", WAREHOUSE, format="json")
    assert created.status_code == 201, created.content
    assert writer.post("/api/v1/warehouses/", WAREHOUSE, format="json").status_code == 400
    out_of_range = writer.post(
        "/api/v1/warehouses/", {**WAREHOUSE, "code": "X", "latitude": "91"}, format="json"
    )
    assert "latitude" in out_of_range.json()["error"]["fields"]
    assert (
        writer.patch("/api/v1/warehouses/HZ01/", {"active": False}, format="json").json()["active"]
        is False
    )
    assert writer.delete("/api/v1/warehouses/HZ01/").status_code == 204
    assert not Warehouse.objects.filter(code="HZ01").exists()


def test_channel_crud(writer, db):
    WarehouseFactory(code="SH01")
    body = {"code": "XHS", "name": "小红书店铺", "kind": "social", "default_warehouse": "SH01"}
    created = writer.post("/api/v1/channels/", body, format="json")
    assert created.status_code == 201 and created.json()["default_warehouse"] == "SH01"
    changed = writer.patch("/api/v1/channels/XHS/", {"auto_confirm": True}, format="json")
    assert changed.json()["auto_confirm"] is True
    assert (
        writer.patch(
            "/api/v1/channels/XHS/", {"default_warehouse": "NOPE"}, format="json"
        ).status_code
        == 400
    )
    assert writer.delete("/api/v1/channels/XHS/").status_code == 204
    assert not SalesChannel.objects.exists()


@pytest.mark.parametrize(
    ("scopes", "method", "url"),
    [
        ("inventory:read", "patch", "/api/v1/products/TEA-1/"),
        ("inventory:read", "delete", "/api/v1/products/TEA-1/"),
        ("orders:read", "post", "/api/v1/channels/"),
        ("inventory:write", "post", "/api/v1/channels/"),
    ],
)
def test_writes_need_the_write_scope(integration, db, scopes, method, url):
    ProductFactory(sku="TEA-1")
    response = getattr(integration(scopes), method)(url, {}, format="json")
    assert response.status_code == 403


def test_roles_for_catalogue_writes(staff_api, db):
    ProductFactory(sku="TEA-1")
    assert (
        staff_api("order_clerk")
        .patch("/api/v1/products/TEA-1/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        staff_api("warehouse")
        .patch("/api/v1/products/TEA-1/", {"name": "x"}, format="json")
        .status_code
        == 200
    )
    assert staff_api("warehouse").post("/api/v1/channels/", {}, format="json").status_code == 403
