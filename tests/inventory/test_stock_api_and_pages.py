import pytest

from inventory.models import StockLevel, StockMove
from inventory.services import stock_receive, stock_reserve
from tests.factories import ProductFactory, WarehouseFactory


@pytest.fixture
def stock(db):
    sh, bj = WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01")
    tea = ProductFactory(sku="TEA-1", barcode="6901234567892", reorder_point=5)
    cup = ProductFactory(sku="CUP-1", reorder_point=5)
    stock_receive(warehouse=sh, product=tea, quantity=20)
    stock_receive(warehouse=bj, product=tea, quantity=3)
    stock_receive(warehouse=sh, product=cup, quantity=8)
    stock_reserve(level_id=StockLevel.objects.get(warehouse=sh, product=cup).pk, quantity=4)
    return {"sh": sh, "bj": bj, "tea": tea, "cup": cup}


def test_stock_levels_api_filters(integration, stock):
    api = integration("inventory:read")
    rows = api.get("/api/v1/stock-levels/?sku=tea-1").json()["results"]
    assert {(r["warehouse"], r["on_hand"], r["available"]) for r in rows} == {
        ("SH01", 20, 20),
        ("BJ01", 3, 3),
    }
    low = api.get("/api/v1/stock-levels/?low=true").json()["results"]
    assert {(r["warehouse"], r["sku"]) for r in low} == {("BJ01", "TEA-1"), ("SH01", "CUP-1")}
    one = api.get("/api/v1/stock-levels/?sku=CUP-1&warehouse=SH01").json()["results"]
    assert one[0]["reserved"] == 4 and one[0]["available"] == 4


def test_stock_moves_api_receipt_transfer_and_refusals(integration, stock):
    api = integration("inventory:write inventory:read")
    receipt = api.post(
        "/api/v1/stock-moves/",
        {"kind": "receipt", "sku": "TEA-1", "warehouse": "SH01", "quantity": 5, "unit_cost": "10"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="po-77",
    )
    assert receipt.status_code == 201, receipt.content
    assert receipt.json()[0]["on_hand_after"] == 25
    again = api.post(
        "/api/v1/stock-moves/",
        {"kind": "receipt", "sku": "TEA-1", "warehouse": "SH01", "quantity": 5, "unit_cost": "10"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="po-77",
    )
    assert again.json() == receipt.json()
    assert StockLevel.objects.get(warehouse=stock["sh"], product=stock["tea"]).on_hand == 25

    transfer = api.post(
        "/api/v1/stock-moves/",
        {
            "kind": "transfer",
            "sku": "TEA-1",
            "warehouse": "SH01",
            "to_warehouse": "BJ01",
            "quantity": 5,
        },
        format="json",
    )
    assert transfer.status_code == 201
    assert [m["quantity"] for m in transfer.json()] == [-5, 5]

    too_much = api.post(
        "/api/v1/stock-moves/",
        {"kind": "scrap", "sku": "CUP-1", "warehouse": "SH01", "quantity": -5, "note": "碎了"},
        format="json",
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "insufficient_stock"

    before = StockMove.objects.count()
    for body, field in [
        ({"kind": "receipt", "sku": "NOPE", "warehouse": "SH01", "quantity": 1}, "sku"),
        ({"kind": "receipt", "sku": "TEA-1", "warehouse": "SH01", "quantity": -1}, "quantity"),
        ({"kind": "receipt", "sku": "TEA-1", "warehouse": "SH01", "quantity": "many"}, "quantity"),
        ({"kind": "transfer", "sku": "TEA-1", "warehouse": "SH01", "quantity": 1}, "to_warehouse"),
        ({"kind": "teleport", "sku": "TEA-1", "warehouse": "SH01", "quantity": 1}, "kind"),
    ]:
        response = api.post("/api/v1/stock-moves/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], response.json()
    assert StockMove.objects.count() == before


def test_stock_page_marks_low_stock(role_client, stock):
    body = role_client("warehouse").get("/inventory/stock/?warehouse=BJ01").content.decode()
    assert 'class="table-warning"' in body
    assert "TEA-1" in body
    body = role_client("warehouse").get("/inventory/stock/?low=false").content.decode()
    assert 'class="table-warning"' not in body


def test_product_page_shows_levels_and_ledger(role_client, stock):
    body = role_client("order_clerk").get("/inventory/products/TEA-1/").content.decode()
    assert "SH01" in body and "BJ01" in body
    assert body.count("<tr>") + body.count('<tr class="table-warning">') >= 4
    assert "入库" in body  # the receipts, by kind


def test_receive_page_by_barcode_scan(role_client, stock):
    client = role_client("warehouse")
    response = client.post(
        "/inventory/receive/", {"warehouse": "SH01", "product": "6901234567892", "quantity": 2}
    )
    assert response.status_code == 302
    assert response["Location"] == "/inventory/receive/?warehouse=SH01"
    assert StockLevel.objects.get(warehouse=stock["sh"], product=stock["tea"]).on_hand == 22
    page = client.get(response["Location"]).content.decode()
    assert "TEA-1" in page and "22" in page  # the confirmation message
    unknown = client.post(
        "/inventory/receive/", {"warehouse": "SH01", "product": "999", "quantity": 1}
    )
    assert unknown.status_code == 200
    assert "999" in unknown.content.decode()


def test_transfer_page_refuses_reserved_stock(role_client, stock):
    client = role_client("warehouse")
    response = client.post(
        "/inventory/transfer/",
        {"product": "CUP-1", "source": "SH01", "destination": "BJ01", "quantity": 5},
    )
    assert response.status_code == 200
    assert "CUP-1" in response.content.decode()  # the insufficient-stock message names it
    ok = client.post(
        "/inventory/transfer/",
        {"product": "cup-1", "source": "SH01", "destination": "BJ01", "quantity": 4},
    )
    assert ok.status_code == 302


@pytest.mark.parametrize(
    ("role", "url", "expected"),
    [
        ("order_clerk", "/inventory/receive/", 403),
        ("analyst", "/inventory/transfer/", 403),
        ("dispatcher", "/inventory/stock/", 403),
        ("analyst", "/inventory/stock/", 200),
        ("order_clerk", "/inventory/moves/", 200),
        ("warehouse", "/inventory/receive/", 200),
    ],
)
def test_stock_pages_by_role(role_client, stock, role, url, expected):
    assert role_client(role).get(url).status_code == expected
