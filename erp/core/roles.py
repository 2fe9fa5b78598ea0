"""Staff roles. Each role is a Django group; its permissions are declared here
and kept in sync after every migrate, so a new model's permissions reach the
roles that need them without a hand-written migration.

Patterns are "<app_label>.<codename>" with shell wildcards. Strings only: the
kernel names the domain apps' permissions but never imports them.
"""

from fnmatch import fnmatchcase

from django.db import models
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", pgettext_lazy("role", "admin")
    ORDER_CLERK = "order_clerk", pgettext_lazy("role", "order clerk")
    WAREHOUSE = "warehouse", pgettext_lazy("role", "warehouse")
    WAREHOUSE_MANAGER = "warehouse_manager", pgettext_lazy("role", "warehouse manager")
    DISPATCHER = "dispatcher", pgettext_lazy("role", "dispatcher")
    AFTERSALES_AGENT = "aftersales_agent", pgettext_lazy("role", "after-sales agent")
    ACCOUNT_MANAGER = "account_manager", pgettext_lazy("role", "account manager")
    ANALYST = "analyst", pgettext_lazy("role", "analyst")


DOMAIN_APPS = ("crm", "inventory", "orders", "logistics", "aftersales", "analytics")

# Who a customer is and how they score: for everyone who serves customers.
# Care tasks, segments, campaigns and merges are the account managers' work.
CRM_CUSTOMER_READ = [
    "crm.view_customer",
    "crm.view_address",
    "crm.view_contact",
    "crm.view_tag",
    "crm.view_customerscore",
    "crm.view_tierchange",
]

# Alerts: the roles that own them see (those of their roles, see
# analytics.selectors.alerts_visible_to), acknowledge, assign and resolve them.
ALERT_WORK = ["analytics.view_alert", "analytics.resolve_alert", "analytics.view_alertevent"]

# Reports: those who request them see their own (admins every one); which
# kinds each may request follows their other permissions
# (analytics.reports.kinds). Managers and analysts also schedule them.
REPORT_USE = ["analytics.view_report", "analytics.add_report"]
REPORT_SCHEDULE = [
    "analytics.view_reportschedule",
    "analytics.add_reportschedule",
    "analytics.change_reportschedule",
]

# Demand forecasts and reorder suggestions (the product page's chart, the
# reorder list and API): warehouse managers, analysts and admins. Applying a
# suggestion also takes inventory.change_product.
FORECAST_READ = [
    "analytics.view_forecastrun",
    "analytics.view_forecastpoint",
    "analytics.view_reordersuggestion",
]

# KPIs (analytics.selectors.kpis, /api/v1/kpis/): those who steer - admins
# and analysts (all of analytics), warehouse and account managers.
KPI_READ = ["analytics.view_kpis"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["*"],
    Role.ORDER_CLERK: [
        *ALERT_WORK,
        *REPORT_USE,
        "orders.*",
        *CRM_CUSTOMER_READ,
        "crm.view_interaction",
        "crm.add_customer",
        "crm.change_customer",
        "crm.add_address",
        "crm.change_address",
        "crm.add_contact",
        "crm.change_contact",
        "crm.add_interaction",
        "inventory.view_*",
        "logistics.view_*",
    ],
    Role.WAREHOUSE: [
        *ALERT_WORK,
        "inventory.*",
        "orders.view_*",
        "logistics.view_*",
        # pick waves and packing; creating shipments from orders
        "logistics.pack_shipment",
        "logistics.add_shipment",
        "logistics.*_pickwave",
        "logistics.*_pickline",
        # returned goods arrive at the warehouse: receive and inspect them
        "aftersales.view_returnrequest",
        "aftersales.receive_returnrequest",
    ],
    Role.WAREHOUSE_MANAGER: [
        *ALERT_WORK,
        *KPI_READ,
        *REPORT_USE,
        *REPORT_SCHEDULE,
        *FORECAST_READ,
        "inventory.*",
        "orders.view_*",
        "logistics.view_*",
        "logistics.pack_shipment",
        "logistics.add_shipment",
        "logistics.*_pickwave",
        "logistics.*_pickline",
        "aftersales.view_returnrequest",
        "aftersales.receive_returnrequest",
    ],
    Role.DISPATCHER: [
        *ALERT_WORK,
        *REPORT_USE,
        "logistics.*",
        "orders.view_*",
        "inventory.view_warehouse",
        "crm.view_customer",
        "crm.view_address",
        "crm.view_contact",
    ],
    Role.AFTERSALES_AGENT: [
        *ALERT_WORK,
        *REPORT_USE,
        "aftersales.*",
        # the customer notifications list (what was sent to whom, and whether it went)
        "core.view_notification",
        "orders.view_*",
        "orders.add_refund",
        *CRM_CUSTOMER_READ,
        "crm.view_interaction",
        "crm.add_interaction",
        "crm.change_customer",
        "logistics.view_*",
        "inventory.view_product",
    ],
    Role.ACCOUNT_MANAGER: [
        *KPI_READ,
        *REPORT_USE,
        "crm.*",
        "orders.view_*",
        "aftersales.view_*",
    ],
    Role.ANALYST: [f"{app}.view_*" for app in DOMAIN_APPS] + ["analytics.*"],
}

