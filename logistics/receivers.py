"""What logistics does when orders change (orders sends its signals after
commit and imports nothing from here)."""

from django.conf import settings
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext

from orders.models import Order
from orders.signals import order_status_changed


@receiver(order_status_changed, sender=Order, dispatch_uid="logistics.order_cancelled")
def cancel_shipments_of_cancelled_order(sender, order_id, to_status, **kwargs):
    """A cancelled order's shipments still in the warehouse are cancelled too,
    so nobody picks, packs or plans them any more."""
    if to_status != Order.Status.CANCELLED:
        return
    from logistics.services import shipments_cancel_for_order

    with translation.override(settings.LANGUAGE_CODE):
        shipments_cancel_for_order(order_id=order_id, reason=gettext("The order was cancelled."))
