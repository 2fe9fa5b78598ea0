"""Warehouse staff receive goods with a barcode scanner and see stock and the
ledger change; low stock is marked."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from inventory.services import stock_receive
from tests.e2e.conftest import SCREENSHOTS
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


def test_blind_cycle_count_by_scanner_then_approved_by_another(browser, live_server, shot):
    from inventory.models import StockCount

    UserFactory(username="counter", roles=["warehouse"])
    UserFactory(username="boss", roles=["admin"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    tea = ProductFactory(sku="TEA-LJ-250", name="西湖龙井 250g", barcode="6901234567892")
    cup = ProductFactory(sku="CUP-01", name="白瓷杯")
    stock_receive(warehouse=sh, product=tea, quantity=10)
    stock_receive(warehouse=sh, product=cup, quantity=6)

    def session(username):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 860})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "s3cret-pass")
        page.click("button[type=submit]")
        return page

    counter = session("counter")
    counter.goto(f"{live_server.url}/inventory/counts/new/")
    counter.select_option("#id_warehouse", "SH01")
    counter.locator("button[type=submit]").last.click()
    expect(counter.locator("#count-status")).to_be_visible()
    expect(counter.locator("#count-lines thead")).not_to_contain_text("账面数量")  # blind
    for code, found in (("6901234567892", "9"), ("CUP-01", "6")):
        counter.fill("#id_entry-counted", found)
        counter.focus("#id_entry-product")
        counter.keyboard.type(code)
        counter.keyboard.press("Enter")
        expect(counter.locator(".alert-success")).to_be_visible()
    counter.screenshot(path=str(SCREENSHOTS / "13-count-blind.png"), full_page=True)
    counter.click("#submit-count")
    expect(counter.locator("#count-status")).to_have_text(re.compile("待审批"))

    boss = session("boss")
    number = StockCount.objects.get().number
    boss.goto(f"{live_server.url}/inventory/counts/{number}/")
    expect(boss.locator("#count-lines")).to_contain_text("盘亏")
    boss.screenshot(path=str(SCREENSHOTS / "14-count-variances.png"), full_page=True)
    boss.click("#approve-count")
    expect(boss.locator("#count-status")).to_have_text(re.compile("已过账"))
    assert StockLevel.objects.get(warehouse=sh, product=tea).on_hand == 9
    for page in (counter, boss):
        page.context.close()
