"""Every write to carriers, the fleet, shipments, waves, dispatch plans and
tracking. Import from here: `from logistics.services import shipment_create`."""

from logistics.services.errors import (
    LogisticsInvalid,
    ShipmentConflict,
    ShipmentTransitionNotAllowed,
)
from logistics.services.fleet import (
    CarrierInvalid,
    carrier_create,
    carrier_update,
    driver_create,
    vehicle_create,
    vehicle_update,
)
from logistics.services.shipments import (
    allowed_targets,
    estimate_carbon,
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_for_update,
    shipment_move,
    shipment_transition,
    shipments_create_for_order,
    unassigned_units,
)

__all__ = [
    "CarrierInvalid",
    "LogisticsInvalid",
    "ShipmentConflict",
    "ShipmentTransitionNotAllowed",
    "allowed_targets",
    "carrier_create",
    "carrier_update",
    "driver_create",
    "estimate_carbon",
    "shipment_cancel",
    "shipment_create",
    "shipment_deliver",
    "shipment_dispatch",
    "shipment_for_update",
    "shipment_move",
    "shipment_transition",
    "shipments_create_for_order",
    "unassigned_units",
    "vehicle_create",
    "vehicle_update",
]
