"""The staff navigation: one section per domain, each entry shown only to the
roles whose permissions reach it."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Whoever may import or export one kind of data sees the job pages.
TRANSFER_PERMISSIONS = (
    "inventory.add_product",
    "inventory.add_stockmove",
    "crm.add_customer",
    "orders.add_order",
    "inventory.view_product",
    "inventory.view_stocklevel",
    "crm.view_customer",
    "orders.view_order",
)

# (section, icon, [(label, url name, permission or a tuple of which any one will do)])
NAVIGATION = [
    (
        _("Orders"),
        "bi-receipt",
        [
            (_("Orders"), "orders:order-list", "orders.view_order"),
            (_("New order"), "orders:order-create", "orders.add_order"),
            (_("Import orders"), ("import", "orders"), "orders.add_order"),
            (_("Sales channels"), "orders:channel-list", "orders.view_saleschannel"),
            (_("Inbound messages"), "orders:inbound-list", "orders.view_inboundmessage"),
        ],
    ),
    (
        _("Inventory"),
        "bi-box-seam",
        [
            (_("Stock"), "inventory:stock-list", "inventory.view_stocklevel"),
            (_("Products"), "inventory:product-list", "inventory.view_product"),
            (_("Stock ledger"), "inventory:move-list", "inventory.view_stockmove"),
            (_("Receive goods"), "inventory:receive", "inventory.add_stockmove"),
            (_("Transfer stock"), "inventory:transfer", "inventory.add_stockmove"),
            (_("Cycle counts"), "inventory:count-list", "inventory.view_stockcount"),
            (_("Import products"), ("import", "products"), "inventory.add_product"),
            (_("Import stock receipts"), ("import", "stock"), "inventory.add_stockmove"),
            (_("Warehouses"), "inventory:warehouse-list", "inventory.view_warehouse"),
        ],
    ),
    (
        _("Logistics"),
        "bi-truck",
        [
            (_("Shipment board"), "logistics:shipment-board", "logistics.view_shipment"),
            (_("Shipments"), "logistics:shipment-list", "logistics.view_shipment"),
            (_("Carbon emissions"), "logistics:carbon-report", "logistics.view_shipment"),
            (_("Pick waves"), "logistics:wave-list", "logistics.view_shipment"),
            (_("Carriers"), "logistics:carrier-list", "logistics.view_carrier"),
            (_("Vehicles"), "logistics:vehicle-list", "logistics.view_vehicle"),
            (_("Dispatch plans"), "logistics:dispatch-plan-list", "logistics.view_dispatchplan"),
        ],
    ),
    (
        _("After-sales"),
        "bi-headset",
        [
            (_("My queue"), "aftersales:ticket-mine", "aftersales.change_ticket"),
            (_("Team queue"), "aftersales:ticket-team", "aftersales.change_ticket"),
            (_("All tickets"), "aftersales:ticket-list", "aftersales.view_ticket"),
            (_("New ticket"), "aftersales:ticket-create", "aftersales.add_ticket"),
            (_("Teams"), "aftersales:team-list", "aftersales.view_serviceteam"),
            (_("SLA policies"), "aftersales:sla-policy-list", "aftersales.view_slapolicy"),
            (
                _("Service calendars"),
                "aftersales:calendar-list",
                "aftersales.view_businesscalendar",
            ),
            (_("Returns board"), "aftersales:return-board", "aftersales.view_returnrequest"),
            (_("Returns"), "aftersales:return-list", "aftersales.view_returnrequest"),
            (_("Repair board"), "aftersales:repair-board", "aftersales.view_repairorder"),
            (_("Repairs"), "aftersales:repair-list", "aftersales.view_repairorder"),
            (_("Feedback"), "aftersales:feedback-list", "aftersales.view_feedback"),
        ],
    ),
    (
        _("Customers"),
        "bi-people",
        [
            (_("Customers"), "crm:customer-list", "crm.view_customer"),
            (_("My care tasks"), "crm:care-mine", "crm.change_caretask"),
            (_("All care tasks"), "crm:care-list", "crm.view_caretask"),
            (_("Interactions"), "crm:interaction-list", "crm.view_interaction"),
            (_("Segments"), "crm:segment-list", "crm.view_segment"),
            (_("Campaigns"), "crm:campaign-list", "crm.view_campaign"),
            (_("Suggested duplicates"), "crm:duplicate-list", "crm.merge_customer"),
            (_("Merges"), "crm:merge-list", "crm.view_customermerge"),
            (_("Import customers"), ("import", "customers"), "crm.add_customer"),
            (_("Care rules"), "crm:care-rule-list", "crm.view_carerule"),
            (_("Tier thresholds"), "crm:tier-thresholds", "crm.view_tierthreshold"),
        ],
    ),
    (
        _("Analytics"),
        "bi-graph-up",
        [
            (_("Dashboards"), "analytics:dashboard-home", "orders.view_order"),
            (_("Fulfilment timeline"), "analytics:timeline", "orders.view_order"),
            (_("Alerts"), "analytics:alert-list", "analytics.view_alert"),
            (
                _("Reorder suggestions"),
                "analytics:reorder-list",
                "analytics.view_reordersuggestion",
            ),
            (_("Reports"), "analytics:report-list", "analytics.view_report"),
            (
                _("Scheduled reports"),
                "analytics:report-schedule-list",
                "analytics.view_reportschedule",
            ),
            (_("Targets"), "analytics:target-list", "analytics.view_kpitarget"),
        ],
    ),
    (
        _("Administration"),
        "bi-shield-lock",
        [
            (_("Imports and exports"), "transfer-list", TRANSFER_PERMISSIONS),
            (_("Export in the background"), "export", TRANSFER_PERMISSIONS),
            (_("Webhooks"), "webhooks:list", "core.view_webhooksubscription"),
            (_("Customer notifications"), "customer-notifications", "core.view_notification"),
            (_("Audit log"), "audit-log", "core.view_auditevent"),
        ],
    ),
]


def _url(target) -> str:
    if isinstance(target, tuple):
        name, *args = target
        return reverse(name, args=args)
    return reverse(target)


def _allowed(user, perm) -> bool:
    if isinstance(perm, tuple):
        return any(user.has_perm(p) for p in perm)
    return user.has_perm(perm)


def sections_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    sections = []
    for label, icon, entries in NAVIGATION:
        items = [
            {"label": item_label, "url": _url(url_name)}
            for item_label, url_name, perm in entries
            if _allowed(user, perm)
        ]
        if items:
            sections.append({"label": label, "icon": icon, "items": items})
    return sections


def navigation(request) -> dict:
    """Context processor: the sections the signed-in user may open."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_sections": []}
    return {"nav_sections": sections_for(user)}
