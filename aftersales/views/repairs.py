"""Repair pages: the board by status, the list, one repair with its
warranty verdict, spare parts, labour, cost split and timeline, the actions
its status allows, and the form that opens a repair."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.filters.repairs import RepairOrderFilter
from aftersales.forms.repairs import (
    RepairAssignForm,
    RepairCancelForm,
    RepairCompleteForm,
    RepairCreateForm,
    RepairDiagnoseForm,
    RepairLabourForm,
    RepairPartForm,
    RepairReturnForm,
    RepairTransitionForm,
)
from aftersales.models import REPAIR_TRANSITIONS, RepairOrder, Ticket
from aftersales.selectors import (
    repair_detail,
    repair_list,
    repair_status_counts,
    repairs_visible_to,
    tickets_visible_to,
)
from aftersales.services.repairs import (
    FINISHED,
    ON_THE_BENCH,
    repair_assign_technician,
    repair_cancel,
    repair_complete,
    repair_create,
    repair_diagnose,
    repair_labour_record,
    repair_part_add,
    repair_return_to_customer,
    repair_transition,
)
from erp.core.errors import DomainError
from erp.core.views import StaffListView, board_columns
from erp.core.widgets import style_form

Status = RepairOrder.Status

STATUS_BADGES = {
    Status.REPORTED: "text-bg-secondary",
    Status.DIAGNOSING: "text-bg-info",
    Status.WAITING_PARTS: "text-bg-warning",
    Status.REPAIRING: "text-bg-primary",
    Status.DONE: "text-bg-success",
    Status.RETURNED: "text-bg-light border",
    Status.CANCELLED: "text-bg-light border",
}
BOARD_COLUMNS = [
    Status.REPORTED,
    Status.DIAGNOSING,
    Status.WAITING_PARTS,
    Status.REPAIRING,
    Status.DONE,
]
BOARD_CARDS = 12
# Statuses reached through their own action (and form) rather than the plain status change.
OWN_ACTION = {Status.DONE, Status.RETURNED, Status.CANCELLED}


@login_required
@permission_required("aftersales.view_repairorder", raise_exception=True)
def repair_board(request):
    """Open repairs in one column per status, filtered like the list."""
    visible = repairs_visible_to(request.user)
    filterset = RepairOrderFilter(request.GET or None, queryset=visible, request=request)
    style_form(filterset.form, small=True)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else visible
    counts = repair_status_counts(queryset)
    columns = board_columns(
        queryset,
        statuses=BOARD_COLUMNS,
        choices=Status,
        badges=STATUS_BADGES,
        counts=counts,
        order_by=("reported_at", "pk"),
        limit=BOARD_CARDS,
    )
    finished = [(Status(s).label, counts[s], s) for s in (Status.RETURNED, Status.CANCELLED)]
    return render(
        request,
        "aftersales/repairs/board.html",
        {"columns": columns, "finished": finished, "filter": filterset},
    )


class RepairListView(StaffListView):
    permission_required = "aftersales.view_repairorder"
    filterset_class = RepairOrderFilter
    queryset = repair_list()
    title = gettext_lazy("Repairs")
    columns = [
        ("number", gettext_lazy("repair number"), "number"),
        ("status", gettext_lazy("status")),
        ("customer.name", gettext_lazy("customer")),
        ("product.sku", gettext_lazy("SKU")),
        ("product.name", gettext_lazy("product")),
        ("serial_number", gettext_lazy("serial number")),
        ("technician", gettext_lazy("technician")),
        ("in_warranty", gettext_lazy("in warranty")),
        ("warranty_until", gettext_lazy("warranty until"), "warranty_until"),
        ("covered_amount", gettext_lazy("covered by warranty")),
        ("charged_amount", gettext_lazy("charged to customer"), "charged_amount"),
        ("ticket.number", gettext_lazy("ticket")),
        ("reported_at", gettext_lazy("reported at"), "reported_at"),
    ]
    create_url_name = "aftersales:repair-create"
    create_permission = "aftersales.add_repairorder"
    empty_message = gettext_lazy("No repairs match these filters.")

    def get_queryset(self):
        return repairs_visible_to(self.request.user, repair_list())

    def row_url(self, obj):
        return reverse("aftersales:repair-detail", args=[obj.number])


def _targets(repair: RepairOrder) -> set[str]:
    return set(REPAIR_TRANSITIONS[repair.status])


def _forms_for(request, repair: RepairOrder) -> dict:
    """The action forms this user may use on this repair now."""
    if not request.user.has_perm("aftersales.change_repairorder"):
        return {}
    targets = _targets(repair)
    forms = {}
    manual = targets - OWN_ACTION
    if manual:
        forms["transition"] = style_form(RepairTransitionForm(targets=manual), small=True)
    if repair.status not in FINISHED:
        forms["assign"] = style_form(
            RepairAssignForm(initial={"technician": repair.technician_id}), small=True
        )
    if repair.status == Status.REPORTED or repair.status in ON_THE_BENCH:
        forms["diagnose"] = style_form(
            RepairDiagnoseForm(
                initial={
                    "diagnosis": repair.diagnosis,
                    "warranty_void_reason": repair.warranty_void_reason,
                }
            ),
            small=True,
        )
    if repair.status in ON_THE_BENCH:
        forms["part"] = style_form(
            RepairPartForm(initial={"warehouse": repair.parts_warehouse}), small=True
        )
        forms["labour"] = style_form(
            RepairLabourForm(initial={"hours": repair.labour_hours}), small=True
        )
    if Status.DONE in targets:
        forms["complete"] = style_form(RepairCompleteForm(), small=True)
    if Status.RETURNED in targets:
        forms["return"] = style_form(RepairReturnForm(), small=True)
    if Status.CANCELLED in targets:
        forms["cancel"] = style_form(RepairCancelForm(), small=True)
    return forms


@login_required
@permission_required("aftersales.view_repairorder", raise_exception=True)
def repair_detail_view(request, number: str):
    repair = get_object_or_404(repairs_visible_to(request.user, repair_detail()), number=number)
    parts = list(repair.parts.all())
    for part in parts:
        part.amount = part.quantity * part.unit_price
    return render(
        request,
        "aftersales/repairs/detail.html",
        {
            "repair": repair,
            "parts": parts,
            "events": list(repair.events.all()),
            "badge": STATUS_BADGES[repair.status],
            "forms": _forms_for(request, repair),
        },
    )


ACTION_FORMS = {
    "transition": lambda request, repair: RepairTransitionForm(
        request.POST, targets=_targets(repair) - OWN_ACTION
    ),
    "assign": lambda request, repair: RepairAssignForm(request.POST),
    "diagnose": lambda request, repair: RepairDiagnoseForm(request.POST),
    "part": lambda request, repair: RepairPartForm(request.POST),
    "labour": lambda request, repair: RepairLabourForm(request.POST),
    "complete": lambda request, repair: RepairCompleteForm(request.POST),
    "return": lambda request, repair: RepairReturnForm(request.POST),
    "cancel": lambda request, repair: RepairCancelForm(request.POST),
}


def _run(action: str, repair: RepairOrder, data: dict, actor) -> None:
    if action == "transition":
        repair_transition(
            repair=repair, to_status=data["status"], reason=data["reason"], actor=actor
        )
    elif action == "assign":
        repair_assign_technician(repair=repair, technician=data["technician"], actor=actor)
    elif action == "diagnose":
        repair_diagnose(repair=repair, actor=actor, **data)
    elif action == "part":
        repair_part_add(repair=repair, actor=actor, **data)
    elif action == "labour":
        repair_labour_record(repair=repair, hours=data["hours"], actor=actor)
    elif action == "complete":
        repair_complete(repair=repair, note=data["note"], actor=actor)
    elif action == "return":
        repair_return_to_customer(repair=repair, actor=actor, **data)
    else:
        repair_cancel(repair=repair, reason=data["reason"], actor=actor)


@login_required
@require_POST
def repair_action(request, number: str, action: str):
    """Work on a repair: status, technician, diagnosis, parts, labour, completion."""
    if action not in ACTION_FORMS:
        raise Http404
    if not request.user.has_perm("aftersales.change_repairorder"):
        raise PermissionDenied
    repair = get_object_or_404(
        repairs_visible_to(request.user, RepairOrder.objects.all()), number=number
    )
    form = ACTION_FORMS[action](request, repair)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else errors[0])
        return redirect("aftersales:repair-detail", number=number)
    try:
        _run(action, repair, form.cleaned_data, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        repair.refresh_from_db()
        messages.success(
            request,
            _("Repair %(number)s saved; it is %(status)s.")
            % {"number": repair.number, "status": Status(repair.status).label},
        )
    return redirect("aftersales:repair-detail", number=number)


# The service's field names that are not the form's own.
FORM_FIELDS = {"order_line": "line", "return_line": None, "ticket": None}


def _from_ticket(request) -> Ticket | None:
    """The ticket a repair is started from (?ticket=<number>, kept in the
    form's address through the POST); 404 unless the user may see it."""
    number = request.GET.get("ticket", "").strip()
    if not number:
        return None
    return get_object_or_404(
        tickets_visible_to(
            request.user,
            Ticket.objects.select_related("customer", "order_line__order", "order_line__product"),
        ),
        number=number,
    )


def _initial(ticket: Ticket | None) -> dict:
    """The ticket's customer, and its order line (with the product) if it names one."""
    if ticket is None:
        return {}
    initial = {"customer": ticket.customer.code}
    line = ticket.order_line
    if line is not None:
        initial.update(order=line.order.number, line=line.line_no, product=line.product.sku)
    return initial


@login_required
@permission_required("aftersales.add_repairorder", raise_exception=True)
def repair_create_view(request):
    ticket = _from_ticket(request)
    form = RepairCreateForm(request.POST or None, initial=_initial(ticket))
    style_form(form)
    if request.method == "POST" and form.is_valid():
        try:
            repair = repair_create(actor=request.user, ticket=ticket, **form.service_kwargs())
        except DomainError as exc:
            field = FORM_FIELDS.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Repair %(number)s opened.") % {"number": repair.number})
            return redirect("aftersales:repair-detail", number=repair.number)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": (
                _("New repair for ticket %(number)s") % {"number": ticket.number}
                if ticket is not None
                else _("New repair")
            ),
            "cancel_url_name": "aftersales:repair-list",
        },
    )


urlpatterns = [
    path("repairs/", RepairListView.as_view(), name="repair-list"),
    path("repairs/board/", repair_board, name="repair-board"),
    path("repairs/new/", repair_create_view, name="repair-create"),
    path("repairs/<str:number>/", repair_detail_view, name="repair-detail"),
    path("repairs/<str:number>/<str:action>/", repair_action, name="repair-action"),
]
