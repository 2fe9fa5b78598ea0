"""Pick waves and packing by scan: services, API and staff pages."""

import re

import pytest

from inventory.models import Location, StockLevel
from logistics.models import PickLine, PickWave, Shipment, ShipmentEvent
from logistics.services import (
    LogisticsInvalid,
    ShipmentConflict,
    pack_scan,
    pick_confirm,
    shipment_cancel,
    shipment_create,
    wave_cancel,
    wave_close,
    wave_create,
)
from orders.services import order_confirm

pytestmark = pytest.mark.django_db

Status = Shipment.Status


def put_in_bin(warehouse, product, code):
    location, _created = Location.objects.get_or_create(warehouse=warehouse, code=code)
    StockLevel.objects.filter(warehouse=warehouse, product=product).update(location=location)


@pytest.fixture
def floor(world, stock, place):
    """Stock at SH01 in bins: cups in A-01-01, tea in B-02-03, forks without a bin;
    and a function that places, confirms and plans an order's shipment."""
    world["fork"] = type(world["tea"]).objects.create(
        sku="FORK-1", name="叉子", barcode="6901234567892"
    )
    world["tea"].barcode = "6901234567809"
    world["tea"].save()
    for sku in ("tea", "cup", "fork"):
        stock("sh", sku, 50)
        stock("bj", sku, 50)
    put_in_bin(world["sh"], world["cup"], "A-01-01")
    put_in_bin(world["sh"], world["tea"], "B-02-03")

    def planned(*lines):
        order = place(*lines)
        order_confirm(order=order)
        return shipment_create(order=order, warehouse=world["sh"])

    world["planned"] = planned
    return world


def picking_shipment(floor, *lines):
    shipment = floor["planned"](*lines)
    wave_create(warehouse=floor["sh"], shipments=[shipment])
    shipment.refresh_from_db()
    return shipment


# --- waves -----------------------------------------------------------------


def test_wave_lists_every_line_in_bin_order_and_starts_picking(floor, make_user):
    first = floor["planned"](("fork", 1), ("tea", 2))
    second = floor["planned"](("cup", 3), ("tea", 1))
    clerk = make_user("warehouse")

    wave = wave_create(warehouse=floor["sh"], actor=clerk)

    assert wave.number.startswith("WV-") and wave.number.endswith(f"{wave.pk:05d}")
    assert wave.status == PickWave.Status.OPEN
    assert wave.created_by == clerk
    rows = [
        (p.sequence, p.location_code, p.shipment_line.order_line.sku, p.shipment_line.shipment_id)
        for p in wave.lines.select_related("shipment_line__order_line")
    ]
    # Bins in walk order; the same bin by SKU then shipment; no bin last.
    assert rows == [
        (1, "A-01-01", "CUP-1", second.pk),
        (2, "B-02-03", "TEA-1", first.pk),
        (3, "B-02-03", "TEA-1", second.pk),
        (4, "", "FORK-1", first.pk),
    ]
    assert [p.quantity for p in wave.lines.all()] == [3, 2, 1, 1]
    for shipment in (first, second):
        shipment.refresh_from_db()
        assert shipment.status == Status.PICKING
        assert shipment.pick_wave == wave
        event = shipment.events.get(to_status=Status.PICKING)
        assert wave.number in event.description and event.actor == clerk


def test_wave_refuses_other_warehouses_and_shipments_not_planned(floor):
    ours = floor["planned"](("tea", 1))
    with pytest.raises(LogisticsInvalid) as err:
        wave_create(warehouse=floor["bj"], shipments=[ours])
    assert err.value.field == "shipments"
    assert "SH01" in err.value.message

    wave_create(warehouse=floor["sh"], shipments=[ours])
    with pytest.raises(ShipmentConflict) as err:
        wave_create(warehouse=floor["sh"], shipments=[ours])  # already picking
    assert err.value.field == "shipments"
    assert PickWave.objects.count() == 1
    ours.refresh_from_db()
    assert ours.status == Status.PICKING


