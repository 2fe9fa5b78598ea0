"""Every write to carriers, the fleet, shipments, waves, dispatch plans and
tracking. Import from here: `from logistics.services import shipment_create`."""

from logistics.services.dispatch import (
    DispatchConflict,
    plan_cancel,
    plan_create,
    plan_release,
    plan_solve,
)
from logistics.services.errors import (
    LogisticsInvalid,
    ShipmentConflict,
    ShipmentTransitionNotAllowed,
)
from logistics.services.exceptions import (
    cold_chain_evaluate,
    exception_end,
    exception_open,
    exception_resolve,
    exceptions_watch,
)
from logistics.services.fleet import (
    CarrierInvalid,
    carrier_create,
    carrier_update,
    driver_create,
    vehicle_create,
    vehicle_update,
)
from logistics.services.picking import (
    pack_scan,
    pick_confirm,
    wave_cancel,
    wave_close,
    wave_create,
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
from logistics.services.tracking import (
    carrier_status_normalise,
    device_attach,
    device_create,
    scan_event_record,
    telemetry_ingest,
    tracking_event_ingest,
)

__all__ = [
    "CarrierInvalid",
    "DispatchConflict",
    "LogisticsInvalid",
    "ShipmentConflict",
    "ShipmentTransitionNotAllowed",
    "allowed_targets",
    "carrier_create",
    "carrier_status_normalise",
    "carrier_update",
    "cold_chain_evaluate",
    "device_attach",
    "device_create",
    "driver_create",
    "estimate_carbon",
    "exception_end",
    "exception_open",
    "exception_resolve",
    "exceptions_watch",
    "pack_scan",
    "pick_confirm",
    "plan_cancel",
    "plan_create",
    "plan_release",
    "plan_solve",
    "scan_event_record",
    "shipment_cancel",
    "shipment_create",
    "shipment_deliver",
    "shipment_dispatch",
    "shipment_for_update",
    "shipment_move",
    "shipment_transition",
    "shipments_create_for_order",
    "telemetry_ingest",
    "tracking_event_ingest",
    "unassigned_units",
    "vehicle_create",
    "vehicle_update",
    "wave_cancel",
    "wave_close",
    "wave_create",
]
