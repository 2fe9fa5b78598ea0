"""Every write to sales channels (and, with the orders capability, orders)."""

from django.db import transaction
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from erp.core.updates import fields_update
from orders.models import SalesChannel


class ChannelInvalid(DomainError):
    status_code = 400
    code = "invalid"


@transaction.atomic
def channel_create(
    *,
    code: str,
    name: str,
    kind: str,
    default_warehouse=None,
    auto_confirm: bool = False,
    allow_backorder: bool = False,
) -> SalesChannel:
    code = code.strip().upper()
    if SalesChannel.objects.filter(code=code).exists():
        raise ChannelInvalid(_("A sales channel with this code exists already."), field="code")
    return SalesChannel.objects.create(
        code=code,
        name=name,
        kind=kind,
        default_warehouse=default_warehouse,
        auto_confirm=auto_confirm,
        allow_backorder=allow_backorder,
    )


CHANNEL_EDITABLE = {
    "name",
    "kind",
    "default_warehouse",
    "auto_confirm",
    "allow_backorder",
    "active",
}


@transaction.atomic
def channel_update(*, channel: SalesChannel, **changes) -> SalesChannel:
    channel = SalesChannel.objects.select_for_update().get(pk=channel.pk)
    return fields_update(channel, changes, allowed=CHANNEL_EDITABLE)
