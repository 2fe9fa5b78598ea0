"""Warehouse staff start a pick wave and pack a shipment on the scan bench;
a dispatcher sends it off with a courier and sees its status and timeline
change; a day's dispatch plan is solved and drawn as routes."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.services import stock_receive
from logistics.models import Carrier, DispatchPlan, PickWave, Shipment
from logistics.services import (
    carrier_create,
    pack_scan,
    plan_create,
    shipment_create,
    vehicle_create,
    wave_create,
)
from orders.models import SalesChannel
from orders.services import LineInput, order_confirm, order_create
from tests.factories import ProductFactory, SalesChannelFactory, UserFactory, WarehouseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEA_BARCODE = "6901234567809"
SPOON_BARCODE = "6901234567892"  # a product in stock, but on no shipment here


@pytest.fixture
def shop():
    """The Shanghai warehouse with tea, cups and spoons on the shelves, a web
    shop that ships from it, and a way to plan a shipment of an order."""
    sh = WarehouseFactory(
        code="SH01",
        name="上海中心仓",
        city="上海市",
        latitude=Decimal("31.230000"),
        longitude=Decimal("121.470000"),
    )
    products = {
        "tea": ProductFactory(
            sku="TEA-LJ-250",
            name="西湖龙井 250g",
            barcode=TEA_BARCODE,
            weight_kg=Decimal("0.5"),
            volume_m3=Decimal("0.002"),
        ),
        "cup": ProductFactory(
            sku="CUP-CL-01",
            name="青瓷茶杯",
            weight_kg=Decimal("0.3"),
            volume_m3=Decimal("0.001"),
        ),
        "spoon": ProductFactory(sku="SPOON-01", name="茶匙", barcode=SPOON_BARCODE),
    }
    for product in products.values():
        stock_receive(warehouse=sh, product=product, quantity=100)
    channel = SalesChannelFactory(
        code="WEB", name="官网商城", kind=SalesChannel.Kind.WEB_STORE, default_warehouse=sh
    )

    def planned(*lines, recipient="周杰", point=None, window=None):
        order, _created = order_create(
            channel=channel,
            customer={"name": recipient, "phone": "13900000009"},
            shipping_address={"recipient": recipient, "city": "上海市", "street": "南京东路300号"},
            lines=[
                LineInput(product=products[sku], quantity=qty, unit_price=Decimal("50.00"))
                for sku, qty in lines
            ],
        )
        order_confirm(order=order)
        start, end = window or (None, None)
        return shipment_create(
            order=order,
            warehouse=sh,
            destination=("上海市", *point) if point else None,
            window_start=start,
            planned_delivery_at=end,
        )

    return {"sh": sh, "planned": planned, **products}


def test_wave_pack_by_scan_then_dispatch_with_a_courier(page, live_server, sign_in, shot, shop):
    UserFactory(username="wangqiang", first_name="强", last_name="王", roles=["warehouse"])
    UserFactory(username="liuyang", first_name="洋", last_name="刘", roles=["dispatcher"])
    carrier_create(
        code="SF",
        name="顺丰速运",
        mode=Carrier.Mode.COURIER,
        tracking_url_template="https://www.sf-express.com/track?no={number}",
    )
    shipment = shop["planned"](("tea", 2), ("cup", 1))

    # The warehouse user starts a wave for the Shanghai warehouse's planned shipment.
    sign_in("wangqiang")
    page.goto(f"{live_server.url}/logistics/waves/new/")
    page.select_option("#id_warehouse", label="SH01 上海中心仓")  # htmx reloads the list
    choice = page.locator("#wave-shipments .form-check", has_text=shipment.number)
    expect(choice).to_have_count(1)
    choice.locator("input[type=checkbox]").check()
    shot("40-wave-new")
    page.click("#wave-form button[type=submit]")

    wave = PickWave.objects.get()
    expect(page).to_have_url(re.compile(rf"/logistics/waves/{wave.number}/$"))
    expect(page.locator("#wave-status")).to_have_attribute("data-status", "open")
    expect(page.locator("#wave-status")).to_have_text("拣货中")
    expect(page.locator("#pick-list tbody tr")).to_have_count(2)
    expect(page.locator("#pick-list tbody")).to_contain_text("TEA-LJ-250")
    expect(page.locator("#pick-list tbody")).to_contain_text("CUP-CL-01")
    expect(page.locator("#wave-progress")).to_contain_text("0/3")  # 0 of 3 units picked
    shot("41-wave-pick-list")

    # From the wave to the pack bench; a keyboard-wedge scanner types and presses Enter.
    row = page.locator("#wave-shipments tbody tr", has_text=shipment.number)
    row.get_by_role("link", name="打包").click()
    expect(page).to_have_url(re.compile(rf"/logistics/shipments/{shipment.number}/pack/$"))
    scan = page.locator("#scan-code")
    expect(scan).to_be_focused()
    expect(page.locator("#pack-progress")).to_contain_text("0/3")

    def scan_code(code: str) -> None:
        page.locator("#scan-code").fill(code)
        page.locator("#scan-code").press("Enter")

    scan_code(SPOON_BARCODE)  # spoons: not on this shipment
    error = page.locator("#scan-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("SPOON-01")
    expect(page.locator("#scan-code")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#scan-code")).to_be_focused()  # the next scan goes straight in
    expect(page.locator("#pack-lines .line-packed")).to_have_text(["0", "0"])
    shot("42-pack-wrong-scan")

    scan_code(TEA_BARCODE)
    expect(page.locator("#scan-ok")).to_contain_text("TEA-LJ-250")
    expect(page.locator("#scan-ok")).to_contain_text("1/2")
    expect(page.locator("#scan-error")).to_have_count(0)
    expect(page.locator("#scan-code")).to_be_focused()
    scan_code(TEA_BARCODE)
    expect(page.locator('#pack-lines tr[data-sku="TEA-LJ-250"]')).to_have_class(
        re.compile("table-success")
    )
    scan_code("cup-cl-01")  # a typed SKU, any case
    expect(page.locator("#packed-message")).to_be_visible()
    expect(page.locator("#shipment-status")).to_have_attribute("data-status", "packed")
    expect(page.locator("#shipment-status")).to_have_text("已打包")
    expect(page.locator("#pack-progress")).to_contain_text("3/3")
    expect(page.locator("#scan-form")).to_have_count(0)
    expect(page.locator("#label-link")).to_have_attribute(
        "href", f"/logistics/shipments/{shipment.number}/label.pdf"
    )
    expect(page.locator("#slip-link")).to_be_visible()
    shot("43-pack-done")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED

    # The dispatcher sends the box off with a courier.
    page.context.clear_cookies()
    sign_in("liuyang")
    page.goto(f"{live_server.url}/logistics/shipments/{shipment.number}/")
    expect(page.locator("#shipment-status")).to_have_text("已打包")
    timeline = page.locator("#timeline tbody tr")
    expect(timeline).to_have_count(6)  # planned, picking, 3 scans, packed
    expect(page.locator('#timeline tr[data-kind="scan"]')).to_have_count(3)
    dispatch = page.locator("#action-dispatch")
    dispatch.locator("select[name=carrier]").select_option(label="顺丰速运")
    dispatch.locator("input[name=tracking_number]").fill("SF1234567890")
    dispatch.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/logistics/shipments/{shipment.number}/$"))
    expect(page.locator(".alert-success")).to_contain_text(shipment.number)
    expect(page.locator(".alert-success")).to_contain_text("已出库")
    expect(page.locator("#shipment-status")).to_have_attribute("data-status", "dispatched")
    expect(page.locator("#shipment-status")).to_have_text("已出库")
    expect(page.locator("#tracking-link")).to_have_text("SF1234567890")
    expect(page.locator("#tracking-link")).to_have_attribute(
        "href", "https://www.sf-express.com/track?no=SF1234567890"
    )
    expect(timeline).to_have_count(7)
    newest = timeline.last
    expect(newest).to_have_attribute("data-kind", "status")
    expect(newest).to_contain_text("已打包 → 已出库")
    expect(newest).to_contain_text("刘洋")
    expect(page.locator("#action-dispatch")).to_have_count(0)
    shot("44-shipment-dispatched")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == (
        Shipment.Status.DISPATCHED,
        "SF1234567890",
    )
    assert shipment.carrier.code == "SF"


def test_dispatcher_solves_the_days_plan_and_sees_the_routes(
    page, live_server, sign_in, shot, shop
):
    UserFactory(username="liuyang", first_name="洋", last_name="刘", roles=["dispatcher"])
    own = carrier_create(code="OWN", name="自有车队", mode=Carrier.Mode.ROAD, own_fleet=True)
    van = vehicle_create(
        plate="沪A·D1234",
        depot=shop["sh"],
        capacity_kg=500,
        capacity_m3=Decimal("3"),
        carrier=own,
    )
    day = timezone.localdate() + timedelta(days=1)
    tz = timezone.get_current_timezone()
    window = (
        datetime.combine(day, time(9), tz),
        datetime.combine(day, time(18), tz),
    )
    points = [  # across Shanghai, around the depot at (31.23, 121.47)
        (Decimal("31.236300"), Decimal("121.480300")),
        (Decimal("31.188600"), Decimal("121.436800")),
        (Decimal("31.300500"), Decimal("121.514000")),
        (Decimal("31.228600"), Decimal("121.544700")),
        (Decimal("31.111300"), Decimal("121.385300")),
    ]
    shipments = [shop["planned"](("tea", 1), point=p, window=window) for p in points]
    wave_create(warehouse=shop["sh"], shipments=shipments)
    for shipment in shipments:
        pack_scan(shipment=shipment, code=TEA_BARCODE)
    plan = plan_create(
        depot=shop["sh"], date=day, shipments=shipments, vehicles=[van], time_limit_seconds=1
    )

    sign_in("liuyang")
    page.goto(f"{live_server.url}/logistics/dispatch-plans/{plan.number}/")
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#not-solved")).to_be_visible()
    expect(page.locator("#route-map g.waiting")).to_have_count(5)  # drawn, not routed yet
    expect(page.locator("#route-map polyline.route-line")).to_have_count(0)
    shot("45-plan-draft")

    page.click("#action-solve button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(plan.number)
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "solved")
    expect(page.locator("#plan-status")).to_have_text("已求解")
    route = page.locator('#route-map g.route[data-vehicle="沪A·D1234"]')
    expect(route).to_have_count(1)
    line = route.locator("polyline.route-line")
    expect(line).to_have_count(1)
    points_attr = line.get_attribute("points") or ""
    corners = points_attr.split()
    assert len(corners) == 7  # depot, five stops, depot
    assert corners[0] == corners[-1]
    assert len(set(corners[1:-1])) == 5  # five different places
    expect(route.locator("g.stop")).to_have_count(5)
    expect(page.locator("#route-map g.waiting")).to_have_count(0)
    expect(page.locator("#route-map g.depot")).to_have_count(1)
    expect(page.locator("#route-legend")).to_contain_text("沪A·D1234")
    stops = page.locator(".dispatch-route .route-stops tbody tr")
    expect(stops).to_have_count(5)
    expect(page.locator(".dispatch-route .bi-exclamation-triangle")).to_have_count(0)  # in window
    expect(page.locator("#total-km")).to_have_text(re.compile(r"^\d+(\.\d)?$"))
    shot("46-plan-solved")
    plan.refresh_from_db()
    assert plan.status == DispatchPlan.Status.SOLVED
    assert plan.total_distance_m <= plan.baseline_distance_m
