from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from erp.core.widgets import style_form
from orders.filters import OrderFilter, SalesChannelFilter
from orders.forms import PRODUCT_DATALIST_ID, OrderEntryForm, OrderLineFormSet, product_options
from orders.models import Order
from orders.selectors import channel_list, order_detail, order_list
from orders.services import order_cancel, order_confirm, order_create, order_hold, order_release
from orders.services.lifecycle import SHIPPABLE, allowed_targets

Status = Order.Status


class SalesChannelListView(StaffListView):
    permission_required = "orders.view_saleschannel"
    filterset_class = SalesChannelFilter
    queryset = channel_list()
    title = gettext_lazy("Sales channels")
    columns = [
        ("code", gettext_lazy("code")),
        ("name", gettext_lazy("name")),
        ("kind", gettext_lazy("kind")),
        ("default_warehouse", gettext_lazy("default warehouse")),
        ("auto_confirm", gettext_lazy("confirm automatically")),
        ("allow_backorder", gettext_lazy("allow backorders")),
        ("active", gettext_lazy("active")),
    ]
    empty_message = gettext_lazy("No sales channels match these filters.")


class OrderListView(StaffListView):
    permission_required = "orders.view_order"
    filterset_class = OrderFilter
    queryset = order_list()
    title = gettext_lazy("Orders")
    highlight_field = "at_risk"
    columns = [
        ("number", gettext_lazy("order number"), "number"),
        ("placed_at", gettext_lazy("placed at"), "placed_at"),
        ("channel", gettext_lazy("sales channel")),
        ("customer.name", gettext_lazy("customer")),
        ("status", gettext_lazy("status")),
        ("payment_status", gettext_lazy("payment status")),
        ("total", gettext_lazy("total"), "total"),
        ("promised_date", gettext_lazy("promised date"), "promised_date"),
        ("priority_score", gettext_lazy("priority"), "priority"),
    ]
    create_url_name = "orders:order-create"
    create_permission = "orders.add_order"
    empty_message = gettext_lazy("No orders match these filters.")
    drill_filters = (
        "placed_from",
        "placed_to",
        "confirmed_from",
        "confirmed_to",
        "delivered_from",
        "delivered_to",
        "delivery",
        "backordered",
        "warehouse",
    )

    def get_queryset(self):
        # Built per request: `at_risk` counts from today, not from the day
        # the process started.
        return order_list()

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        fields = filterset.form.fields
        for name in ("promised_from", "promised_to"):
            fields[name].widget.input_type = "date"
        fields["status"].widget.attrs["size"] = 3
        return filterset

    def row_url(self, obj):
        return reverse("orders:order-detail", args=[obj.number])


# Actions a clerk takes on the detail page: the service, the status it leads
# to, and how its button looks.
ACTIONS = {
    "confirm": {
        "service": order_confirm,
        "to": Status.CONFIRMED,
        "label": gettext_lazy("Confirm"),
        "icon": "bi-check2-circle",
        "style": "btn-success",
        "reason_required": False,
    },
    "hold": {
        "service": order_hold,
        "to": Status.ON_HOLD,
        "label": gettext_lazy("Hold"),
        "icon": "bi-pause-circle",
        "style": "btn-outline-warning",
        "reason_required": False,
    },
    "release": {
        "service": order_release,
        "to": None,  # back to where it was held
        "label": gettext_lazy("Release"),
        "icon": "bi-play-circle",
        "style": "btn-outline-primary",
        "reason_required": False,
    },
    "cancel": {
        "service": order_cancel,
        "to": Status.CANCELLED,
        "label": gettext_lazy("Cancel order"),
        "icon": "bi-x-circle",
        "style": "btn-outline-danger",
        "reason_required": True,
    },
}


def available_actions(order: Order) -> list[dict]:
    """The actions the lifecycle allows from the order's status (the same rule
    the services apply): confirm a pending order, hold, release a held order to
    where it was, cancel."""
    allowed = allowed_targets(order)
    names = []
    if order.status == Status.ON_HOLD:
        names.append("release")
    else:
        if order.status == Status.PENDING:
            names.append("confirm")
        if Status.ON_HOLD in allowed:
            names.append("hold")
    if Status.CANCELLED in allowed:
        names.append("cancel")
    return [{"name": name, **ACTIONS[name]} for name in names]


STATUS_BADGES = {
    Status.PENDING: "text-bg-secondary",
    Status.CONFIRMED: "text-bg-primary",
    Status.IN_FULFILMENT: "text-bg-info",
    Status.PARTIALLY_SHIPPED: "text-bg-info",
    Status.SHIPPED: "text-bg-success",
    Status.DELIVERED: "text-bg-success",
    Status.COMPLETED: "text-bg-dark",
    Status.ON_HOLD: "text-bg-warning",
    Status.CANCELLED: "text-bg-danger",
}


@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_detail_view(request, number: str):
    """An order with its lines, reservations, timeline and the actions it allows."""
    order = get_object_or_404(order_detail(), number=number)
    lines = list(order.lines.all())
    reservations = [
        (line, reservation) for line in lines for reservation in line.reservations.all()
    ]
    can_change = request.user.has_perm("orders.change_order")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "reservations": reservations,
            "events": order.events.all(),
            "address": order.shipping_address or {},
            "status_badge": STATUS_BADGES.get(order.status, "text-bg-secondary"),
            "actions": available_actions(order) if can_change else [],
            "shippable": order.status in SHIPPABLE,
        },
    )


@login_required
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def order_action(request, number: str, action: str):
    """Confirm, hold, release or cancel an order, then back to its page."""
    if action not in ACTIONS:
        raise Http404
    order = get_object_or_404(Order, number=number)
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        order = ACTIONS[action]["service"](order=order, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Order %(number)s is now %(status)s.")
            % {"number": order.number, "status": Status(order.status).label},
        )
    return redirect("orders:order-detail", number=number)


class OrderCreateView(ServiceFormView):
    """Phone and store orders, typed in by a clerk."""

    permission_required = "orders.add_order"
    form_class = OrderEntryForm
    template_name = "orders/order_form.html"
    title = gettext_lazy("New order")
    cancel_url_name = "orders:order-list"
    hint = gettext_lazy(
        "Type a SKU or scan a barcode into a product field; empty rows are ignored. "
        "An empty quantity is 1, an empty unit price the product's list price."
    )
    formset = None

    def get_formset(self):
        if self.formset is None:
            data = self.request.POST if self.request.method == "POST" else None
            self.formset = OrderLineFormSet(data, prefix="lines")
            for form in self.formset:
                style_form(form, small=True)
        return self.formset

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        valid = [form.is_valid(), self.get_formset().is_valid()]
        if all(valid):
            return self.form_valid(form)
        return self.form_invalid(form)

    def perform(self, form):
        data = form.cleaned_data
        order, _created = order_create(
            channel=data["channel"],
            customer=form.customer(),
            shipping_address=form.shipping_address(),
            lines=self.get_formset().lines(),
            promised_date=data.get("promised_date"),
            note=data.get("note", ""),
            campaign_code=data.get("campaign_code", ""),
            actor=self.request.user,
        )
        return order

    def get_success_message(self, order) -> str:
        return _("Order %(number)s created for %(customer)s.") % {
            "number": order.number,
            "customer": order.customer.name,
        }

    def get_success_url_for(self, order) -> str:
        return reverse("orders:order-detail", args=[order.number])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            formset=self.get_formset(),
            products=product_options(),
            datalist_id=PRODUCT_DATALIST_ID,
        )
        return ctx
