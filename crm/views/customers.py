from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from crm.filters import CustomerFilter
from crm.forms.customers import CustomerForm
from crm.selectors import customer_list
from crm.services import customer_create
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView


class CustomerListView(StaffListView):
    permission_required = "crm.view_customer"
    filterset_class = CustomerFilter
    queryset = customer_list()
    title = _("Customers")
    columns = [
        ("code", _("customer code")),
        ("name", _("name")),
        ("kind", _("kind")),
        ("tier", _("tier")),
        ("phone", _("phone")),
        ("email", _("email")),
        ("default_address", _("default address")),
        ("marketing_consent", _("marketing consent")),
    ]
    create_url_name = "crm:customer-create"
    create_permission = "crm.add_customer"
    empty_message = _("No customers match these filters.")


class CustomerCreateView(ServiceFormView):
    permission_required = "crm.add_customer"
    form_class = CustomerForm
    title = _("New customer")
    success_message = _("Customer %(object)s created.")
    cancel_url_name = "crm:customer-list"

    def perform(self, form):
        return customer_create(**form.service_kwargs())

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:customer-list") + f"?q={obj.code}"


urlpatterns = [
    path("customers/", CustomerListView.as_view(), name="customer-list"),
    path("customers/new/", CustomerCreateView.as_view(), name="customer-create"),
]
