"""Care task pages: my tasks (open, overdue first), all tasks (filters,
export), one task with complete / cancel / reassign, a new task on a
customer, and the care rules (on/off, delay, threshold)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.filters.care import CareTaskFilter
from crm.forms.care import (
    CareRuleForm,
    CareTaskCancelForm,
    CareTaskCompleteForm,
    CareTaskCreateForm,
    CareTaskReassignForm,
)
from crm.hooks import CARE_RULES
from crm.models import CareRule, CareTask, Customer
from crm.selectors import (
    care_rule_list,
    care_task_counts,
    care_task_list,
    care_tasks_visible_to,
)
from crm.services.care import (
    care_rule_update,
    care_task_cancel,
    care_task_complete,
    care_task_create,
    care_task_reassign,
)
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView
from erp.core.widgets import style_form

Status = CareTask.Status

STATUS_BADGES = {
    Status.OPEN: "text-bg-primary",
    Status.DONE: "text-bg-success",
    Status.CANCELLED: "text-bg-secondary",
}
PRIORITY_BADGES = {
    CareTask.Priority.HIGH: "text-bg-danger",
    CareTask.Priority.NORMAL: "text-bg-light border",
    CareTask.Priority.LOW: "text-bg-light border text-body-secondary",
}


def customer_url(customer: Customer) -> str:
    """The customer's 360 page where it exists, else the customer list."""
    try:
        return reverse("crm:customer-detail", args=[customer.code])
    except NoReverseMatch:
        return reverse("crm:customer-list") + f"?q={customer.code}"


