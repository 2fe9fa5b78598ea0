import pytest

from inventory.models import StockCount, StockLevel
from inventory.services import stock_receive
from tests.factories import ProductFactory, WarehouseFactory


@pytest.fixture
def shelf(db):
    sh = WarehouseFactory(code="SH01")
    tea = ProductFactory(sku="TEA-1", barcode="6901234567892")
    cup = ProductFactory(sku="CUP-1")
    stock_receive(warehouse=sh, product=tea, quantity=10)
    stock_receive(warehouse=sh, product=cup, quantity=20)
    return sh


def test_count_through_the_api(integration, shelf):
    counter, manager = (
        integration("inventory:write inventory:read"),
        integration("inventory:write inventory:read"),
    )
    opened = counter.post("/api/v1/stock-counts/", {"warehouse": "SH01"}, format="json")
    assert opened.status_code == 201, opened.content
    number = opened.json()["number"]
    assert {line["expected"] for line in opened.json()["lines"]} == {None}  # blind while open
    entered = counter.post(
        f"/api/v1/stock-counts/{number}/count/",
        {"lines": [{"sku": "TEA-1", "counted": 8}, {"sku": "CUP-1", "counted": 20}]},
        format="json",
    )
    assert entered.status_code == 200
    submitted = counter.post(f"/api/v1/stock-counts/{number}/submit/", format="json").json()
    assert {line["sku"]: line["variance"] for line in submitted["lines"]} == {
        "TEA-1": -2,
        "CUP-1": 0,
    }
    own = counter.post(f"/api/v1/stock-counts/{number}/approve/", format="json")
    assert own.status_code == 409  # the submitter cannot approve
    posted = manager.post(f"/api/v1/stock-counts/{number}/approve/", format="json")
    assert posted.status_code == 200 and posted.json()["status"] == "posted"
    assert StockLevel.objects.get(warehouse=shelf, product__sku="TEA-1").on_hand == 8
    bad = counter.post(
        "/api/v1/stock-counts/", {"warehouse": "SH01", "skus": ["NOPE"]}, format="json"
    )
    assert bad.status_code == 400 and "skus" in bad.json()["error"]["fields"]


def test_count_pages_blind_then_variances(role_client, make_user, shelf):
    counter = role_client("warehouse")
    response = counter.post(
        "/inventory/counts/new/", {"warehouse": "SH01", "skus": "", "blind": "on"}
    )
    assert response.status_code == 302
    count = StockCount.objects.get()
    page = counter.get(response["Location"]).content.decode()
    assert "TEA-1" in page and 'id="count-entry"' in page
    assert "<th>预期" not in page and "variance" not in page  # books hidden while blind and open
    scanned = counter.post(
        response["Location"], {"entry-product": "6901234567892", "entry-counted": "7"}
    )
    assert scanned.status_code == 302
    counter.post(response["Location"], {"entry-product": "CUP-1", "entry-counted": "21"})
    counter.post(f"/inventory/counts/{count.number}/submit/")
    count.refresh_from_db()
    assert count.status == "submitted"
    manager = role_client("admin")
    page = manager.get(
        f"/inventory/counts/{count.number}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "-3" in page and "+1" in page and 'id="approve-count"' in page
    manager.post(f"/inventory/counts/{count.number}/approve/")
    count.refresh_from_db()
    assert count.status == "posted"
    assert StockLevel.objects.get(warehouse=shelf, product__sku="TEA-1").on_hand == 7


@pytest.mark.parametrize(("role", "expected"), [("order_clerk", 403), ("analyst", 403)])
def test_count_actions_need_the_role(role_client, shelf, role, expected):
    from inventory.services import stock_count_open

    count = stock_count_open(warehouse=shelf)
    client = role_client(role)
    assert client.get(f"/inventory/counts/{count.number}/").status_code == 200  # may look
    assert client.post(f"/inventory/counts/{count.number}/cancel/").status_code == expected
    assert (
        client.post(
            f"/inventory/counts/{count.number}/", {"entry-product": "TEA-1", "entry-counted": "1"}
        ).status_code
        == expected
    )
    assert client.get("/inventory/counts/new/").status_code == expected
