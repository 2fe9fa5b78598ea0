"""What after-sales does when logistics reports something (logistics sends
its signals after commit and imports nothing from here)."""

from django.dispatch import receiver

from logistics.models import ShipmentException
from logistics.signals import shipment_exception_raised


@receiver(shipment_exception_raised, sender=ShipmentException, dispatch_uid="aftersales.notice")
def notify_customer(sender, exception_id, kind, **kwargs):
    from aftersales.services import NOTICE_KINDS
    from aftersales.tasks import notify_exception

    if kind in NOTICE_KINDS:
        notify_exception.delay(exception_id)


@receiver(shipment_exception_raised, sender=ShipmentException, dispatch_uid="aftersales.ticket")
def open_ticket(sender, exception_id, **kwargs):
    """Every logistics exception becomes one ticket (logistics_exception)."""
    from aftersales.tasks import open_exception_ticket

    open_exception_ticket.delay(exception_id)
