"""Interaction pages: the list (filters, export) and logging one on a customer."""

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.filters.interactions import InteractionFilter
from crm.forms.interactions import InteractionForm
from crm.models import Customer
from crm.selectors import interaction_list
from crm.services.interactions import interaction_log
from crm.views.care import customer_url
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView


class InteractionListView(StaffListView):
    permission_required = "crm.view_interaction"
    filterset_class = InteractionFilter
    queryset = interaction_list()
    title = gettext_lazy("Interactions")
    columns = [
        ("occurred_at", gettext_lazy("time"), "occurred_at"),
        ("customer.name", gettext_lazy("customer")),
        ("customer.code", gettext_lazy("customer code")),
        ("kind", gettext_lazy("kind"), "kind"),
        ("direction", gettext_lazy("direction")),
        ("subject", gettext_lazy("subject")),
        ("contact", gettext_lazy("contact")),
        ("staff", gettext_lazy("staff member")),
        ("by_system", gettext_lazy("written by the system")),
        ("reference", gettext_lazy("reference")),
    ]
    empty_message = gettext_lazy("No interactions match these filters.")

    def row_url(self, obj) -> str:
        return customer_url(obj.customer)


class InteractionCreateView(ServiceFormView):
    permission_required = "crm.add_interaction"
    form_class = InteractionForm
    success_message = gettext_lazy("Interaction “%(object)s” logged.")
    cancel_url_name = "crm:interaction-list"

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(Customer, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Log an interaction with %(customer)s") % {"customer": self.customer}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.customer}

    def perform(self, form):
        return interaction_log(customer=self.customer, actor=self.request.user, **form.cleaned_data)

    def get_success_url_for(self, obj) -> str:
        return customer_url(self.customer)


urlpatterns = [
    path("interactions/", InteractionListView.as_view(), name="interaction-list"),
    path(
        "customers/<str:code>/interactions/new/",
        InteractionCreateView.as_view(),
        name="interaction-create",
    ),
]
