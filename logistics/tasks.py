from celery import shared_task


@shared_task(name="logistics.watch_shipments", bind=True, max_retries=3, default_retry_delay=30)
def watch_shipments(self) -> dict[str, int]:
    """Every 10 minutes: late and no-movement episodes of shipments on the road
    opened and ended (logistics.services.exceptions_watch). Safe to run twice:
    an open episode is never opened again. A busy row is retried."""
    from erp.core.errors import LockTimeout
    from logistics.services import exceptions_watch

    try:
        return exceptions_watch()
    except LockTimeout as exc:
        raise self.retry(exc=exc) from exc
