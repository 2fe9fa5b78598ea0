"""Every write to carriers (and, with the logistics capability, shipments)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from erp.core.updates import fields_update
from logistics.models import Carrier, Driver, Vehicle


class CarrierInvalid(DomainError):
    status_code = 400
    code = "invalid"


@transaction.atomic
def carrier_create(
    *,
    code: str,
    name: str,
    mode: str,
    phone: str = "",
    tracking_url_template: str = "",
    own_fleet: bool = False,
    emission_factor=None,
    base_fee=Decimal("0"),
    fee_per_kg=Decimal("0"),
    active: bool = True,
) -> Carrier:
    """A carrier, with its freight tariff: a shipment it takes costs
    base_fee + weight (kg) x fee_per_kg (estimated at dispatch)."""
    code = code.strip().upper()
    if Carrier.objects.filter(code=code).exists():
        raise CarrierInvalid(_("A carrier with this code exists already."), field="code")
    if tracking_url_template and "{number}" not in tracking_url_template:
        raise CarrierInvalid(
            _("The tracking link template must contain {number}."), field="tracking_url_template"
        )
    _check_tariff({"base_fee": base_fee, "fee_per_kg": fee_per_kg})
    return Carrier.objects.create(
        code=code,
        name=name,
        mode=mode,
        phone=phone,
        tracking_url_template=tracking_url_template,
        own_fleet=own_fleet,
        emission_factor=emission_factor,
        base_fee=base_fee,
        fee_per_kg=fee_per_kg,
        active=active,
    )


def _check_tariff(values: dict) -> None:
    for field in ("base_fee", "fee_per_kg"):
        value = values.get(field)
        if value is not None and Decimal(value) < 0:
            raise CarrierInvalid(_("A tariff cannot be negative."), field=field)


CARRIER_EDITABLE = {
    "name",
    "mode",
    "phone",
    "tracking_url_template",
    "own_fleet",
    "emission_factor",
    "base_fee",
    "fee_per_kg",
    "active",
}
VEHICLE_EDITABLE = {
    "depot",
    "carrier",
    "capacity_kg",
    "capacity_m3",
    "driver",
    "refrigerated",
    "status",
}


@transaction.atomic
def carrier_update(*, carrier: Carrier, **changes) -> Carrier:
    template = changes.get("tracking_url_template")
    if template and "{number}" not in template:
        raise CarrierInvalid(
            _("The tracking link template must contain {number}."), field="tracking_url_template"
        )
    _check_tariff(changes)
    carrier = Carrier.objects.select_for_update().get(pk=carrier.pk)
    return fields_update(carrier, changes, allowed=CARRIER_EDITABLE)


@transaction.atomic
def driver_create(*, name: str, phone: str, licence_number: str = "", user=None) -> Driver:
    if not name.strip() or not phone.strip():
        raise CarrierInvalid(_("A driver needs a name and a phone number."), field="phone")
    return Driver.objects.create(
        name=name.strip(), phone=phone.strip(), licence_number=licence_number, user=user
    )


@transaction.atomic
def vehicle_create(
    *,
    plate: str,
    depot,
    capacity_kg: int,
    capacity_m3,
    carrier=None,
    driver=None,
    refrigerated=False,
) -> Vehicle:
    plate = plate.strip().upper()
    if Vehicle.objects.filter(plate=plate).exists():
        raise CarrierInvalid(_("A vehicle with this plate exists already."), field="plate")
    if capacity_kg <= 0 or capacity_m3 <= 0:
        raise CarrierInvalid(_("Capacities must be greater than zero."), field="capacity_kg")
    return Vehicle.objects.create(
        plate=plate,
        depot=depot,
        capacity_kg=capacity_kg,
        capacity_m3=capacity_m3,
        carrier=carrier,
        driver=driver,
        refrigerated=refrigerated,
    )


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, **changes) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    return fields_update(vehicle, changes, allowed=VEHICLE_EDITABLE)
