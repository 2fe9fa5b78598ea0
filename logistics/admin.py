from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from logistics.models import Carrier, Driver, Vehicle


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
