"""Duplicates and merging: the suggested duplicate pairs side by side, the
merge confirmation (both customers and what moves), the merge history and
one merge with its undo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.filters.customers import CustomerMergeFilter
from crm.forms.merge import DismissForm, MergeForm
from crm.models import Customer
from crm.selectors import customer_active_list, duplicate_suggestions, merge_list
from crm.services.merge import (
    customer_merge,
    customer_merge_undo,
    duplicate_dismiss,
    merge_preview,
    merge_undoable,
)
from crm.views.customers import customer_url
from erp.core.errors import DomainError
from erp.core.views import StaffListView
from erp.core.widgets import style_form

MERGE = "crm.merge_customer"
REASONS = {
    "phone": gettext_lazy("same phone"),
    "email": gettext_lazy("same e-mail"),
    "contact": gettext_lazy("a contact's phone or e-mail"),
}


@login_required
@permission_required(MERGE, raise_exception=True)
def duplicate_list(request):
    """Suggested duplicate pairs, 20 a page, both customers side by side."""
    code = request.GET.get("customer", "").strip()
    customer_id = None
    if code:
        customer_id = Customer.objects.filter(code=code).values_list("pk", flat=True).first() or 0
    paginator = Paginator(duplicate_suggestions(customer_id=customer_id), 20)
    page = paginator.get_page(request.GET.get("page"))
    pairs = [
        {**pair, "reason_labels": [REASONS[r] for r in pair["reasons"]]}
        for pair in page.object_list
    ]
    return render(
        request,
        "crm/duplicate_list.html",
        {"pairs": pairs, "page_obj": page, "paginator": paginator, "customer_code": code},
    )


@login_required
@permission_required(MERGE, raise_exception=True)
@require_POST
def duplicate_dismiss_view(request):
    form = DismissForm(request.POST)
    if form.is_valid():
        found = Customer.objects.in_bulk(
            [form.cleaned_data["first"], form.cleaned_data["second"]], field_name="code"
        )
        first = found.get(form.cleaned_data["first"])
        second = found.get(form.cleaned_data["second"])
        if first and second:
            try:
                duplicate_dismiss(first=first, second=second, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("%(first)s and %(second)s are no longer suggested as duplicates.")
                    % {"first": first.code, "second": second.code},
                )
            return redirect("crm:duplicate-list")
    messages.error(request, _("Choose two customers."))
    return redirect("crm:duplicate-list")


@login_required
@permission_required(MERGE, raise_exception=True)
def customer_merge_view(request, code: str):
    """Merge a duplicate into this customer: GET shows both and what would
    move (with ?duplicate=CODE), POST merges."""
    survivor = get_object_or_404(customer_active_list(show_merged=True), code=code)
    form = MergeForm(request.POST or None, initial={"duplicate": request.GET.get("duplicate")})
    style_form(form)
    duplicate_code = (
        request.POST.get("duplicate") if request.method == "POST" else request.GET.get("duplicate")
    )
    duplicate = None
    if duplicate_code:
        duplicate = (
            customer_active_list(show_merged=True).filter(code=duplicate_code.strip()).first()
        )
        if duplicate is None:
            form.add_error(None, _("No customer has the code %(code)s.") % {"code": duplicate_code})
    if request.method == "POST" and duplicate is not None and form.is_valid():
        try:
            merge = customer_merge(
                survivor=survivor,
                merged=duplicate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(merged)s was merged into %(survivor)s.")
                % {"merged": duplicate.code, "survivor": survivor.code},
            )
            return redirect("crm:merge-detail", pk=merge.pk)
    preview = []
    if duplicate is not None and duplicate.pk != survivor.pk:
        preview = merge_preview(survivor=survivor, merged=duplicate)
    return render(
        request,
        "crm/merge_confirm.html",
        {
            "survivor": survivor,
            "duplicate": duplicate,
            "form": form,
            "preview": preview,
            "survivor_url": customer_url(survivor),
            "duplicate_url": customer_url(duplicate) if duplicate else "",
        },
    )


class MergeListView(StaffListView):
    permission_required = "crm.view_customermerge"
    filterset_class = CustomerMergeFilter
    queryset = merge_list()
    title = gettext_lazy("Customer merges")
    columns = [
        ("pk", gettext_lazy("merge")),
        ("survivor", gettext_lazy("kept customer")),
        ("merged", gettext_lazy("merged customer")),
        ("reason", gettext_lazy("reason")),
        ("merged_by", gettext_lazy("merged by")),
        ("merged_at", gettext_lazy("merged at")),
        ("undone_at", gettext_lazy("undone at")),
    ]
    empty_message = gettext_lazy("No merges match these filters.")

    def row_url(self, obj):
        return reverse("crm:merge-detail", args=[obj.pk])


@login_required
@permission_required("crm.view_customermerge", raise_exception=True)
def merge_detail(request, pk: int):
    merge = get_object_or_404(merge_list(), pk=pk)
    labels = {row["key"]: row["label"] for row in _relation_labels()}
    moved = [
        {"key": key, "label": labels.get(key, key), "count": len(pks)}
        for key, pks in (merge.moved or {}).items()
        if not key.startswith("_") and pks
    ]
    kept = [
        {"key": key, "label": labels.get(key, key), "count": len(pks)}
        for key, pks in ((merge.moved or {}).get("_kept") or {}).items()
    ]
    return render(
        request,
        "crm/merge_detail.html",
        {
            "merge": merge,
            "moved": moved,
            "kept": kept,
            "filled": [
                Customer._meta.get_field(name.removesuffix("_id")).verbose_name
                for name in sorted((merge.moved or {}).get("_filled") or {})
            ],
            "undoable": merge_undoable(merge),
            "survivor_url": customer_url(merge.survivor),
            "merged_url": customer_url(merge.merged),
        },
    )


def _relation_labels():
    from crm.services.merge import merge_relations, relation_key

    return [
        {"key": relation_key(rel), "label": rel.related_model._meta.verbose_name_plural}
        for rel in merge_relations()
    ]


@login_required
@permission_required(MERGE, raise_exception=True)
@require_POST
def merge_undo(request, pk: int):
    merge = get_object_or_404(merge_list(), pk=pk)
    try:
        customer_merge_undo(merge=merge, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The merge of %(merged)s into %(survivor)s was undone.")
            % {"merged": merge.merged.code, "survivor": merge.survivor.code},
        )
    return redirect("crm:merge-detail", pk=pk)


urlpatterns = [
    path("duplicates/", duplicate_list, name="duplicate-list"),
    path("duplicates/dismiss/", duplicate_dismiss_view, name="duplicate-dismiss"),
    path("customers/<str:code>/merge/", customer_merge_view, name="customer-merge"),
    path("merges/", MergeListView.as_view(), name="merge-list"),
    path("merges/<int:pk>/", merge_detail, name="merge-detail"),
    path("merges/<int:pk>/undo/", merge_undo, name="merge-undo"),
]
