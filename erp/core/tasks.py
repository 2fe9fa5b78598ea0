"""Periodic housekeeping of the kernel. Each is safe to run twice."""

from celery import shared_task
from django.core.management import call_command

from erp.core.idempotency import idempotency_keys_purge


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task(name="core.clear_expired_sessions")
def clear_expired_sessions() -> None:
    call_command("clearsessions")
