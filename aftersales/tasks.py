from celery import shared_task


@shared_task(name="aftersales.open_exception_ticket", bind=True, max_retries=5)
def open_exception_ticket(self, exception_id: int) -> str:
    """Open the ticket of a logistics exception; safe to run twice."""
    from aftersales.services.inbound import exception_ticket_open
    from erp.core.errors import LockTimeout

    try:
        ticket, created = exception_ticket_open(exception_id=exception_id)
    except LockTimeout as exc:
        raise self.retry(exc=exc, countdown=10) from exc
    return f"{ticket.number} {'opened' if created else 'exists'}"


@shared_task(name="aftersales.watch_sla")
def watch_sla() -> dict[str, int]:
    """Every 5 minutes: SLA warnings and breaches of open tickets recorded and
    notified once (aftersales.services.sla.sla_watch). Safe to run twice, and
    two at once: each target is recorded under the ticket's row lock and a
    unique constraint, and a ticket another worker holds is skipped."""
    from aftersales.services.sla import sla_watch

    return sla_watch()


@shared_task(name="aftersales.watch_exception_tickets")
def watch_exception_tickets() -> int:
    """Open the tickets a failed receiver missed; safe to run twice."""
    from aftersales.services.inbound import exception_tickets_sweep

    return exception_tickets_sweep()
