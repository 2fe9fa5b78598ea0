"""Carriers' freight tariff (base fee + weight x fee per kg): set over the
API and on the carrier pages, shown on the carrier's page with what typical
parcels cost, and the freight cost it gives a shipment at dispatch shown on
the shipment's page."""

from decimal import Decimal

import pytest

from logistics.models import Carrier
from logistics.services import shipment_create, shipment_dispatch
from orders.services import order_confirm
from tests.factories import CarrierFactory
from tests.logistics.conftest import packed, weighed  # noqa: F401  (shared fixtures)
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_tariff_over_the_api(integration):
    api = integration("logistics:read logistics:write")
    body = {
        "code": "ZTO",
        "name": "中通快递",
        "mode": "courier",
        "base_fee": "6",
        "fee_per_kg": "1.2",
    }
    created = api.post("/api/v1/carriers/", body, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["base_fee"], created.json()["fee_per_kg"]) == ("6.00", "1.20")
    changed = api.patch("/api/v1/carriers/ZTO/", {"fee_per_kg": "1.50"}, format="json")
    assert changed.json()["fee_per_kg"] == "1.50"
    bad = api.patch("/api/v1/carriers/ZTO/", {"base_fee": "-1"}, format="json")
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["base_fee"]


def test_tariff_on_the_carrier_pages(role_client):
    dispatcher = role_client("dispatcher")
    form = dispatcher.get("/logistics/carriers/new/", **EN)
    assert form.status_code == 200 and 'name="fee_per_kg"' in form.content.decode()
    created = dispatcher.post(
        "/logistics/carriers/new/",
        {
            "code": "sf",
            "name": "顺丰速运",
            "mode": "courier",
            "base_fee": "12",
            "fee_per_kg": "2",
            "active": "on",
        },
    )
    assert created.status_code == 302 and created["Location"] == "/logistics/carriers/SF/"
    page = dispatcher.get("/logistics/carriers/SF/", **EN).content.decode()
    assert 'id="tariff-base-fee">12.00<' in page
    # What typical parcels cost: 12 + 1 x 2, 12 + 5 x 2, 12 + 20 x 2.
    assert all(f'<td class="text-end">{cost}</td>' in page for cost in ("14.00", "22.00", "52.00"))
    edited = dispatcher.post(
        "/logistics/carriers/SF/edit/",
        {
            "code": "XX",
            "name": "顺丰速运",
            "mode": "courier",
            "base_fee": "13",
            "fee_per_kg": "2",
            "active": "on",
        },
    )
    assert edited.status_code == 302
    carrier = Carrier.objects.get(code="SF")  # the code stays
    assert (carrier.base_fee, carrier.active) == (Decimal("13.00"), True)
    negative = dispatcher.post(
        "/logistics/carriers/SF/edit/",
        {"name": "顺丰速运", "mode": "courier", "base_fee": "-1", "fee_per_kg": "2"},
        **EN,
    )
    assert negative.status_code == 200 and "greater than or equal to 0" in negative.content.decode()
    # Looking only: the page without its edit button, and no edit page.
    clerk = role_client("order_clerk")
    assert 'id="carrier-edit"' not in clerk.get("/logistics/carriers/SF/").content.decode()
    assert clerk.get("/logistics/carriers/SF/edit/").status_code == 403
    assert clerk.get("/logistics/carriers/new/").status_code == 403


def test_a_carrier_created_inactive_is_written_once(role_client):
    """It was created active and then switched off in a second transaction:
    two history rows, and an active carrier left behind if the second failed."""
    created = role_client("dispatcher").post(
        "/logistics/carriers/new/",
        {"code": "DBL", "name": "德邦快递", "mode": "road", "base_fee": "30", "fee_per_kg": "0.8"},
    )
    assert created.status_code == 302
    carrier = Carrier.objects.get(code="DBL")
    assert not carrier.active
    assert [h.active for h in carrier.history.all()] == [False]


def test_the_shipment_shows_its_freight_cost(weighed, stock, place, packed, role_client):  # noqa: F811
    carrier = CarrierFactory(code="SF", base_fee=Decimal("10"), fee_per_kg=Decimal("2"))
    stock("sh", "tea", 5)
    order = place(("tea", 3))  # 3 x 0.5 kg
    order_confirm(order=order)
    shipment = packed(shipment_create(order=order, warehouse=weighed["sh"]))
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF1")
    assert shipment.freight_cost == Decimal("13.00")  # 10 + 1.5 x 2
    page = (
        role_client("dispatcher").get(f"/logistics/shipments/{shipment.number}/").content.decode()
    )
    assert 'id="shipment-freight">13.00<' in page
    listed = role_client("dispatcher").get("/logistics/carriers/SF/").content.decode()
    assert 'id="carrier-freight">13.00<' in listed
