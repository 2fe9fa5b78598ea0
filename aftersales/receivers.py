"""What after-sales does when logistics reports something (logistics sends
its signals after commit and imports nothing from here). Each receiver
catches its own failure, so one cannot keep the other from running; the
periodic sweep `open-exception-tickets` opens any ticket a failure missed."""

import logging

from django.dispatch import receiver

from logistics.models import ShipmentException
from logistics.signals import shipment_exception_raised

log = logging.getLogger(__name__)


@receiver(shipment_exception_raised, sender=ShipmentException, dispatch_uid="aftersales.notice")
def notify_customer(sender, exception_id, kind, **kwargs):
    from aftersales.services import NOTICE_KINDS
    from aftersales.tasks import notify_exception

    if kind not in NOTICE_KINDS:
        return
    try:
        notify_exception.delay(exception_id)
    except Exception:  # the broker or the mail server: logged, the ticket still opens
        log.exception("customer notice for shipment exception %s failed", exception_id)


@receiver(shipment_exception_raised, sender=ShipmentException, dispatch_uid="aftersales.ticket")
def open_ticket(sender, exception_id, **kwargs):
    """Every logistics exception becomes one ticket (logistics_exception)."""
    from aftersales.tasks import open_exception_ticket

    try:
        open_exception_ticket.delay(exception_id)
    except Exception:  # picked up by the periodic sweep
        log.exception("ticket for shipment exception %s failed", exception_id)
