"""Carriers with their emission factor, and our vehicles and drivers."""

from decimal import Decimal

import pytest

from logistics.models import Vehicle
from logistics.services import driver_create, vehicle_create
from tests.factories import CarrierFactory, WarehouseFactory


@pytest.mark.django_db
def test_emission_factor_defaults_by_mode_and_can_be_set(integration):
    CarrierFactory(code="SF", mode="courier")
    CarrierFactory(code="CRE", mode="rail", emission_factor=Decimal("18.50"))
    api = integration("logistics:read logistics:write")
    factors = {
        c["code"]: c["emission_factor"] for c in api.get("/api/v1/carriers/").json()["results"]
    }
    assert factors == {"SF": "180.00", "CRE": "18.50"}
    changed = api.patch("/api/v1/carriers/SF/", {"emission_factor": "150"}, format="json")
    assert changed.json()["emission_factor"] == "150.00"
    bad = api.patch("/api/v1/carriers/SF/", {"tracking_url_template": "https://x/"}, format="json")
    assert bad.status_code == 400 and "tracking_url_template" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_vehicles_api(integration):
    WarehouseFactory(code="SH01")
    api = integration("logistics:read logistics:write")
    body = {"plate": "沪A·D1234", "depot": "SH01", "capacity_kg": 1500, "capacity_m3": "12.0"}
    created = api.post("/api/v1/vehicles/", body, format="json")
    assert created.status_code == 201, created.content
    assert api.post("/api/v1/vehicles/", body, format="json").status_code == 400  # same plate
    zero = api.post("/api/v1/vehicles/", {**body, "plate": "X", "capacity_kg": 0}, format="json")
    assert "capacity_kg" in zero.json()["error"]["fields"]
    moved = api.patch("/api/v1/vehicles/沪A·D1234/", {"status": "maintenance"}, format="json")
    assert moved.json()["status"] == "maintenance"
    assert api.get("/api/v1/vehicles/?status=maintenance").json()["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"), [("dispatcher", 200), ("analyst", 200), ("account_manager", 403)]
)
def test_vehicle_page_by_role(role_client, role, expected):
    depot = WarehouseFactory(code="SH01")
    vehicle_create(
        plate="沪A·D1",
        depot=depot,
        capacity_kg=1000,
        capacity_m3=Decimal("8"),
        driver=driver_create(name="周强", phone="13900021001"),
        refrigerated=True,
    )
    response = role_client(role).get("/logistics/vehicles/")
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert "沪A·D1" in body and "周强" in body
    assert Vehicle.objects.count() == 1