def test_a_refused_wave_leaves_nothing_behind(floor):
    good = floor["planned"](("tea", 1))
    cancelled = floor["planned"](("cup", 1))
    shipment_cancel(shipment=cancelled, reason="客户取消")
    with pytest.raises(ShipmentConflict):
        wave_create(warehouse=floor["sh"], shipments=[good, cancelled])
    good.refresh_from_db()
    assert good.status == Status.PLANNED
    assert not PickWave.objects.exists() and not PickLine.objects.exists()


def test_empty_wave_is_refused(floor):
    with pytest.raises(LogisticsInvalid) as err:
        wave_create(warehouse=floor["sh"])
    assert err.value.field == "shipments"
    with pytest.raises(LogisticsInvalid):
        wave_create(warehouse=floor["sh"], shipments=[])


def test_pick_confirm_records_units_within_the_line(floor, make_user):
    shipment = picking_shipment(floor, ("tea", 3))
    line = PickLine.objects.get()
    picker = make_user("warehouse")

    line = pick_confirm(line=line, quantity=2, actor=picker)
    assert line.quantity_picked == 2
    assert line.shipment_line.quantity_picked == 2
    assert line.wave.picker == picker
    with pytest.raises(LogisticsInvalid) as err:
        pick_confirm(line=line, quantity=4)
    assert err.value.field == "quantity"
    with pytest.raises(LogisticsInvalid):
        pick_confirm(line=line, quantity=-1)
    pick_confirm(line=line, quantity=3)
    line.refresh_from_db()
    assert line.quantity_picked == 3
    assert shipment.lines.get().quantity_picked == 3


# --- packing ---------------------------------------------------------------


def test_scanning_every_unit_packs_the_shipment(floor, make_user):
    shipment = picking_shipment(floor, ("tea", 2), ("cup", 1))
    packer = make_user("warehouse")

    line = pack_scan(shipment=shipment, code="6901234567809", actor=packer)  # tea's barcode
    assert (line.order_line.sku, line.quantity_packed, line.quantity_picked) == ("TEA-1", 1, 1)
    # A scanned unit counts as picked, on the pick list too.
    assert PickLine.objects.get(shipment_line=line).quantity_picked == 1
    shipment.refresh_from_db()
    assert shipment.status == Status.PICKING

    pack_scan(shipment=shipment, code="cup-1", actor=packer)  # a typed SKU, any case
    pack_scan(shipment=shipment, code=" TEA-1 ", actor=packer)
    shipment.refresh_from_db()
    assert shipment.status == Status.PACKED
    scans = shipment.events.filter(kind=ShipmentEvent.Kind.SCAN)
    assert scans.count() == 3
    assert all(
        e.source == ShipmentEvent.Source.SCANNER and not e.visible_to_customer and e.actor == packer
        for e in scans
    )
    assert shipment.events.filter(to_status=Status.PACKED).exists()


def test_wrong_scans_are_refused_and_change_nothing(floor):
    shipment = picking_shipment(floor, ("tea", 1), ("cup", 2))

    with pytest.raises(LogisticsInvalid) as err:
        pack_scan(shipment=shipment, code="0000000000000")
    assert err.value.field == "code" and "0000000000000" in err.value.message
    with pytest.raises(LogisticsInvalid) as err:
        pack_scan(shipment=shipment, code="6901234567892")  # forks: a product, not on it
    assert err.value.field == "code" and "FORK-1" in err.value.message
    with pytest.raises(LogisticsInvalid) as err:
        pack_scan(shipment=shipment, code="  ")
    assert err.value.field == "code"
    with pytest.raises(LogisticsInvalid) as err:
        pack_scan(shipment=shipment, code="CUP-1", quantity=0)
    assert err.value.field == "quantity"
    with pytest.raises(ShipmentConflict) as err:
        pack_scan(shipment=shipment, code="CUP-1", quantity=3)  # more than the line
    assert err.value.field == "quantity" and "已打包 0/2" in err.value.message  # packed 0 of 2
    pack_scan(shipment=shipment, code="TEA-1")
    with pytest.raises(ShipmentConflict):
        pack_scan(shipment=shipment, code="TEA-1")  # already full
    assert [line.quantity_packed for line in shipment.lines.all()] == [1, 0]
    assert shipment.events.filter(kind=ShipmentEvent.Kind.SCAN).count() == 1


