from django.utils.translation import gettext_lazy as _

from erp.core.views import StaffListView
from inventory.filters import ProductFilter, WarehouseFilter
from inventory.selectors import product_list, warehouse_list


class ProductListView(StaffListView):
    permission_required = "inventory.view_product"
    filterset_class = ProductFilter
    queryset = product_list()
    title = _("Products")
    columns = [
        ("sku", _("SKU")),
        ("name", _("name")),
        ("barcode", _("barcode")),
        ("category", _("category")),
        ("unit", _("unit")),
        ("list_price", _("list price")),
        ("reorder_point", _("reorder point")),
        ("active", _("active")),
    ]
    empty_message = _("No products match these filters.")


class WarehouseListView(StaffListView):
    permission_required = "inventory.view_warehouse"
    filterset_class = WarehouseFilter
    queryset = warehouse_list()
    title = _("Warehouses")
    columns = [
        ("code", _("code")),
        ("name", _("name")),
        ("kind", _("kind")),
        ("city", _("city")),
        ("address", _("address")),
        ("active", _("active")),
    ]
    empty_message = _("No warehouses match these filters.")
