from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from logistics.models import SensorReading, Shipment, TrackingDevice, device_token_digest
from logistics.services import shipment_create, shipment_dispatch
from orders.services import order_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world, weighed, stock, place):
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    order = place(("tea", 2), ("cup", 3))
    order_confirm(order=order)
    return order


def test_board_shows_shipments_in_their_status_columns(order, world, role_client, packed, carrier):
    planned = shipment_create(order=order, warehouse=world["sh"], lines=[(1, 1)])
    moving = shipment_create(order=order, warehouse=world["sh"], lines=[(2, 3)])
    packed(moving)
    shipment_dispatch(shipment=moving, carrier=carrier, tracking_number="SF9")
    page = role_client("dispatcher").get("/logistics/shipments/board/")
    assert page.status_code == 200
    html = page.content.decode()
    planned_column = html.split('id="column-planned"')[1].split("</section>")[0]
    assert planned.number in planned_column and moving.number not in planned_column
    dispatched_column = html.split('id="column-dispatched"')[1].split("</section>")[0]
    assert moving.number in dispatched_column and "SF9" in dispatched_column
    filtered = role_client("dispatcher").get("/logistics/shipments/board/?carrier=SF")
    assert planned.number not in filtered.content.decode()


def test_detail_shows_timeline_chart_and_the_dispatchers_actions(
    order, world, role_client, packed, carrier
):
    shipment = shipment_create(
        order=order, warehouse=world["sh"], temperature_range=(Decimal("2"), Decimal("8"))
    )
    packed(shipment)
    device = TrackingDevice.objects.create(
        device_id="T-1", token_digest=device_token_digest("x"), token_prefix="x", shipment=shipment
    )
    start = timezone.now() - timedelta(hours=2)
    SensorReading.objects.bulk_create(
        SensorReading(
            device=device,
            shipment=shipment,
            recorded_at=start + timedelta(minutes=10 * i),
            temperature=Decimal("5") + i,
            humidity=Decimal("60"),
        )
        for i in range(6)
    )
    dispatcher = role_client("dispatcher")
    html = dispatcher.get(f"/logistics/shipments/{shipment.number}/").content.decode()
    assert 'id="sensor-chart"' in html and 'class="temperature"' in html
    assert 'class="allowed-range"' in html
    assert 'id="action-dispatch"' in html
    assert 'id="action-cancel"' in html
    assert html.count('data-kind="status"') == 3  # planned, picking, packed

    done = dispatcher.post(
        f"/logistics/shipments/{shipment.number}/dispatch/",
        {"carrier": carrier.pk, "tracking_number": "SF77"},
        follow=True,
    )
    assert "SF77" in done.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED

    # A warehouse user sees the shipment but none of the dispatcher's actions.
    seen = role_client("warehouse").get(f"/logistics/shipments/{shipment.number}/")
    assert seen.status_code == 200
    assert 'id="shipment-actions"' not in seen.content.decode()
    refused = role_client("warehouse").post(
        f"/logistics/shipments/{shipment.number}/deliver/", {"recipient_name": "x"}
    )
    assert refused.status_code == 403


def test_cancel_without_a_reason_is_refused_with_a_message(order, world, role_client):
    shipment = shipment_create(order=order, warehouse=world["sh"])
    page = role_client("dispatcher").post(
        f"/logistics/shipments/{shipment.number}/cancel/", {"reason": ""}, follow=True
    )
    assert "该字段是必填项" in page.content.decode()  # "This field is required."
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PLANNED


def test_plan_a_shipment_from_the_order_page(order, role_client):
    client = role_client("warehouse")
    order_page = client.get(f"/orders/orders/{order.number}/").content.decode()
    assert 'id="plan-shipment"' in order_page
    form = client.get(f"/logistics/shipments/new/{order.number}/")
    assert form.status_code == 200
    too_many = client.post(
        f"/logistics/shipments/new/{order.number}/",
        {"warehouse": "SH01", "line_1": 5, "line_2": 0},
    )
    assert "确保该值小于或等于2" in too_many.content.decode()  # "... less than or equal to 2"
    made = client.post(
        f"/logistics/shipments/new/{order.number}/",
        {"warehouse": "SH01", "line_1": 2, "line_2": 1},
        follow=True,
    )
    shipment = Shipment.objects.get()
    assert shipment.number in made.content.decode()
    assert {(sl.order_line.line_no, sl.quantity) for sl in shipment.lines.all()} == {
        (1, 2),
        (2, 1),
    }
    after = client.get(f"/orders/orders/{order.number}/").content.decode()
    assert shipment.number in after


def test_carbon_report_sums_per_carrier_and_month(order, world, role_client, packed, carrier):
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier)
    html = role_client("analyst").get("/logistics/shipments/carbon/").content.decode()
    assert "顺丰速运" in html
    assert f"{shipment.co2e_kg:.2f}" in html.split('id="carbon-total"')[1][:40]


def test_pages_refuse_roles_without_logistics_access(order, role_client, client):
    for url in (
        "/logistics/shipments/board/",
        "/logistics/shipments/",
        "/logistics/shipments/carbon/",
    ):
        assert role_client("account_manager").get(url).status_code == 403
        assert client.get(url).status_code == 302
    assert (
        role_client("order_clerk").get(f"/logistics/shipments/new/{order.number}/").status_code
        == 403
    )


def test_dispatcher_resolves_an_exception_from_the_shipment_page(
    order, world, role_client, packed, carrier
):
    from logistics.models import ShipmentException
    from logistics.services import exception_open

    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment_dispatch(shipment=shipment, carrier=carrier)
    exception, _created = exception_open(
        shipment=shipment, kind=ShipmentException.Kind.DAMAGED, details="外箱破损"
    )
    dispatcher = role_client("dispatcher")
    page = dispatcher.get(f"/logistics/shipments/{shipment.number}/").content.decode()
    assert 'id="open-exceptions"' in page and "外箱破损" in page
    url = f"/logistics/exceptions/{exception.pk}/resolve/"
    assert f'action="{url}"' in page
    assert role_client("aftersales_agent").post(url, {"resolution": "x"}).status_code == 403
    dispatcher.post(url, {"resolution": ""})
    exception.refresh_from_db()
    assert exception.status == ShipmentException.Status.OPEN
    dispatcher.post(url, {"resolution": "已补发"})
    exception.refresh_from_db()
    assert exception.status == ShipmentException.Status.RESOLVED
    assert exception.resolution == "已补发"