def test_only_shipments_being_picked_are_packed(floor):
    planned = floor["planned"](("tea", 1))
    with pytest.raises(ShipmentConflict) as err:
        pack_scan(shipment=planned, code="TEA-1")
    assert err.value.status_code == 409
    assert planned.lines.get().quantity_packed == 0


# --- closing and cancelling ------------------------------------------------


def test_wave_closes_when_its_shipments_are_packed_or_cancelled(floor):
    a = floor["planned"](("tea", 1))
    b = floor["planned"](("cup", 1))
    wave = wave_create(warehouse=floor["sh"])
    pack_scan(shipment=a, code="TEA-1")
    with pytest.raises(ShipmentConflict) as err:
        wave_close(wave=wave)
    assert b.number in err.value.message and a.number not in err.value.message
    shipment_cancel(shipment=b, reason="缺货")
    wave = wave_close(wave=wave)
    assert wave.status == PickWave.Status.DONE
    with pytest.raises(ShipmentConflict):
        wave_close(wave=wave)


def test_cancelled_wave_returns_its_shipments_to_planned(floor):
    a = floor["planned"](("tea", 2))
    b = floor["planned"](("cup", 1))
    wave = wave_create(warehouse=floor["sh"])
    pack_scan(shipment=a, code="TEA-1")  # half packed
    pack_scan(shipment=b, code="CUP-1")  # packed

    wave = wave_cancel(wave=wave, reason="换人拣货")
    assert wave.status == PickWave.Status.CANCELLED
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.pick_wave) == (Status.PLANNED, None)
    assert a.lines.get().quantity_packed == 0
    assert b.status == Status.PACKED and b.pick_wave == wave
    assert a.events.filter(to_status=Status.PLANNED, description="换人拣货").exists()
    # A new wave can take it again.
    again = wave_create(warehouse=floor["sh"])
    assert list(again.shipments.all()) == [a]
    with pytest.raises(ShipmentConflict):
        wave_cancel(wave=wave)


def test_pick_confirm_on_a_closed_wave_is_refused(floor):
    shipment = picking_shipment(floor, ("tea", 1))
    line = PickLine.objects.get()
    pack_scan(shipment=shipment, code="TEA-1")
    wave_close(wave=line.wave)
    with pytest.raises(ShipmentConflict):
        pick_confirm(line=line, quantity=0)


# --- API -------------------------------------------------------------------


