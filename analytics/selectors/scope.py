"""The scope an analytics question is asked over - a period of local days, a
sales channel, a warehouse - read one way by the KPI API, the dashboards,
the forecasts and the reports: a local day's bounds, what makes a period
acceptable, and the channel or warehouse an input names by its code."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.errors import DomainError
from inventory.models import Warehouse
from orders.models import SalesChannel


class ScopeInvalid(DomainError):
    """An input of an analytics question is wrong - its period, channel or
    warehouse, or the KPI or breakdown asked for; `field` names it (400 in
    the API)."""

    status_code = 400
    code = "invalid"


def local_tz():
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """The first moment of a local day."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The local days first..last (inclusive) as aware datetimes [start, end)."""
    return day_start(first), day_start(last + timedelta(days=1))


def period_error(date_from: date, date_to: date, *, max_days: int) -> str | None:
    """What is wrong with a period of local days (inclusive), or None. Both
    faults are the end's: it lies before the start, or too far after it."""
    if date_to < date_from:
        return _("The end of the period is before its start.")
    if (date_to - date_from).days + 1 > max_days:
        return _("A period may span at most %(days)s days.") % {"days": max_days}
    return None


def _by_code(model, code, *, field: str, message: str):
    if code in (None, ""):
        return None
    if isinstance(code, model):
        return code
    found = model.objects.filter(code=str(code).strip()).first()
    if found is None:
        raise ScopeInvalid(message % {"code": code}, field=field)
    return found


def channel_by_code(code, *, field: str = "channel") -> SalesChannel | None:
    """The sales channel of a code (None for none given); an unknown code is
    a ScopeInvalid naming `field`."""
    return _by_code(
        SalesChannel, code, field=field, message=_("No sales channel has the code %(code)s.")
    )


def warehouse_by_code(code, *, field: str = "warehouse") -> Warehouse | None:
    """The warehouse of a code, as channel_by_code."""
    return _by_code(Warehouse, code, field=field, message=_("No warehouse has the code %(code)s."))
