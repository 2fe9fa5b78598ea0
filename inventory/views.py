from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from inventory.filters import ProductFilter, StockLevelFilter, StockMoveFilter, WarehouseFilter
from inventory.forms import ReceiveForm, TransferForm
from inventory.models import Product
from inventory.selectors import (
    product_list,
    stock_level_list,
    stock_move_list,
    warehouse_list,
)
from inventory.services import stock_receive, stock_transfer


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

    def row_url(self, obj):
        return reverse("inventory:product-detail", args=[obj.sku])


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


class StockLevelListView(StaffListView):
    permission_required = "inventory.view_stocklevel"
    filterset_class = StockLevelFilter
    queryset = stock_level_list()
    title = _("Stock")
    paginate_by = 50
    highlight_field = "is_low"
    columns = [
        ("product.sku", _("SKU"), "sku"),
        ("product.name", _("name")),
        ("warehouse.code", _("warehouse"), "warehouse"),
        ("on_hand", _("on hand")),
        ("reserved", _("reserved")),
        ("available_qty", _("available"), "available"),
        ("product.reorder_point", _("reorder point")),
        ("is_low", _("low stock")),
    ]
    empty_message = _("No stock matches these filters.")

    def row_url(self, obj):
        return reverse("inventory:product-detail", args=[obj.product.sku])


class StockMoveListView(StaffListView):
    permission_required = "inventory.view_stockmove"
    filterset_class = StockMoveFilter
    queryset = stock_move_list()
    title = _("Stock ledger")
    paginate_by = 50
    columns = [
        ("created_at", _("time"), "created_at"),
        ("kind", _("kind")),
        ("product.sku", _("SKU")),
        ("warehouse.code", _("warehouse")),
        ("quantity", _("quantity"), "quantity"),
        ("on_hand_after", _("on hand after")),
        ("unit_cost", _("unit cost")),
        ("reference", _("reference")),
        ("note", _("note")),
        ("actor", _("by")),
    ]
    empty_message = _("No stock moves match these filters.")


@login_required
@permission_required("inventory.view_product", raise_exception=True)
def product_detail(request, sku: str):
    """A product with its stock in every warehouse and its ledger."""
    product = get_object_or_404(Product, sku=sku)
    levels = stock_level_list().filter(product=product)
    moves = Paginator(stock_move_list().filter(product=product), 25).get_page(
        request.GET.get("page")
    )
    totals = {
        "on_hand": sum(level.on_hand for level in levels),
        "reserved": sum(level.reserved for level in levels),
        "available": sum(level.available_qty for level in levels),
    }
    return render(
        request,
        "inventory/product_detail.html",
        {"product": product, "levels": levels, "moves": moves, "totals": totals},
    )


class ReceiveView(ServiceFormView):
    """Goods in, one scan at a time: the warehouse stays chosen between receipts."""

    permission_required = "inventory.add_stockmove"
    form_class = ReceiveForm
    title = _("Receive goods")
    hint = _("Scan a barcode into the product field; the scanner's Enter books the receipt.")

    def get_initial(self):
        return {"warehouse": self.request.GET.get("warehouse"), "quantity": 1}

    def perform(self, form):
        data = form.cleaned_data
        return stock_receive(
            warehouse=data["warehouse"],
            product=data["product"],
            quantity=data["quantity"],
            unit_cost=data["unit_cost"],
            reference=data["reference"],
            actor=self.request.user,
        )

    def get_success_message(self, move) -> str:
        return _("Received %(quantity)s × %(sku)s into %(warehouse)s; on hand now %(after)s.") % {
            "quantity": move.quantity,
            "sku": move.product.sku,
            "warehouse": move.warehouse.code,
            "after": move.on_hand_after,
        }

    def get_success_url_for(self, move) -> str:
        return reverse("inventory:receive") + f"?warehouse={move.warehouse.code}"


class TransferView(ServiceFormView):
    permission_required = "inventory.add_stockmove"
    form_class = TransferForm
    title = _("Transfer stock")
    hint = _("Scan or type the product, choose both warehouses and the quantity.")

    def perform(self, form):
        data = form.cleaned_data
        return stock_transfer(
            product=data["product"],
            source=data["source"],
            destination=data["destination"],
            quantity=data["quantity"],
            note=data["note"],
            actor=self.request.user,
        )

    def get_success_message(self, moves) -> str:
        moved_out, moved_in = moves
        return _(
            "Moved %(quantity)s × %(sku)s from %(source)s to %(destination)s (%(reference)s)."
        ) % {
            "quantity": moved_in.quantity,
            "sku": moved_in.product.sku,
            "source": moved_out.warehouse.code,
            "destination": moved_in.warehouse.code,
            "reference": moved_in.reference,
        }

    def get_success_url_for(self, moves) -> str:
        return reverse("inventory:transfer")
