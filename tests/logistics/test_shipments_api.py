import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory.models import StockMove
from logistics.models import Shipment
from orders.models import Order
from orders.services import order_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world, weighed, stock, place):
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    order = place(("tea", 2), ("cup", 3))
    order_confirm(order=order)
    return order


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return SimpleUploadedFile("pod.png", buffer.getvalue(), content_type="image/png")


def test_dispatcher_creates_ships_and_delivers_over_the_api(
    order, staff_api, carrier, packed, settings, tmp_path
):
    api = staff_api("dispatcher")
    created = api.post(
        "/api/v1/shipments/",
        {"order": order.number, "lines": [{"line": 1, "quantity": 2}], "carrier": "SF"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "planned"
    assert body["warehouse"] == "SH01"  # the only warehouse holding the order's stock
    assert body["lines"] == [
        {
            "line": 1,
            "sku": "TEA-1",
            "name": order.lines.get(line_no=1).name,
            "quantity": 2,
            "quantity_picked": 0,
            "quantity_packed": 0,
        }
    ]
    assert body["allowed_transitions"] == ["cancelled", "picking"]
    number = body["number"]

    packed(Shipment.objects.get(number=number))
    dispatched = api.post(
        f"/api/v1/shipments/{number}/dispatch/", {"tracking_number": "SF1234"}, format="json"
    )
    assert dispatched.status_code == 200, dispatched.content
    assert dispatched.json()["status"] == "dispatched"
    assert dispatched.json()["tracking_url"] == "https://www.sf-express.com/track?no=SF1234"
    assert Decimal(dispatched.json()["co2e_kg"]) >= 0
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert StockMove.objects.filter(reference=number).count() == 1

    moved = api.post(
        f"/api/v1/shipments/{number}/transition/", {"status": "in_transit"}, format="json"
    )
    assert moved.json()["status"] == "in_transit"
    settings.MEDIA_ROOT = tmp_path
    delivered = api.post(
        f"/api/v1/shipments/{number}/deliver/",
        {"recipient_name": "王芳", "latitude": "31.2304", "longitude": "121.4737", "photo": _png()},
        format="multipart",
    )
    assert delivered.status_code == 200, delivered.content
    proof = delivered.json()["proof_of_delivery"]
    assert proof["recipient_name"] == "王芳"
    assert proof["photo"].endswith(".png")
    assert [e["to_status"] for e in delivered.json()["events"] if e["kind"] == "status"] == [
        "planned",
        "picking",
        "packed",
        "dispatched",
        "in_transit",
        "delivered",
    ]

    listed = api.get("/api/v1/shipments/?status=delivered&carrier=SF").json()
    assert [row["number"] for row in listed["results"]] == [number]
    carbon = api.get("/api/v1/shipments/carbon/").json()
    assert [(row["carrier"], row["shipments"]) for row in carbon] == [("SF", 1)]


def test_bad_input_is_refused_with_the_field_and_nothing_is_written(order, staff_api):
    api = staff_api("dispatcher")
    unknown = api.post("/api/v1/shipments/", {"order": "SO-NOPE"}, format="json")
    assert unknown.status_code == 400
    assert "order" in unknown.json()["error"]["fields"]
    too_many = api.post(
        "/api/v1/shipments/",
        {"order": order.number, "lines": [{"line": 2, "quantity": 4}]},
        format="json",
    )
    assert too_many.status_code == 409
    assert "lines[0].quantity" in too_many.json()["error"]["fields"]
    half_point = api.post(
        "/api/v1/shipments/", {"order": order.number, "latitude": "31.2"}, format="json"
    )
    assert half_point.status_code == 400
    assert "longitude" in half_point.json()["error"]["fields"]
    bad_lat = api.post(
        "/api/v1/shipments/",
        {"order": order.number, "latitude": "131.2", "longitude": "121"},
        format="json",
    )
    assert bad_lat.status_code == 400
    assert "latitude" in bad_lat.json()["error"]["fields"]
    assert Shipment.objects.count() == 0
    missing = api.post("/api/v1/shipments/SH-NOPE/dispatch/", {}, format="json")
    assert missing.status_code == 404


def test_who_may_do_what(order, staff_api, integration, client):
    assert client.get("/api/v1/shipments/").status_code in (401, 403)
    clerk = staff_api("order_clerk")
    assert clerk.get("/api/v1/shipments/").status_code == 200
    refused = clerk.post("/api/v1/shipments/", {"order": order.number}, format="json")
    assert refused.status_code == 403
    warehouse = staff_api("warehouse")
    made = warehouse.post("/api/v1/shipments/", {"order": order.number}, format="json")
    assert made.status_code == 201
    number = made.json()["number"]
    # Warehouse staff create and pack; dispatching is the dispatcher's.
    assert (
        warehouse.post(f"/api/v1/shipments/{number}/dispatch/", {}, format="json").status_code
        == 403
    )
    reader = integration("logistics:read")
    assert reader.get(f"/api/v1/shipments/{number}/").status_code == 200
    assert (
        reader.post(
            f"/api/v1/shipments/{number}/cancel/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    writer = integration("logistics:write logistics:read")
    cancelled = writer.post(
        f"/api/v1/shipments/{number}/cancel/", {"reason": "地址错误"}, format="json"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_shipments_appear_in_the_openapi_schema(admin_client):
    schema = admin_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/shipments/{number}/dispatch/" in paths
    assert "/api/v1/shipments/carbon/" in paths


def test_warehouse_scanner_records_a_hand_over_scan_once(order, world, staff_api):
    from logistics.services import shipment_create

    shipment = shipment_create(order=order, warehouse=world["sh"])
    url = f"/api/v1/shipments/{shipment.number}/scans/"
    body = {"scanner_id": "DOCK-3", "code": shipment.number, "location": "SH01 3号月台"}
    warehouse = staff_api("warehouse")
    first = warehouse.post(url, {**body, "event_id": "DOCK-3-0001"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["kind"] == "scan" and first.json()["source"] == "scanner"
    again = warehouse.post(url, {**body, "event_id": "DOCK-3-0001"}, format="json")
    assert again.status_code == 200
    wrong = warehouse.post(url, {**body, "code": "SH-OTHER"}, format="json")
    assert wrong.status_code == 400 and "code" in wrong.json()["error"]["fields"]
    assert staff_api("order_clerk").post(url, body, format="json").status_code == 403
    assert (
        warehouse.post("/api/v1/shipments/SH-NOPE/scans/", body, format="json").status_code == 404
    )
    assert shipment.events.filter(kind="scan").count() == 1


def test_report_a_problem_stops_the_shipment_and_opens_an_exception(
    order, world, staff_api, packed, carrier
):
    from logistics.services import shipment_create, shipment_dispatch

    shipment = shipment_create(order=order, warehouse=world["sh"])
    url = f"/api/v1/shipments/{shipment.number}/report-problem/"
    api = staff_api("dispatcher")
    early = api.post(url, {"kind": "damaged", "details": "破损"}, format="json")
    assert early.status_code == 409  # it has not left yet
    packed(shipment)
    shipment_dispatch(shipment=shipment, carrier=carrier)
    bad = api.post(url, {"kind": "late", "details": "x"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]
    done = api.post(url, {"kind": "lost", "details": "快件丢失"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "exception"
    assert [(e["kind"], e["status"]) for e in done.json()["exceptions"]] == [("lost", "open")]
    assert staff_api("warehouse").post(url, {"kind": "lost", "details": "x"}).status_code == 403