def test_api_wave_pick_pack_and_close(floor, staff_api, django_assert_max_num_queries):
    first = floor["planned"](("tea", 1), ("fork", 1))
    second = floor["planned"](("cup", 2))
    api = staff_api("warehouse")

    response = api.post(
        "/api/v1/pick-waves/",
        {"warehouse": "SH01", "shipments": [first.number, second.number]},
        format="json",
    )
    assert response.status_code == 201, response.content
    wave = response.json()
    assert wave["status"] == "open" and wave["warehouse"] == "SH01"
    assert sorted(wave["shipments"]) == sorted([first.number, second.number])
    assert [(row["bin"], row["sku"]) for row in wave["lines"]] == [
        ("A-01-01", "CUP-1"),
        ("B-02-03", "TEA-1"),
        ("", "FORK-1"),
    ]

    floor["planned"](("tea", 1))  # another wave's worth, for the list
    api.post("/api/v1/pick-waves/", {"warehouse": "SH01"}, format="json")
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/pick-waves/", {"warehouse": "SH01", "status": "open"})
    assert listed.status_code == 200
    assert [w["line_count"] for w in listed.json()["results"]] == [1, 3]

    cup_row = wave["lines"][0]
    picked = api.post(
        f"/api/v1/pick-waves/{wave['number']}/lines/{cup_row['id']}/pick/",
        {"quantity": 2},
        format="json",
    )
    assert picked.status_code == 200
    assert picked.json()["quantity_picked"] == 2
    too_many = api.post(
        f"/api/v1/pick-waves/{wave['number']}/lines/{cup_row['id']}/pick/",
        {"quantity": 3},
        format="json",
    )
    assert too_many.status_code == 400
    assert "quantity" in too_many.json()["error"]["fields"]

    packed = api.post(f"/api/v1/shipments/{second.number}/pack/", {"code": "CUP-1", "quantity": 2})
    assert packed.status_code == 200, packed.content
    body = packed.json()
    assert body["status"] == "packed"
    assert body["scanned"]["sku"] == "CUP-1" and body["scanned"]["quantity_packed"] == 2

    closing = api.post(f"/api/v1/pick-waves/{wave['number']}/close/")
    assert closing.status_code == 409
    assert first.number in closing.json()["error"]["message"]
    for code in ("6901234567809", "6901234567892"):
        assert (
            api.post(f"/api/v1/shipments/{first.number}/pack/", {"code": code}).status_code == 200
        )
    closed = api.post(f"/api/v1/pick-waves/{wave['number']}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "done"


def test_api_pack_errors_name_the_field(floor, staff_api):
    shipment = picking_shipment(floor, ("tea", 1))
    api = staff_api("warehouse")
    url = f"/api/v1/shipments/{shipment.number}/pack/"

    unknown = api.post(url, {"code": "NOPE"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"] == {"code": [unknown.json()["error"]["message"]]}
    assert api.post(url, {"code": ""}).json()["error"]["fields"].keys() == {"code"}
    assert api.post(url, {"code": "TEA-1", "quantity": 0}).status_code == 400
    over = api.post(url, {"code": "TEA-1", "quantity": 2})
    assert over.status_code == 409 and over.json()["error"]["code"] == "conflict"
    assert api.post("/api/v1/shipments/SH-NOPE/pack/", {"code": "TEA-1"}).status_code == 404
    bad_wave = api.post("/api/v1/pick-waves/", {"warehouse": "SH01", "shipments": ["SH-NOPE"]})
    assert bad_wave.status_code == 400
    assert "shipments" in bad_wave.json()["error"]["fields"]
    empty = api.post("/api/v1/pick-waves/", {"warehouse": "BJ01"})
    assert empty.status_code == 400 and "shipments" in empty.json()["error"]["fields"]
    shipment.refresh_from_db()
    assert shipment.lines.get().quantity_packed == 0


def test_api_permissions(floor, staff_api, integration, client):
    shipment = picking_shipment(floor, ("tea", 1))
    wave = PickWave.objects.get()
    clerk = staff_api("order_clerk")
    assert clerk.get("/api/v1/pick-waves/").status_code == 200
    assert clerk.get(f"/api/v1/pick-waves/{wave.number}/").status_code == 200
    for url, body in [
        ("/api/v1/pick-waves/", {"warehouse": "SH01"}),
        (f"/api/v1/shipments/{shipment.number}/pack/", {"code": "TEA-1"}),
        (f"/api/v1/pick-waves/{wave.number}/close/", {}),
        (f"/api/v1/pick-waves/{wave.number}/lines/{wave.lines.get().pk}/pick/", {"quantity": 1}),
    ]:
        assert clerk.post(url, body, format="json").status_code == 403, url
        assert client.post(url, body, content_type="application/json").status_code == 401, url
    assert client.get(f"/api/v1/shipments/{shipment.number}/label.pdf").status_code == 401

    reader = integration("logistics:read")
    assert reader.get("/api/v1/pick-waves/").status_code == 200
    refused = reader.post(f"/api/v1/shipments/{shipment.number}/pack/", {"code": "TEA-1"})
    assert refused.status_code == 403
    writer = integration("logistics:write")
    packed = writer.post(f"/api/v1/shipments/{shipment.number}/pack/", {"code": "TEA-1"})
    assert packed.status_code == 200 and packed.json()["status"] == "packed"
    scan = shipment.events.get(kind=ShipmentEvent.Kind.SCAN)
    assert scan.source == ShipmentEvent.Source.SCANNER


def test_api_shipping_label_is_a_pdf(floor, staff_api):
    shipment = picking_shipment(floor, ("tea", 1))
    api = staff_api("order_clerk")  # reading is enough
    response = api.get(
        f"/api/v1/shipments/{shipment.number}/label.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"{shipment.number}-label.pdf" in response["Content-Disposition"]
    missing = api.get("/api/v1/shipments/SH-NOPE/slip.pdf", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    assert missing.json()["error"]["code"]
    assert staff_api("analyst").get("/api/v1/shipments/SH-NOPE/slip.pdf").status_code == 404


# --- staff pages -----------------------------------------------------------


def test_warehouse_user_starts_a_wave_and_prints_a_pick_list_in_bin_order(
    floor, role_client, django_assert_max_num_queries
):
    first = floor["planned"](("fork", 1), ("tea", 2))
    second = floor["planned"](("cup", 3))
    page = role_client("warehouse")

    form = page.get("/logistics/waves/new/", {"warehouse": floor["sh"].pk})
    assert form.status_code == 200
    assert first.number in form.content.decode() and second.number in form.content.decode()
    response = page.post(
        "/logistics/waves/new/", {"warehouse": floor["sh"].pk, "shipments": [first.pk]}
    )
    wave = PickWave.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/logistics/waves/{wave.number}/"
    second.refresh_from_db()
    assert second.status == Status.PLANNED  # not ticked

    with django_assert_max_num_queries(12):
        html = page.get(response["Location"]).content.decode()
    assert "logistics-pack.js" in html and 'media="print"' in html
    bins = re.findall(r'data-bin="([^"]*)"', html)
    assert bins == ["B-02-03", ""]  # tea's bin first, forks (no bin) last
    assert html.index("TEA-1") < html.index("FORK-1")

    listed = page.get("/logistics/waves/", {"status": "open"}).content.decode()
    assert wave.number in listed

    # Confirm a row: plain POST, then htmx gets the row back.
    tea_row = wave.lines.get(sequence=1)
    url = f"/logistics/waves/{wave.number}/lines/{tea_row.pk}/pick/"
    assert page.post(url, {"quantity": "1"}).status_code == 302
    row = page.post(url, {"quantity": "2"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert 'class="table-success"' in row.content.decode()
    refused = page.post(url, {"quantity": "9"}, HTTP_HX_REQUEST="true").content.decode()
    assert "pick-error" in refused and "此处可拣 0 到 2 件" in refused  # 0 and 2 units
    tea_row.refresh_from_db()
    assert tea_row.quantity_picked == 2


def test_empty_wave_form_shows_the_error(floor, role_client):
    page = role_client("warehouse")
    response = page.post("/logistics/waves/new/", {"warehouse": floor["bj"].pk})
    assert response.status_code == 200
    assert "BJ01 没有待拣货的发货单" in response.content.decode()  # no planned shipments
    assert not PickWave.objects.exists()


def test_pack_bench_scans_shows_errors_and_offers_the_documents(floor, role_client):
    shipment = picking_shipment(floor, ("tea", 1), ("cup", 1))
    page = role_client("warehouse")
    url = f"/logistics/shipments/{shipment.number}/pack/"

    bench = page.get(url).content.decode()
    assert 'name="code"' in bench and "autofocus" in bench
    assert "label.pdf" not in bench

    wrong = page.post(url, {"code": "6901234567892"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 200
    html = wrong.content.decode()
    assert 'id="scan-error"' in html and "FORK-1" in html and shipment.number in html

    ok = page.post(url, {"code": "6901234567809"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="scan-ok"' in ok and "1/1" in ok  # 1 of 1 packed
    assert page.post(url, {"code": "CUP-1"}).status_code == 302  # without htmx: back to the bench
    done = page.get(url).content.decode()
    assert 'id="packed-message"' in done and 'name="code"' not in done
    assert f"/logistics/shipments/{shipment.number}/label.pdf" in done
    assert f"/logistics/shipments/{shipment.number}/slip.pdf" in done
    shipment.refresh_from_db()
    assert shipment.status == Status.PACKED

    again = page.post(url, {"code": "CUP-1"}).content.decode()
    assert 'id="scan-error"' in again

    slip = page.get(f"/logistics/shipments/{shipment.number}/slip.pdf")
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF-")


def test_order_clerk_sees_waves_but_cannot_pick_or_pack(floor, role_client, client):
    shipment = picking_shipment(floor, ("tea", 1))
    wave = PickWave.objects.get()
    clerk = role_client("order_clerk")
    assert clerk.get("/logistics/waves/").status_code == 200
    detail = clerk.get(f"/logistics/waves/{wave.number}/")
    assert detail.status_code == 200
    assert "wave-pick" not in detail.content.decode() and "/pick/" not in detail.content.decode()
    line = wave.lines.get()
    for method, url, data in [
        ("get", "/logistics/waves/new/", {}),
        ("get", f"/logistics/shipments/{shipment.number}/pack/", {}),
        ("post", f"/logistics/shipments/{shipment.number}/pack/", {"code": "TEA-1"}),
        ("post", f"/logistics/waves/{wave.number}/lines/{line.pk}/pick/", {"quantity": "1"}),
        ("post", f"/logistics/waves/{wave.number}/close/", {}),
    ]:
        assert getattr(clerk, method)(url, data).status_code == 403, url
        anonymous = getattr(client, method)(url, data)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
    assert client.get(f"/logistics/shipments/{shipment.number}/label.pdf").status_code == 302
    shipment.refresh_from_db()
    assert shipment.lines.get().quantity_packed == 0


def test_wave_page_closes_and_cancels(floor, role_client):
    a = picking_shipment(floor, ("tea", 1))
    wave = PickWave.objects.get()
    page = role_client("warehouse_manager")
    page.post(f"/logistics/waves/{wave.number}/close/")
    wave.refresh_from_db()
    assert wave.status == PickWave.Status.OPEN  # a is not packed
    messages = page.get(f"/logistics/waves/{wave.number}/").content.decode()
    assert a.number in messages and "alert-danger" in messages
    page.post(f"/logistics/waves/{wave.number}/cancel/", {"reason": "重排"})
    wave.refresh_from_db()
    a.refresh_from_db()
    assert wave.status == PickWave.Status.CANCELLED and a.status == Status.PLANNED


def test_pick_waves_are_in_the_logistics_menu(role_client):
    assert "/logistics/waves/" in role_client("warehouse").get("/").content.decode()


def test_wave_closes_itself_when_the_last_shipment_is_packed(
    floor, django_capture_on_commit_callbacks
):
    first = floor["planned"](("tea", 1))
    second = floor["planned"](("cup", 2))
    wave = wave_create(warehouse=floor["sh"], shipments=[first, second])
    with django_capture_on_commit_callbacks(execute=True):
        pack_scan(shipment=first, code="TEA-1")
    wave.refresh_from_db()
    assert wave.status == PickWave.Status.OPEN  # the cups are still to pack
    with django_capture_on_commit_callbacks(execute=True):
        pack_scan(shipment=second, code="CUP-1", quantity=2)
    wave.refresh_from_db()
    assert wave.status == PickWave.Status.DONE
