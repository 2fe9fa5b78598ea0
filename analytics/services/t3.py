"""The T-3 scan: an alert for every order not yet shipped whose promised date
is at most ORDER_AT_RISK_DAYS away (or already past).

One query over the (status, promised_date) index finds the orders, one more
reads their creators; nothing else is read per order beyond `alert_raise`.
The cause of an alert is the order and its promised date, so a resolved
alert stays resolved until the promise changes, and a promise moved earlier
moves the open alert's cause instead of raising a second alert.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.models import Alert
from analytics.services.alerts import alert_raise, alerts_clear
from analytics.services.lifecycle import alert_notify_owner
from erp.core.roles import Role
from orders.models import Order

KIND = Alert.Kind.T3_DELIVERY

# Not yet shipped: anything before "shipped", and orders on hold.
UNSHIPPED = (
    Order.Status.PENDING,
    Order.Status.CONFIRMED,
    Order.Status.IN_FULFILMENT,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.ON_HOLD,
)


def _message(number: str, promised: date, today: date) -> str:
    days = (promised - today).days
    values = {"number": number, "date": promised.isoformat(), "days": abs(days)}
    if days > 0:
        return (
            ngettext(
                "Order %(number)s is not shipped and is promised for %(date)s: %(days)d day left.",
                "Order %(number)s is not shipped and is promised for %(date)s: %(days)d days left.",
                days,
            )
            % values
        )
    if days == 0:
        return _("Order %(number)s is not shipped and is promised for today (%(date)s).") % values
    return (
        ngettext(
            "Order %(number)s is not shipped and was promised for %(date)s, %(days)d day ago.",
            "Order %(number)s is not shipped and was promised for %(date)s, %(days)d days ago.",
            -days,
        )
        % values
    )


def _staff_owners(user_ids) -> dict:
    """The creators who are active staff (admins or holders of a role)."""
    users = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .filter(Q(is_staff=True) | Q(groups__isnull=False))
        .distinct()
    )
    return {user.pk: user for user in users}


def t3_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Raise (or refresh) one T-3 alert per at-risk order and mark the alerts
    of orders no longer at risk as cleared. Safe to run twice and by several
    workers at once (alert_raise decides races through the constraints)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=settings.ORDER_AT_RISK_DAYS)
    orders = list(
        Order.objects.filter(status__in=UNSHIPPED, promised_date__lte=horizon)
        .order_by("promised_date", "pk")
        .values("pk", "number", "promised_date", "created_by_id", "customer__name", "status")
    )
    owners = _staff_owners({o["created_by_id"] for o in orders if o["created_by_id"]})
    found, raised = set(), 0
    for order in orders:
        promised = order["promised_date"]
        subject_key = f"order:{order['pk']}"
        found.add(subject_key)
        alert, created = alert_raise(
            kind=KIND,
            subject_key=subject_key,
            cause_key=f"{subject_key}:promised:{promised.isoformat()}",
            subject_label=f"{order['number']} {order['customer__name']}",
            subject_url=reverse("orders:order-detail", args=[order["number"]]),
            message=_message(order["number"], promised, today),
            severity=Alert.Severity.CRITICAL if promised <= today else Alert.Severity.WARNING,
            owner_role=Role.ORDER_CLERK,
            owner=owners.get(order["created_by_id"]),
            details={
                "order": order["number"],
                "promised_date": promised.isoformat(),
                "days_left": (promised - today).days,
                "status": order["status"],
            },
            now=now,
        )
        if created:
            raised += 1
            alert_notify_owner(alert)
    cleared = alerts_clear(kind=KIND, keep_subject_keys=found, now=now)
    return {"found": len(found), "raised": raised, "cleared": cleared}
