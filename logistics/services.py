"""Every write to carriers (and, with the logistics capability, shipments)."""

from django.db import transaction
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from logistics.models import Carrier


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
) -> Carrier:
    code = code.strip().upper()
    if Carrier.objects.filter(code=code).exists():
        raise CarrierInvalid(_("A carrier with this code exists already."), field="code")
    if tracking_url_template and "{number}" not in tracking_url_template:
        raise CarrierInvalid(
            _("The tracking link template must contain {number}."), field="tracking_url_template"
        )
    return Carrier.objects.create(
        code=code,
        name=name,
        mode=mode,
        phone=phone,
        tracking_url_template=tracking_url_template,
        own_fleet=own_fleet,
    )
