from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from logistics.models import (
    Carrier,
    DispatchPlan,
    Driver,
    PickWave,
    Shipment,
    ShipmentEvent,
    ShipmentException,
    ShipmentLine,
    TrackingDevice,
    Vehicle,
)


@admin.register(Carrier)
class CarrierAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "mode", "phone", "own_fleet", "active"]
    list_filter = ["mode", "active"]
    search_fields = ["code", "name"]


@admin.register(Vehicle)
class VehicleAdmin(SimpleHistoryAdmin):
    list_display = [
        "plate",
        "depot",
        "capacity_kg",
        "capacity_m3",
        "driver",
        "refrigerated",
        "status",
    ]
    list_filter = ["status", "refrigerated", "depot"]
    search_fields = ["plate"]


@admin.register(Driver)
class DriverAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phone", "licence_number", "active"]
    search_fields = ["name", "phone"]


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ["order_line"]


@admin.register(Shipment)
class ShipmentAdmin(SimpleHistoryAdmin):
    """Back-office view. Status changes belong to the services (the pages and
    the API), so the status is read-only here."""

    list_display = ["number", "order", "warehouse", "status", "carrier", "tracking_number"]
    list_filter = ["status", "warehouse", "carrier"]
    search_fields = ["number", "tracking_number", "order__number"]
    raw_id_fields = ["order", "vehicle", "pick_wave"]
    readonly_fields = ["status", "exception_from", "picked_up_at", "delivered_at", "co2e_kg"]
    inlines = [ShipmentLineInline]


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(admin.ModelAdmin):
    list_display = ["shipment", "occurred_at", "kind", "source", "to_status", "location"]
    list_filter = ["kind", "source"]
    search_fields = ["shipment__number", "external_id"]
    raw_id_fields = ["shipment", "actor"]


@admin.register(ShipmentException)
class ShipmentExceptionAdmin(admin.ModelAdmin):
    list_display = ["shipment", "kind", "status", "started_at", "ended_at"]
    list_filter = ["kind", "status"]
    search_fields = ["shipment__number"]
    raw_id_fields = ["shipment", "resolved_by"]


@admin.register(PickWave)
class PickWaveAdmin(admin.ModelAdmin):
    list_display = ["number", "warehouse", "status", "picker", "created_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["number"]


@admin.register(DispatchPlan)
class DispatchPlanAdmin(admin.ModelAdmin):
    list_display = ["number", "depot", "date", "status", "total_distance_m"]
    list_filter = ["status", "depot"]
    search_fields = ["number"]
    filter_horizontal = ["vehicles"]
    raw_id_fields = ["shipments"]


@admin.register(TrackingDevice)
class TrackingDeviceAdmin(admin.ModelAdmin):
    list_display = ["device_id", "name", "shipment", "vehicle", "active", "last_seen_at"]
    list_filter = ["active"]
    search_fields = ["device_id", "name"]
    raw_id_fields = ["shipment", "vehicle"]
    readonly_fields = ["token_digest", "token_prefix"]
