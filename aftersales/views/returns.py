"""Return (RMA) pages: the board by stage, the list, one return with the
actions its status and the user's permissions allow, and the request form
for a delivered order.

Warehouse staff open the board and the returns and receive and inspect the
goods; approving, rejecting, refunding and exchanging are for after-sales.
Every page shows only the returns the user may see (returns_visible_to):
account managers those of their own customers; others get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from aftersales.filters.returns import ReturnRequestFilter
from aftersales.forms.returns import (
    ApproveForm,
    ExchangeForm,
    InspectForm,
    LabelForm,
    ReasonForm,
    ReceiveForm,
    RefundForm,
    ReturnRequestForm,
)
from aftersales.models import ReturnPhoto, ReturnRequest, Ticket
from aftersales.selectors import (
    return_detail,
    return_list,
    return_status_counts,
    returns_visible_to,
    tickets_visible_to,
)
from aftersales.services.returns import (
    return_allowed_targets,
    return_approve,
    return_cancel,
    return_exchange,
    return_inspect,
    return_label_issue,
    return_receive,
    return_refund,
    return_reject,
    return_request_create,
    returnable_lines,
    returned_value,
)
from erp.core.errors import DomainError
from erp.core.views import StaffListView, board_columns
from erp.core.widgets import style_form
from orders.models import Order

Status = ReturnRequest.Status
APPROVE = "aftersales.approve_returnrequest"
RECEIVE = "aftersales.receive_returnrequest"
CHANGE = "aftersales.change_returnrequest"

STATUS_BADGES = {
    Status.REQUESTED: "text-bg-warning",
    Status.APPROVED: "text-bg-info",
    Status.AWAITING_RECEIPT: "text-bg-primary",
    Status.RECEIVED: "text-bg-primary",
    Status.INSPECTED: "text-bg-info",
    Status.REFUNDED: "text-bg-success",
    Status.EXCHANGED: "text-bg-success",
    Status.REJECTED: "text-bg-danger",
    Status.CANCELLED: "text-bg-light border",
}
# The board's columns follow the flow; finished returns are only counted.
BOARD_COLUMNS = [
    Status.REQUESTED,
    Status.APPROVED,
    Status.AWAITING_RECEIPT,
    Status.RECEIVED,
    Status.INSPECTED,
]
FINISHED = [Status.REFUNDED, Status.EXCHANGED, Status.REJECTED, Status.CANCELLED]
BOARD_CARDS = 12

# Which permissions each action needs (the API asks the same).
ACTION_PERMISSIONS = {
    "approve": [APPROVE],
    "reject": [APPROVE],
    "label": [CHANGE],
    "cancel": [CHANGE],
    "receive": [RECEIVE],
    "inspect": [RECEIVE],
    "refund": [APPROVE, "orders.add_refund"],
    "exchange": [APPROVE],
}
# The status each action leads to: offered only when the return may go there.
ACTION_TARGETS = {
    "approve": Status.APPROVED,
    "reject": Status.REJECTED,
    "label": Status.AWAITING_RECEIPT,
    "cancel": Status.CANCELLED,
    "receive": Status.RECEIVED,
    "inspect": Status.INSPECTED,
    "refund": Status.REFUNDED,
    "exchange": Status.EXCHANGED,
}


@login_required
@permission_required("aftersales.view_returnrequest", raise_exception=True)
def return_board(request):
    """Open returns in one column per stage, filtered like the list."""
    visible = returns_visible_to(request.user)
    filterset = ReturnRequestFilter(request.GET or None, queryset=visible)
    style_form(filterset.form, small=True)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else visible
    counts = return_status_counts(queryset)
    columns = board_columns(
        queryset,
        statuses=BOARD_COLUMNS,
        choices=Status,
        badges=STATUS_BADGES,
        counts=counts,
        order_by=("requested_at", "pk"),
        limit=BOARD_CARDS,
    )
    finished = [(Status(s).label, counts[s], s) for s in FINISHED]
    return render(
        request,
        "aftersales/returns/board.html",
        {"columns": columns, "finished": finished, "filter": filterset},
    )


class ReturnListView(StaffListView):
    permission_required = "aftersales.view_returnrequest"
    filterset_class = ReturnRequestFilter
    queryset = return_list()
    title = gettext_lazy("Returns")
    columns = [
        ("number", gettext_lazy("return number"), "number"),
        ("kind", gettext_lazy("kind")),
        ("status", gettext_lazy("status")),
        ("order.number", gettext_lazy("order")),
        ("customer.name", gettext_lazy("customer")),
        ("units", gettext_lazy("units")),
        ("units_received", gettext_lazy("received")),
        ("warehouse.code", gettext_lazy("receiving warehouse")),
        ("refund_amount", gettext_lazy("refund amount"), "refund_amount"),
        ("replacement_order.number", gettext_lazy("replacement order")),
        ("requested_at", gettext_lazy("requested at"), "requested_at"),
    ]
    empty_message = gettext_lazy("No returns match these filters.")
    drill_filters = ("sales_channel", "order_warehouse", "reason")

    def get_queryset(self):
        return returns_visible_to(self.request.user, super().get_queryset())

    def row_url(self, obj):
        return reverse("aftersales:return-detail", args=[obj.number])


def _allowed(user, action: str) -> bool:
    return user.has_perms(ACTION_PERMISSIONS[action])


def _forms_for(request, rma):
    """The action forms this user may use on this return now."""
    targets = return_allowed_targets(rma)
    forms = {}
    builders = {
        "approve": lambda: ApproveForm(),
        "reject": lambda: ReasonForm(),
        "label": lambda: LabelForm(),
        "receive": lambda: ReceiveForm(rma=rma),
        "inspect": lambda: InspectForm(rma=rma),
        "refund": lambda: RefundForm(initial={"amount": returned_value(rma)}),
        "exchange": lambda: ExchangeForm(),
        "cancel": lambda: ReasonForm(),
    }
    for action, build in builders.items():
        if ACTION_TARGETS[action] in targets and _allowed(request.user, action):
            forms[action] = style_form(build(), small=True)
    return forms


def _visible(request, number: str, queryset=None) -> ReturnRequest:
    """The return if this user may see it, else 404."""
    queryset = return_detail() if queryset is None else queryset
    return get_object_or_404(returns_visible_to(request.user, queryset), number=number)


@login_required
@permission_required("aftersales.view_returnrequest", raise_exception=True)
def return_detail_view(request, number: str):
    rma = _visible(request, number)
    refunds = list(rma.order.refunds.filter(reference=rma.number).order_by("refunded_at", "pk"))
    return render(
        request,
        "aftersales/returns/detail.html",
        {
            "rma": rma,
            "lines": list(rma.lines.all()),
            "photos": list(rma.photos.all()),
            "events": list(rma.events.all()),
            "refunds": refunds,
            "badge": STATUS_BADGES[rma.status],
            "forms": _forms_for(request, rma),
            "value": returned_value(rma) if rma.received_at else None,
        },
    )


def _first_error(form) -> str:
    field, errors = next(iter(form.errors.items()))
    if field == "__all__":
        return errors[0]
    return f"{form.fields[field].label}: {errors[0]}"


@login_required
@require_POST
def return_action(request, number: str, action: str):
    """Approve, reject, label, receive, inspect, refund, exchange or cancel a return."""
    if action not in ACTION_PERMISSIONS:
        raise Http404
    if not _allowed(request.user, action):
        raise PermissionDenied
    rma = _visible(request, number)
    form = {
        "approve": lambda: ApproveForm(request.POST),
        "reject": lambda: ReasonForm(request.POST),
        "label": lambda: LabelForm(request.POST),
        "receive": lambda: ReceiveForm(request.POST, rma=rma),
        "inspect": lambda: InspectForm(request.POST, rma=rma),
        "refund": lambda: RefundForm(request.POST),
        "exchange": lambda: ExchangeForm(request.POST),
        "cancel": lambda: ReasonForm(request.POST),
    }[action]()
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("aftersales:return-detail", number=number)
    data, actor = form.cleaned_data, request.user
    try:
        if action == "approve":
            return_approve(rma=rma, reason=data["reason"], actor=actor)
        elif action == "reject":
            return_reject(rma=rma, reason=data["reason"], actor=actor)
        elif action == "label":
            return_label_issue(rma=rma, actor=actor, **data)
        elif action == "receive":
            return_receive(
                rma=rma,
                warehouse=data["warehouse"],
                receive_into=data["receive_into"],
                lines=form.received_lines(),
                actor=actor,
            )
        elif action == "inspect":
            return_inspect(rma=rma, lines=form.decisions(), actor=actor)
        elif action == "refund":
            return_refund(rma=rma, amount=data["amount"], reason=data["reason"], actor=actor)
        elif action == "exchange":
            return_exchange(rma=rma, actor=actor)
        else:
            return_cancel(rma=rma, reason=data["reason"], actor=actor)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        rma.refresh_from_db(fields=["status"])
        messages.success(
            request,
            _("Return %(number)s is now %(status)s.")
            % {"number": rma.number, "status": Status(rma.status).label},
        )
    return redirect("aftersales:return-detail", number=number)


def _from_ticket(request) -> Ticket | None:
    """The ticket a return is started from: `?ticket=` from the ticket page's
    button, kept through the POST in a hidden field. 404 if the user may not see it."""
    number = (request.POST.get("ticket") or request.GET.get("ticket") or "").strip()
    if not number:
        return None
    return get_object_or_404(
        tickets_visible_to(request.user, Ticket.objects.select_related("customer")),
        number=number,
    )


@login_required
@permission_required("aftersales.add_returnrequest", raise_exception=True)
def return_create_view(request, order_number: str):
    """Request a return or an exchange of an order's delivered goods; from a
    ticket (`?ticket=`), the return is linked to it instead of opening another."""
    order = get_object_or_404(
        Order.objects.select_related("channel", "customer"), number=order_number
    )
    ticket = _from_ticket(request)
    options = returnable_lines(order)
    form = ReturnRequestForm(request.POST or None, request.FILES or None, options=options)
    style_form(form, small=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rma = return_request_create(
                order=order,
                kind=data["kind"],
                lines=form.chosen_lines(),
                reason=data["reason"],
                photos=data["photos"],
                ticket=ticket,
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(form.field_for_error(exc.field), exc.message)
        else:
            messages.success(request, _("Return %(number)s requested.") % {"number": rma.number})
            return redirect("aftersales:return-detail", number=rma.number)
    return render(
        request,
        "aftersales/returns/create.html",
        {
            "order": order,
            "ticket": ticket,
            "form": form,
            "rows": form.rows(),
            "nothing_returnable": not any(o.returnable for o in options),
        },
    )


# What uploads are checked to be; only these are shown in the browser.
PHOTO_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def photo_response(photo: ReturnPhoto) -> FileResponse:
    """A return photo for a caller already allowed to see its return (page or
    API). Never from /media/: the photos are not public. A file of any other
    kind (uploaded before the check) is downloaded, never rendered in our origin."""
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    name = photo.image.name.rsplit("/", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = PHOTO_TYPES.get(extension)
    response = FileResponse(
        handle,
        as_attachment=content_type is None,
        filename=name,
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@permission_required("aftersales.view_returnrequest", raise_exception=True)
@require_GET
def return_photo(request, number: str, pk: int):
    rma = _visible(request, number, ReturnRequest.objects.all())
    return photo_response(get_object_or_404(ReturnPhoto, pk=pk, request=rma))


urlpatterns = [
    path("returns/", ReturnListView.as_view(), name="return-list"),
    path("returns/board/", return_board, name="return-board"),
    path("returns/new/<str:order_number>/", return_create_view, name="return-create"),
    path("returns/<str:number>/", return_detail_view, name="return-detail"),
    path("returns/<str:number>/photos/<int:pk>/", return_photo, name="return-photo"),
    path("returns/<str:number>/<str:action>/", return_action, name="return-action"),
]
