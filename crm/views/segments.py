"""Segment pages: the list with live counts, a segment's customers (export
to CSV/XLSX) with its 7P panel, and the form that saves a segment's filters
(with a count of the filters before saving)."""

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.filters.segments import SegmentCustomerFilter, SegmentListFilter
from crm.forms.segments import SegmentForm, segment_initial
from crm.models import Segment
from crm.selectors import segment_counts, segment_customers, segment_list, segment_seven_p
from crm.services.segments import segment_create, segment_filters_clean, segment_update
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView


class SegmentListView(StaffListView):
    permission_required = "crm.view_segment"
    filterset_class = SegmentListFilter
    queryset = segment_list()
    title = gettext_lazy("Customer segments")
    columns = [
        ("name", gettext_lazy("name"), "name"),
        ("description", gettext_lazy("description")),
        ("customer_count", gettext_lazy("customers now")),
        ("created_by", gettext_lazy("created by")),
        ("updated_at", gettext_lazy("changed"), "updated_at"),
    ]
    create_url_name = "crm:segment-create"
    create_permission = "crm.add_segment"
    empty_message = gettext_lazy("No segment matches these filters.")

    def row_url(self, obj):
        return reverse("crm:segment-detail", args=[obj.pk])

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        # A live count for the segments on this page only: one query each.
        object_list = list(object_list)
        counts = segment_counts(object_list)
        for segment in object_list:
            segment.customer_count = counts[segment.pk]
        return paginator, page, object_list, is_paginated

    def export(self, fmt, queryset):
        segments = list(queryset[: self.export_limit])
        counts = segment_counts(segments)
        for segment in segments:
            segment.customer_count = counts[segment.pk]
        return super().export(fmt, segments)


class SegmentDetailView(StaffListView):
    """A segment's customers (its live count is the row count), with the 7P panel."""

    permission_required = "crm.view_segment"
    filterset_class = SegmentCustomerFilter
    template_name = "crm/segment_detail.html"
    columns = [
        ("code", gettext_lazy("customer code"), "code"),
        ("name", gettext_lazy("name"), "name"),
        ("tier", gettext_lazy("tier"), "tier"),
        ("score.segment", gettext_lazy("RFM segment")),
        ("score.lifetime_value", gettext_lazy("lifetime value"), "lifetime_value"),
        ("score.orders_count", gettext_lazy("orders"), "orders"),
        ("score.last_order_at", gettext_lazy("last order"), "last_order"),
        ("score.churn_level", gettext_lazy("churn risk")),
        ("marketing_consent", gettext_lazy("marketing consent")),
        ("email", gettext_lazy("email")),
        ("phone", gettext_lazy("phone")),
    ]

    def dispatch(self, request, *args, **kwargs):
        self.segment = get_object_or_404(Segment, pk=kwargs["pk"])
        self.title = self.segment.name
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return segment_customers(self.segment.filters)

    def row_url(self, obj):
        return reverse("crm:customer-detail", args=[obj.code])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["segment"] = self.segment
        ctx["seven_p"] = segment_seven_p(self.get_queryset())
        ctx["can_change"] = self.request.user.has_perm("crm.change_segment")
        ctx["can_campaign"] = self.request.user.has_perm("crm.add_campaign")
        ctx["filter_labels"] = _filter_labels(self.segment.filters)
        return ctx


def _filter_labels(filters: dict) -> list[tuple[str, str]]:
    from crm.filters.segments import SegmentFilter

    fields = SegmentFilter().form.fields
    shown = []
    for key, value in filters.items():
        field = fields.get(key)
        label = str(field.label) if field is not None else key
        values = value if isinstance(value, list) else [value]
        choices = dict(getattr(field, "choices", []) or []) if field is not None else {}
        shown.append((label, ", ".join(str(choices.get(v, v)) for v in values)))
    return shown


class SegmentFormMixin:
    form_class = SegmentForm
    template_name = "crm/segment_form.html"
    cancel_url_name = "crm:segment-list"

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if "preview" in request.POST:
            try:
                filters = segment_filters_clean(filters=form.filters())
            except DomainError as exc:
                form.is_valid()
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
                return self.form_invalid(form)
            customers = segment_customers(filters)
            return self.render_to_response(
                self.get_context_data(
                    form=form,
                    preview={
                        "customers": customers.count(),
                        "consenting": customers.filter(marketing_consent=True).count(),
                    },
                )
            )
        return super().post(request, *args, **kwargs)

    def get_success_url_for(self, segment) -> str:
        return reverse("crm:segment-detail", args=[segment.pk])


class SegmentCreateView(SegmentFormMixin, ServiceFormView):
    permission_required = "crm.add_segment"
    title = gettext_lazy("New customer segment")
    success_message = gettext_lazy("Segment %(object)s saved.")

    def perform(self, form):
        return segment_create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            filters=form.filters(),
            actor=self.request.user,
        )


class SegmentEditView(SegmentFormMixin, ServiceFormView):
    permission_required = "crm.change_segment"
    success_message = gettext_lazy("Segment %(object)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.segment = get_object_or_404(Segment, pk=kwargs["pk"])
        self.title = _("Change segment %(name)s") % {"name": self.segment.name}
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return segment_initial(self.segment)

    def perform(self, form):
        return segment_update(
            segment=self.segment,
            name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            filters=form.filters(),
            actor=self.request.user,
        )


urlpatterns = [
    path("segments/", SegmentListView.as_view(), name="segment-list"),
    path("segments/new/", SegmentCreateView.as_view(), name="segment-create"),
    path("segments/<int:pk>/", SegmentDetailView.as_view(), name="segment-detail"),
    path("segments/<int:pk>/edit/", SegmentEditView.as_view(), name="segment-edit"),
]
