from django.db.models import Q, QuerySet

from analytics.models import Alert, AlertEvent, KpiTarget
from erp.core.roles import Role, user_roles


def target_list() -> QuerySet[KpiTarget]:
    return KpiTarget.objects.all()


# --- Alerts --------------------------------------------------------------------


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("owner", "acknowledged_by", "resolved_by").order_by(
        "-raised_at", "-id"
    )


def alert_scope(user) -> Q | None:
    """Which alerts a signed-in user may see: None for all, else a Q.

    Admins and analysts see every alert; anyone else the alerts of their
    roles (owning or escalated to) and those given to them."""
    if user.is_superuser:
        return None
    roles = user_roles(user)
    if Role.ADMIN in roles or Role.ANALYST in roles:
        return None
    return Q(owner_role__in=roles) | Q(escalated_to_role__in=roles) | Q(owner=user)


def alerts_visible_to(user, queryset: QuerySet[Alert] | None = None) -> QuerySet[Alert]:
    queryset = alert_list() if queryset is None else queryset
    scope = alert_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def alert_events(alert: Alert) -> QuerySet[AlertEvent]:
    return alert.events.select_related("actor").order_by("created_at", "id")
