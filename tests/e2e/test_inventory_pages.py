"""Warehouse staff receive goods with a barcode scanner and see stock and the
ledger change; low stock is marked."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from inventory.services import stock_receive
from tests.factories import ProductFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_receive_by_scanner_then_see_stock_and_ledger(page, live_server, sign_in, shot):
    UserFactory(username="wangqiang", first_name="强", last_name="王", roles=["warehouse"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    WarehouseFactory(code="BJ01", name="北京区域仓")
    tea = ProductFactory(
        sku="TEA-LJ-250", name="西湖龙井 250g", barcode="6901234567892", reorder_point=10
    )
    stock_receive(warehouse=sh, product=tea, quantity=4)

    sign_in("wangqiang")
    page.goto(f"{live_server.url}/inventory/stock/")
    row = page.locator("tbody tr", has_text="TEA-LJ-250")
    expect(row).to_have_class(re.compile("table-warning"))  # 4 available <= reorder point 10
    shot("10-stock-low")

    page.goto(f"{live_server.url}/inventory/receive/")
    page.select_option("#id_warehouse", "SH01")
    page.fill("#id_quantity", "12")
    # A keyboard-wedge scanner types the code into the focused field and presses Enter.
    page.focus("#id_product")
    page.keyboard.type("6901234567892")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("TEA-LJ-250")
    expect(page.locator(".alert-success")).to_contain_text("16")
    expect(page.locator("#id_warehouse")).to_have_value("SH01")  # kept for the next scan
    expect(page.locator("#id_product")).to_be_focused()
    shot("11-received-by-scan")

    page.goto(f"{live_server.url}/inventory/products/TEA-LJ-250/")
    expect(page.locator("#levels tbody tr")).to_have_count(1)
    expect(page.locator("#levels tbody tr").first).not_to_have_class(re.compile("table-warning"))
    expect(page.locator("#ledger tbody tr")).to_have_count(2)
    expect(page.locator("#ledger tbody tr").first).to_contain_text("+12")
    shot("12-product-ledger")
    assert StockLevel.objects.get(warehouse=sh, product=tea).on_hand == 16
