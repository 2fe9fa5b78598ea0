from celery import shared_task


@shared_task(name="aftersales.notify_exception", bind=True, max_retries=5, default_retry_delay=30)
def notify_exception(self, exception_id: int) -> str:
    """Tell the customer about a shipment exception; safe to run twice."""
    from aftersales.services import exception_notice_send

    try:
        notice = exception_notice_send(exception_id=exception_id)
    except OSError as exc:  # the mail server did not answer: try again later
        raise self.retry(exc=exc) from exc
    return notice.status if notice is not None else "not_notified"
