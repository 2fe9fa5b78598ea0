"""Database helpers shared by services."""

from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from erp.core.errors import LockTimeout


@contextmanager
def lock_timeout(milliseconds: int | None = None):
    """Inside a transaction: wait at most this long (default LOCK_TIMEOUT_MS) for
    a row lock (PostgreSQL); a timeout becomes LockTimeout (409 in the API, a
    retry in a task)."""
    if milliseconds is None:
        milliseconds = settings.LOCK_TIMEOUT_MS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(milliseconds)}ms"])
    try:
        yield
    except OperationalError as exc:
        if "lock timeout" in str(exc).lower() or "canceling statement" in str(exc).lower():
            raise LockTimeout(_("The stock is busy; please retry in a moment.")) from exc
        raise


def advisory_lock(key: str) -> None:
    """Inside a transaction: serialise work on one natural key (PostgreSQL
    advisory lock, released at commit). Other databases serialise writes anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
