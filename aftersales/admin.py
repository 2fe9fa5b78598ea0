from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aftersales.models import (
    BusinessCalendar,
    CalendarDay,
    CustomerNotice,
    Feedback,
    RepairOrder,
    RepairPart,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ServiceTeam,
    SlaPolicy,
    SlaRecord,
    TeamSkill,
    Ticket,
)


class TeamSkillInline(admin.TabularInline):
    model = TeamSkill
    extra = 1


@admin.register(ServiceTeam)
class ServiceTeamAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["members"]
    inlines = [TeamSkillInline]


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    """Back-office fixes only: tickets are worked on their pages."""

    list_display = ["number", "subject", "customer", "kind", "status", "priority", "assignee"]
    list_filter = ["status", "kind", "channel", "priority", "team"]
    search_fields = ["number", "subject", "customer__code", "customer__name"]
    raw_id_fields = [
        "customer",
        "order",
        "order_line",
        "shipment",
        "shipment_exception",
        "assignee",
        "created_by",
    ]
    readonly_fields = ["number", "public_token"]


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(admin.ModelAdmin):
    list_display = ["subject", "customer", "to", "status", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject", "to", "customer__code"]
    raw_id_fields = ["exception", "customer"]


class RepairPartInline(admin.TabularInline):
    model = RepairPart
    extra = 0
    can_delete = False
    raw_id_fields = ["product", "warehouse", "stock_move"]
    readonly_fields = ["product", "warehouse", "quantity", "unit_cost", "unit_price", "stock_move"]

    def has_add_permission(self, request, obj=None):
        return False  # parts leave stock through aftersales.services.repairs only


@admin.register(RepairOrder)
class RepairOrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "status", "customer", "product", "in_warranty", "charged_amount"]
    list_filter = ["status", "in_warranty"]
    search_fields = ["number", "serial_number", "customer__code", "product__sku"]
    raw_id_fields = ["customer", "product", "order_line", "ticket", "return_line", "technician"]
    readonly_fields = [
        "number",
        "status",
        "in_warranty",
        "parts_price",
        "parts_cost",
        "labour_amount",
        "covered_amount",
        "charged_amount",
    ]
    inlines = [RepairPartInline]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["ticket", "assignee", "csat", "nps", "sent_at", "submitted_at"]
    list_filter = ["csat"]
    search_fields = ["ticket__number", "comment"]
    raw_id_fields = ["ticket", "customer", "assignee"]
    exclude = ["token"]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = ["channel", "category", "days", "no_reason", "active"]
    list_filter = ["active", "no_reason", "channel"]
    search_fields = ["category"]


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    raw_id_fields = ["order_line", "replacement_product"]
    readonly_fields = ["order_line", "quantity", "quantity_received", "disposition"]

    def has_add_permission(self, request, obj=None):
        return False  # lines are written by aftersales.services.returns only


@admin.register(ReturnRequest)
class ReturnRequestAdmin(SimpleHistoryAdmin):
    list_display = [
        "number",
        "kind",
        "status",
        "order",
        "customer",
        "refund_amount",
        "requested_at",
    ]
    list_filter = ["status", "kind", "receive_into"]
    search_fields = ["number", "order__number", "customer__code", "return_tracking_number"]
    raw_id_fields = ["order", "customer", "ticket", "replacement_order", "created_by"]
    # Status, quantities and money change through the services (stock and refunds follow them).
    readonly_fields = [
        "number",
        "kind",
        "status",
        "order",
        "customer",
        "warehouse",
        "receive_into",
        "refund_amount",
        "replacement_order",
        "price_difference",
        "decided_at",
        "decided_by",
        "received_at",
        "inspected_at",
        "completed_at",
    ]
    inlines = [ReturnLineInline]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "always_open", "day_start", "day_end"]
    search_fields = ["code", "name"]
    inlines = [CalendarDayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "priority",
        "customer_tier",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
        "active",
    ]
    list_filter = ["priority", "customer_tier", "active"]
    search_fields = ["name"]


@admin.register(SlaRecord)
class SlaRecordAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "kind", "due_at", "recorded_at"]
    list_filter = ["metric", "kind"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket"]
