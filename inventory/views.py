from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from erp.core.widgets import style_form
from inventory.filters import (
    ProductFilter,
    StockCountFilter,
    StockLevelFilter,
    StockMoveFilter,
    WarehouseFilter,
)
from inventory.forms import CountEntryForm, CountOpenForm, ReceiveForm, TransferForm
from inventory.hooks import product_panels
from inventory.models import Product, StockCount
from inventory.selectors import (
    product_list,
    stock_count_list,
    stock_level_list,
    stock_move_list,
    warehouse_list,
)
from inventory.services import (
    stock_count_approve,
    stock_count_cancel,
    stock_count_open,
    stock_count_record,
    stock_count_submit,
    stock_receive,
    stock_transfer,
)


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
    drill_filters = ("out_of_stock",)

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
    drill_filters = ("category",)


@login_required
@permission_required("inventory.view_product", raise_exception=True)
def product_detail(request, sku: str):
    """A product with its stock in every warehouse and its ledger, and the
    panels other apps register (inventory.hooks)."""
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
        {
            "product": product,
            "levels": levels,
            "moves": moves,
            "totals": totals,
            # What other apps show here (inventory.hooks), e.g. the demand forecast.
            "panels": product_panels(request, product),
        },
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


class StockCountListView(StaffListView):
    permission_required = "inventory.view_stockcount"
    filterset_class = StockCountFilter
    queryset = stock_count_list()
    title = _("Cycle counts")
    columns = [
        ("number", _("number"), "number"),
        ("warehouse.code", _("warehouse")),
        ("status", _("status")),
        ("blind", _("blind count")),
        ("created_at", _("opened"), "created_at"),
        ("posted_at", _("posted at")),
        ("note", _("note")),
    ]
    create_url_name = "inventory:count-create"
    create_permission = "inventory.add_stockcount"
    empty_message = _("No cycle counts match these filters.")

    def row_url(self, obj):
        return reverse("inventory:count-detail", args=[obj.number])


class StockCountOpenView(ServiceFormView):
    permission_required = "inventory.add_stockcount"
    form_class = CountOpenForm
    title = _("Open a cycle count")
    cancel_url_name = "inventory:count-list"

    def perform(self, form):
        data = form.cleaned_data
        return stock_count_open(
            warehouse=data["warehouse"],
            products=data["skus"] or None,
            blind=data["blind"],
            note=data["note"],
            actor=self.request.user,
        )

    def get_success_message(self, count) -> str:
        return _("Cycle count %(number)s opened.") % {"number": count.number}

    def get_success_url_for(self, count) -> str:
        return reverse("inventory:count-detail", args=[count.number])


@login_required
@permission_required("inventory.view_stockcount", raise_exception=True)
def stock_count_detail(request, number: str):
    count = get_object_or_404(stock_count_list(), number=number)
    entry = style_form(CountEntryForm(request.POST or None, prefix="entry"))
    can_count = request.user.has_perm("inventory.change_stockcount")
    if request.method == "POST":
        if not can_count:
            raise PermissionDenied
        if entry.is_valid():
            try:
                line = stock_count_record(
                    count=count,
                    product=entry.cleaned_data["product"],
                    counted=entry.cleaned_data["counted"],
                    actor=request.user,
                )
            except DomainError as exc:
                entry.add_error(exc.field if exc.field in entry.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(sku)s: %(counted)s counted.")
                    % {"sku": line.product.sku, "counted": line.counted},
                )
                return redirect("inventory:count-detail", number=count.number)
    lines = list(count.lines.all())
    hide_books = count.blind and count.status == StockCount.Status.OPEN
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "entry": entry,
            "hide_books": hide_books,
            "counted": sum(1 for line in lines if line.counted is not None),
            "can_count": can_count and count.status == StockCount.Status.OPEN,
            "can_approve": request.user.has_perm("inventory.approve_stockcount")
            and count.status == StockCount.Status.SUBMITTED,
            "can_cancel": can_count
            and count.status in (StockCount.Status.OPEN, StockCount.Status.SUBMITTED),
        },
    )


COUNT_ACTIONS = {
    "submit": (
        "inventory.change_stockcount",
        stock_count_submit,
        _("Count submitted for approval."),
    ),
    "approve": (
        "inventory.approve_stockcount",
        stock_count_approve,
        _("Count approved; variances posted."),
    ),
    "cancel": ("inventory.change_stockcount", stock_count_cancel, _("Count cancelled.")),
}


@login_required
@require_POST
def stock_count_action(request, number: str, action: str):
    if action not in COUNT_ACTIONS:
        raise Http404
    permission, service, done = COUNT_ACTIONS[action]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    count = get_object_or_404(StockCount, number=number)
    try:
        service(count=count, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("inventory:count-detail", number=number)
