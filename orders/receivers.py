"""Orders react to inventory: arriving stock fills backorders."""

from django.dispatch import receiver

from inventory.signals import stock_received


@receiver(stock_received, dispatch_uid="orders.fill_backorders_on_receipt")
def _stock_received(sender, warehouse_id, product_id, quantity, **kwargs):
    from orders.models import OrderLine
    from orders.services.backorders import FILLABLE
    from orders.tasks import fill_backorders

    # The signal comes after the receipt's commit; the task takes it from here,
    # if anything waits for this product at all.
    if OrderLine.objects.filter(
        product_id=product_id, quantity_backordered__gt=0, order__status__in=FILLABLE
    ).exists():
        fill_backorders.delay(product_id)
