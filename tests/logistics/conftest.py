from decimal import Decimal

import pytest
from django.db import transaction

from logistics.models import Carrier, Shipment
from logistics.services import carrier_create, shipment_for_update, shipment_transition
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)


@pytest.fixture
def carrier(db):
    return carrier_create(
        code="SF",
        name="顺丰速运",
        mode=Carrier.Mode.COURIER,
        tracking_url_template="https://www.sf-express.com/track?no={number}",
    )


@pytest.fixture
def weighed(world):  # noqa: F811
    """Products with weights and volumes, so shipments have loads."""
    world["tea"].weight_kg, world["tea"].volume_m3 = Decimal("0.5"), Decimal("0.002")
    world["tea"].save()
    world["cup"].weight_kg, world["cup"].volume_m3 = Decimal("0.3"), Decimal("0.001")
    world["cup"].save()
    return world


@pytest.fixture
def packed():
    """Put a planned shipment through picking and packing in one go (the
    pick and pack services are tested on their own)."""

    def make(shipment):
        with transaction.atomic():
            shipment = shipment_for_update(shipment.pk)
            shipment_transition(shipment=shipment, to_status=Shipment.Status.PICKING)
            for line in shipment.lines.all():
                line.quantity_picked = line.quantity_packed = line.quantity
                line.save()
            shipment_transition(shipment=shipment, to_status=Shipment.Status.PACKED)
        return shipment

    return make
