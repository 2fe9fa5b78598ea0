from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from orders.services.backorders import backorders_fill


@shared_task(name="orders.confirm_order", bind=True, max_retries=5, default_retry_delay=5)
def confirm_order(self, order_id: int) -> str:
    """Auto-confirm retried after a lock timeout. Safe twice: only a pending order
    of an auto-confirming channel is confirmed; short stock leaves it pending."""
    from erp.core.errors import LockTimeout
    from orders.models import Order
    from orders.services import StockShortage, order_confirm

    order = Order.objects.select_related("channel").get(pk=order_id)
    if order.status != Order.Status.PENDING or not order.channel.auto_confirm:
        return order.status
    try:
        with translation.override(settings.LANGUAGE_CODE):
            order_confirm(order=order, reason=gettext("Confirmed automatically by the channel."))
    except StockShortage:
        return Order.Status.PENDING
    except LockTimeout as exc:
        raise self.retry(exc=exc) from exc
    return Order.Status.CONFIRMED


@shared_task(name="orders.fill_backorders", bind=True, max_retries=5, default_retry_delay=10)
def fill_backorders(self, product_id: int | None = None) -> int:
    """Fill backorders of one product (after a receipt) or of all (periodic)."""
    from erp.core.errors import LockTimeout

    try:
        return backorders_fill(product_id=product_id)
    except LockTimeout as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name="orders.inbound_retry_held")
def inbound_retry_held() -> dict:
    """Held channel messages whose order may have arrived (or expired). Safe twice."""
    from orders.services.inbound import inbound_retry_held as retry

    with translation.override(settings.LANGUAGE_CODE):
        return retry()