# Permissions a role must not hold even where a pattern above matches: counts
# are approved by a warehouse manager, not by the staff who count.
ROLE_EXCLUSIONS: dict[str, set[str]] = {
    Role.WAREHOUSE: {"inventory.approve_stockcount"},
    # Tickets hold customers' words: agents (their own and their team's),
    # account managers (their customers') and admins read them; analysts get
    # the figures through analytics, not the conversations.
    Role.ANALYST: {
        # interactions are conversations too
        "crm.view_interaction",
        "aftersales.view_ticket",
        "aftersales.view_ticketmessage",
        "aftersales.view_ticketattachment",
        "aftersales.view_ticketevent",
        "aftersales.view_feedback",
        # Analysts look at alerts; those who own them close them.
        "analytics.resolve_alert",
        *(
            f"analytics.{action}_{model}"
            for action in ("add", "change", "delete")
            for model in ("alert", "alertevent")
        ),
    },
    # Only admins hand a ticket to anybody (agents take and pass on within
    # their teams) and set the service levels and working calendars.
    Role.AFTERSALES_AGENT: {
        "aftersales.assign_ticket",
        *(
            f"aftersales.{action}_{model}"
            for action in ("add", "change", "delete")
            for model in ("slapolicy", "businesscalendar", "calendarday")
        ),
    },
}

# Historical models (simple-history) get their own permissions; nobody but the
# admin role needs them.
_EXCLUDED_CODENAME_PREFIXES = ("add_historical", "change_historical", "delete_historical")


def permissions_for_role(role: str, permissions) -> list:
    """The Permission rows (from `permissions`, a queryset) a role should hold."""
    patterns = ROLE_PERMISSIONS[role]
    chosen = []
    for perm in permissions:
        name = f"{perm.content_type.app_label}.{perm.codename}"
        if role != Role.ADMIN and perm.codename.startswith(_EXCLUDED_CODENAME_PREFIXES):
            continue
        if name in ROLE_EXCLUSIONS.get(role, ()):
            continue
        if any(fnmatchcase(name, pattern) for pattern in patterns):
            chosen.append(perm)
    return chosen


def sync_role_permissions(sender=None, using="default", **kwargs) -> None:
    """Create the role groups and give each exactly its declared permissions."""
    from django.contrib.auth.models import Group, Permission

    all_perms = list(Permission.objects.using(using).select_related("content_type"))
    if not all_perms:
        return
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set(permissions_for_role(role, all_perms))


def user_has_role(user, *roles: str) -> bool:
    """Whether a signed-in user holds one of `roles` (superusers count as admins)."""
    if user is None or not user.is_authenticated:
        return False
    if Role.ADMIN in roles and user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def user_is_admin(user) -> bool:
    return user_has_role(user, Role.ADMIN)


def role_members(*roles: str):
    """Active users holding any of `roles`, each once, in primary-key order."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles)
        .distinct()
        .order_by("pk")
    )


def user_roles(user) -> list[str]:
    """The role names of a user, in declaration order."""
    if not user.is_authenticated:
        return []
    names = {g.name for g in user.groups.all()}
    return [role.value for role in Role if role.value in names]
