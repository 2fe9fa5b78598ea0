"""An order clerk takes a phone order for a stocked product, confirms it on
its page and sees stock reserved; the order is listed."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import Order, SalesChannel
from orders.services import LineInput, order_create
from tests.factories import ProductFactory, SalesChannelFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_phone_order_entered_confirmed_and_listed(page, live_server, sign_in, shot):
    UserFactory(username="lina", first_name="娜", last_name="李", roles=["order_clerk"])
    sh = WarehouseFactory(code="SH01", name="上海中心仓")
    phone = SalesChannelFactory(
        code="PHONE", name="电话订购", kind=SalesChannel.Kind.PHONE, default_warehouse=sh
    )
    tea = ProductFactory(sku="TEA-LJ-250", name="西湖龙井 250g", list_price="168.00")
    cup = ProductFactory(sku="CUP-CL-01", name="青瓷茶杯", list_price="25.00")
    stock_receive(warehouse=sh, product=tea, quantity=20)
    urgent, _created = order_create(  # promised for today: at risk
        channel=phone,
        customer={"name": "周杰", "phone": "13900000009"},
        shipping_address={"recipient": "周杰", "city": "上海市", "street": "南京路1号"},
        lines=[LineInput(product=cup, quantity=2, unit_price=Decimal("25.00"))],
        promised_date=timezone.localdate(),
    )

    sign_in("lina")
    page.goto(f"{live_server.url}/orders/orders/new/")
    expect(page.locator("#id_name")).to_be_focused()
    expect(page.locator("datalist#product-options option")).to_have_count(2)
    page.select_option("#id_channel", "PHONE")
    page.fill("#id_name", "赵敏")
    page.fill("#id_phone", "138 1111 2222")
    page.fill("#id_province", "浙江省")
    page.fill("#id_city", "杭州市")
    page.fill("#id_district", "西湖区")
    page.fill("#id_street", "文三路100号")
    page.fill("#id_promised_date", "2031-05-20")
    page.fill("#id_lines-0-product", "TEA-LJ-250")
    page.fill("#id_lines-0-quantity", "3")
    # Enter in a product field (a scanner's Enter) must not send a half-typed order.
    page.press("#id_lines-0-product", "Enter")
    expect(page).to_have_url(re.compile(r"/orders/orders/new/$"))
    assert Order.objects.count() == 1  # only the urgent one
    shot("20-order-entry")

    page.click("#save-order")
    order = Order.objects.exclude(pk=urgent.pk).get()
    expect(page).to_have_url(re.compile(rf"/orders/orders/{order.number}/$"))
    expect(page.locator(".alert-success")).to_contain_text(order.number)
    expect(page.locator("#order-status")).to_have_attribute("data-status", "pending")
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator("#lines tbody tr").first).to_contain_text("TEA-LJ-250")
    expect(page.locator("#lines .line-reserved")).to_have_text("0")
    expect(page.locator("#no-reservations")).to_be_visible()
    expect(page.locator("#order-total")).to_contain_text("504.00")  # 3 × list price 168

    page.click("#action-confirm button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(order.number)
    expect(page.locator("#order-status")).to_have_attribute("data-status", "confirmed")
    expect(page.locator("#reservations tbody tr")).to_have_count(1)
    reservation = page.locator("#reservations tbody tr").first
    expect(reservation).to_have_attribute("data-status", "active")
    expect(reservation.locator(".reservation-warehouse")).to_have_text("SH01")
    expect(reservation).to_contain_text("3")
    expect(page.locator("#lines .line-reserved")).to_have_text("3")
    expect(page.locator("#action-confirm")).to_have_count(0)
    expect(page.locator('#timeline tr[data-kind="allocated"]')).to_have_count(1)
    shot("21-order-detail-confirmed")
    level = StockLevel.objects.get(warehouse=sh, product=tea)
    assert (level.on_hand, level.reserved) == (20, 3)

    page.click(".breadcrumb a")
    expect(page).to_have_url(re.compile(r"/orders/orders/$"))
    row = page.locator("tbody tr", has_text=order.number)
    expect(row).to_have_count(1)
    expect(row).not_to_have_class(re.compile("table-warning"))  # promised far ahead
    urgent_row = page.locator("tbody tr", has_text=urgent.number)
    expect(urgent_row).to_have_class(re.compile("table-warning"))
    shot("22-order-list")
