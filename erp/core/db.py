"""Database helpers shared by services."""

from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from erp.core.errors import LockTimeout

# SQLSTATEs of a lock given up: lock_not_available (lock_timeout, NOWAIT) and
# deadlock_detected (PostgreSQL broke a cycle of waits by failing this side).
LOCK_GIVEN_UP = {"55P03", "40P01"}


def _lock_given_up(exc: OperationalError) -> bool:
    if getattr(exc.__cause__, "pgcode", None) in LOCK_GIVEN_UP:
        return True
    text = str(exc).lower()
    return "lock timeout" in text or "canceling statement" in text or "deadlock detected" in text


@contextmanager
def lock_timeout(milliseconds: int | None = None):
    """Inside a transaction: wait at most this long (default LOCK_TIMEOUT_MS) for
    a row lock (PostgreSQL); a timeout becomes LockTimeout (409 in the API, a
    retry in a task). So does a deadlock PostgreSQL broke by failing this
    transaction: the other side goes on, this one may simply run again."""
    if milliseconds is None:
        milliseconds = settings.LOCK_TIMEOUT_MS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(milliseconds)}ms"])
    try:
        yield
    except OperationalError as exc:
        if _lock_given_up(exc):
            raise LockTimeout(_("The stock is busy; please retry in a moment.")) from exc
        raise


def advisory_lock(key: str) -> None:
    """Inside a transaction: serialise work on one natural key (PostgreSQL
    advisory lock, released at commit). Other databases serialise writes anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
