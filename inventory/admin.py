from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from inventory.models import Location, Product, Warehouse


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["sku", "name", "barcode", "category", "list_price", "active"]
    list_filter = ["active", "category", "unit"]
    search_fields = ["sku", "name", "barcode"]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Warehouse)
class WarehouseAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "city", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "city"]
    inlines = [LocationInline]
