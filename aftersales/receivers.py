"""What after-sales does when logistics reports something (logistics sends
its signals after commit and imports nothing from here). The receiver
catches its own failure; the periodic sweep `open-exception-tickets` opens
any ticket a failure missed. The customer is told of the exception by
erp.portal.notifications, which receives the same signal."""

import logging

from django.dispatch import receiver

from logistics.models import ShipmentException
from logistics.signals import shipment_exception_raised

log = logging.getLogger(__name__)


@receiver(shipment_exception_raised, sender=ShipmentException, dispatch_uid="aftersales.ticket")
def open_ticket(sender, exception_id, **kwargs):
    """Every logistics exception becomes one ticket (logistics_exception)."""
    from aftersales.tasks import open_exception_ticket

    try:
        open_exception_ticket.delay(exception_id)
    except Exception:  # picked up by the periodic sweep
        log.exception("ticket for shipment exception %s failed", exception_id)
