from celery import shared_task

from orders.services.backorders import backorders_fill


@shared_task(name="orders.fill_backorders", bind=True, max_retries=5, default_retry_delay=10)
def fill_backorders(self, product_id: int | None = None) -> int:
    """Fill backorders of one product (after a receipt) or of all (periodic)."""
    from erp.core.errors import LockTimeout

    try:
        return backorders_fill(product_id=product_id)
    except LockTimeout as exc:
        raise self.retry(exc=exc) from exc