@login_required
@permission_required("crm.view_caretask", raise_exception=True)
def care_mine(request):
    """The account manager's queue: open tasks, overdue first, with counts."""
    visible = care_tasks_visible_to(request.user)
    open_tasks = visible.filter(status=Status.OPEN).order_by("due_at", "pk")
    page = Paginator(open_tasks, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for task in page.object_list:
        task.overdue = task.due_at < now
        task.priority_badge = PRIORITY_BADGES[task.priority]
    return render(
        request,
        "crm/care_mine.html",
        {"page": page, "tasks": page.object_list, "counts": care_task_counts(visible)},
    )


class CareTaskListView(StaffListView):
    permission_required = "crm.view_caretask"
    filterset_class = CareTaskFilter
    queryset = care_task_list()
    title = gettext_lazy("Care tasks")
    columns = [
        ("title", gettext_lazy("title")),
        ("customer.name", gettext_lazy("customer")),
        ("customer.code", gettext_lazy("customer code")),
        ("rule.code", gettext_lazy("rule")),
        ("priority", gettext_lazy("priority"), "priority"),
        ("status", gettext_lazy("status"), "status"),
        ("assignee", gettext_lazy("assignee")),
        ("due_at", gettext_lazy("due"), "due_at"),
        ("reference", gettext_lazy("reference")),
        ("completed_at", gettext_lazy("completed at")),
    ]
    empty_message = gettext_lazy("No care tasks match these filters.")

    def get_queryset(self):
        return care_tasks_visible_to(self.request.user, care_task_list())

    def row_url(self, obj) -> str:
        return reverse("crm:care-detail", args=[obj.pk])


def _visible_task(request, pk: int) -> CareTask:
    return get_object_or_404(care_tasks_visible_to(request.user, care_task_list()), pk=pk)


def _action_forms(request, task: CareTask) -> dict:
    if task.status != Status.OPEN or not request.user.has_perm("crm.change_caretask"):
        return {}
    forms = {
        "complete": CareTaskCompleteForm(),
        "cancel": CareTaskCancelForm(),
        "reassign": CareTaskReassignForm(actor=request.user),
    }
    for form in forms.values():
        style_form(form, small=True)
    return forms


@login_required
@permission_required("crm.view_caretask", raise_exception=True)
def care_detail(request, pk: int):
    task = _visible_task(request, pk)
    spec = CARE_RULES.get(task.rule.code) if task.rule_id else None
    return render(
        request,
        "crm/care_detail.html",
        {
            "task": task,
            "rule_spec": spec,
            "badge": STATUS_BADGES[task.status],
            "priority_badge": PRIORITY_BADGES[task.priority],
            "overdue": task.status == Status.OPEN and task.due_at < timezone.now(),
            "forms": _action_forms(request, task),
            "interactions": list(task.interactions.select_related("staff")),
            "customer_url": customer_url(task.customer),
        },
    )


ACTION_FORMS = {
    "complete": lambda request: CareTaskCompleteForm(request.POST),
    "cancel": lambda request: CareTaskCancelForm(request.POST),
    "reassign": lambda request: CareTaskReassignForm(request.POST, actor=request.user),
}


def _run(action: str, task: CareTask, data: dict, actor) -> str:
    if action == "complete":
        care_task_complete(
            task=task, outcome=data["outcome"], reached_by=data["reached_by"], actor=actor
        )
        return _("Care task done.")
    if action == "cancel":
        care_task_cancel(task=task, reason=data["reason"], actor=actor)
        return _("Care task cancelled.")
    care_task_reassign(task=task, assignee=data["assignee"], actor=actor)
    return _("Care task passed to %(user)s.") % {"user": data["assignee"]}


@login_required
@require_POST
def care_action(request, pk: int, action: str):
    """Complete, cancel or pass on a task the user can see."""
    if action not in ACTION_FORMS:
        raise Http404
    if not request.user.has_perm("crm.change_caretask"):
        raise PermissionDenied
    task = _visible_task(request, pk)
    form = ACTION_FORMS[action](request)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else errors[0])
        return redirect("crm:care-detail", pk=pk)
    try:
        message = _run(action, task, form.cleaned_data, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    if action == "reassign" and not care_tasks_visible_to(request.user).filter(pk=pk).exists():
        return redirect("crm:care-mine")  # passed on: no longer the user's to see
    return redirect("crm:care-detail", pk=pk)


class CareTaskCreateView(ServiceFormView):
    permission_required = "crm.add_caretask"
    form_class = CareTaskCreateForm
    success_message = gettext_lazy("Care task “%(object)s” created.")
    cancel_url_name = "crm:care-mine"

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(
            Customer.objects.select_related("account_manager"), code=kwargs["code"]
        )
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("New care task for %(customer)s") % {"customer": self.customer}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def get_initial(self):
        return {"due_at": timezone.localtime().replace(second=0, microsecond=0)}

    def perform(self, form):
        return care_task_create(
            customer=self.customer, actor=self.request.user, **form.cleaned_data
        )

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:care-detail", args=[obj.pk])


@login_required
@permission_required("crm.view_carerule", raise_exception=True)
def care_rule_list_view(request):
    rules = []
    for rule in care_rule_list():
        spec = CARE_RULES.get(rule.code)
        rules.append(
            {
                "rule": rule,
                "name": spec.name if spec else rule.code,
                "description": spec.description if spec else "",
                "order": spec.order if spec else 999,
                "registered": spec is not None,
            }
        )
    rules.sort(key=lambda r: (r["order"], r["rule"].code))
    return render(
        request,
        "crm/care_rule_list.html",
        {"rules": rules, "can_change": request.user.has_perm("crm.change_carerule")},
    )


class CareRuleEditView(ServiceFormView):
    permission_required = "crm.change_carerule"
    form_class = CareRuleForm
    success_message = gettext_lazy("Care rule %(object)s saved.")
    cancel_url_name = "crm:care-rule-list"

    def dispatch(self, request, *args, **kwargs):
        self.rule = get_object_or_404(CareRule, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        spec = CARE_RULES.get(self.rule.code)
        return _("Care rule: %(name)s") % {"name": spec.name if spec else self.rule.code}

    @property
    def hint(self):
        spec = CARE_RULES.get(self.rule.code)
        return spec.description if spec else ""

    def get_initial(self):
        return {
            "enabled": self.rule.enabled,
            "delay_days": self.rule.delay_days,
            "threshold": self.rule.threshold,
        }

    def perform(self, form):
        data = form.cleaned_data
        return care_rule_update(
            rule=self.rule,
            enabled=data["enabled"],
            delay_days=data["delay_days"],
            threshold=data["threshold"],
            clear_threshold=data["threshold"] is None,
        )

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:care-rule-list")


urlpatterns = [
    path("care/", care_mine, name="care-mine"),
    path("care/all/", CareTaskListView.as_view(), name="care-list"),
    path("care/rules/", care_rule_list_view, name="care-rule-list"),
    path("care/rules/<str:code>/edit/", CareRuleEditView.as_view(), name="care-rule-edit"),
    path("care/<int:pk>/", care_detail, name="care-detail"),
    path("care/<int:pk>/<str:action>/", care_action, name="care-action"),
    path("customers/<str:code>/care/new/", CareTaskCreateView.as_view(), name="care-create"),
]
