"""Customer pages: the list (merged customers left out unless asked for),
new customer, edit a customer (with its contacts), add and edit a contact."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.filters.customers import CustomerFilter
from crm.forms.customers import ContactForm, CustomerEditForm, CustomerForm
from crm.models import Contact, Customer
from crm.selectors import customer_active_list
from crm.services.customers import (
    contact_create,
    contact_deactivate,
    contact_update,
    customer_create,
    customer_edit,
)
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView


def customer_url(customer: Customer) -> str:
    """The customer's 360 page, or the filtered list while there is none."""
    try:
        return reverse("crm:customer-detail", args=[customer.code])
    except NoReverseMatch:
        return reverse("crm:customer-list") + f"?q={customer.code}&show_merged=true"


def _with_tag_names(customers):
    """Give each customer a `tag_names` text (tags are prefetched)."""
    for customer in customers:
        customer.tag_names = ", ".join(tag.name for tag in customer.tags.all())
    return customers


class _TagNamed:
    """A queryset whose slices carry `tag_names`, for the list's files."""

    def __init__(self, queryset):
        self.queryset = queryset

    def __getitem__(self, key):
        return _with_tag_names(list(self.queryset[key]))


class CustomerListView(StaffListView):
    permission_required = "crm.view_customer"
    filterset_class = CustomerFilter
    queryset = customer_active_list(show_merged=True)
    title = gettext_lazy("Customers")
    columns = [
        ("code", gettext_lazy("customer code"), "code"),
        ("name", gettext_lazy("name"), "name"),
        ("kind", gettext_lazy("kind")),
        ("tier", gettext_lazy("tier"), "tier"),
        ("score.segment", gettext_lazy("RFM segment")),
        ("score.lifetime_value", gettext_lazy("lifetime value"), "lifetime_value"),
        ("phone", gettext_lazy("phone")),
        ("email", gettext_lazy("email")),
        ("account_manager", gettext_lazy("account manager")),
        ("tag_names", gettext_lazy("tags")),
        ("default_address", gettext_lazy("default address")),
        ("merged_into.code", gettext_lazy("merged into")),
        ("marketing_consent", gettext_lazy("marketing consent")),
    ]
    create_url_name = "crm:customer-create"
    create_permission = "crm.add_customer"
    empty_message = gettext_lazy("No customers match these filters.")

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        _with_tag_names(page.object_list)
        return paginator, page, object_list, is_paginated

    def export(self, fmt, queryset):
        return super().export(fmt, _TagNamed(queryset))

    def row_url(self, obj):
        return customer_url(obj)


class CustomerCreateView(ServiceFormView):
    permission_required = "crm.add_customer"
    form_class = CustomerForm
    title = gettext_lazy("New customer")
    success_message = gettext_lazy("Customer %(object)s created.")
    cancel_url_name = "crm:customer-list"

    def perform(self, form):
        return customer_create(**form.service_kwargs())

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:customer-list") + f"?q={obj.code}"


class CustomerEditView(ServiceFormView):
    """Edit a customer's details, tags, manager and consent; its contacts below."""

    permission_required = "crm.change_customer"
    form_class = CustomerEditForm
    template_name = "crm/customer_edit.html"
    success_message = gettext_lazy("Customer %(object)s saved.")
    cancel_url_name = "crm:customer-list"

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(
            Customer.objects.select_related("merged_into"), code=kwargs["code"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "customer": self.customer}
        # FormView always passes initial={}; drop it so the form fills itself
        # from the customer (CustomerEditForm sets its initial with setdefault).
        if not kwargs.get("initial"):
            kwargs.pop("initial", None)
        return kwargs

    @property
    def title(self):
        return _("Edit customer %(code)s") % {"code": self.customer.code}

    def perform(self, form):
        consent = {}
        if form.consent_changed():
            consent = {
                "consent": form.cleaned_data["marketing_consent"],
                "consent_source": form.cleaned_data["consent_source"],
            }
        return customer_edit(
            customer=self.customer, actor=self.request.user, **form.update_kwargs(), **consent
        )

    def get_success_url_for(self, obj) -> str:
        return customer_url(obj)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            customer=self.customer,
            customer_url=customer_url(self.customer),
            contacts=list(self.customer.contacts.all()),
        )
        return ctx


class _ContactFormView(ServiceFormView):
    form_class = ContactForm
    cancel_url_name = "crm:customer-list"
    template_name = "crm/customer_contact_form.html"

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:customer-edit", args=[obj.customer.code]) + "#contacts"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["customer"] = self.customer
        return ctx


class ContactCreateView(_ContactFormView):
    permission_required = "crm.add_contact"
    success_message = gettext_lazy("Contact %(object)s added.")

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(Customer, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("New contact of %(customer)s") % {"customer": self.customer}

    def perform(self, form):
        return contact_create(customer=self.customer, **form.cleaned_data)


class ContactEditView(_ContactFormView):
    permission_required = "crm.change_contact"
    success_message = gettext_lazy("Contact %(object)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.contact = get_object_or_404(
            Contact.objects.select_related("customer"), pk=kwargs["pk"], active=True
        )
        self.customer = self.contact.customer
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Edit contact %(name)s") % {"name": self.contact.name}

    def get_initial(self):
        return {f: getattr(self.contact, f) for f in ContactForm.base_fields}

    def perform(self, form):
        return contact_update(contact=self.contact, **form.cleaned_data)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["contact"] = self.contact
        return ctx


@login_required
@permission_required("crm.change_contact", raise_exception=True)
@require_POST
def contact_deactivate_view(request, pk: int):
    contact = get_object_or_404(Contact.objects.select_related("customer"), pk=pk)
    try:
        contact_deactivate(contact=contact)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Contact %(name)s deactivated.") % {"name": contact.name})
    return redirect(reverse("crm:customer-edit", args=[contact.customer.code]) + "#contacts")


urlpatterns = [
    path("customers/", CustomerListView.as_view(), name="customer-list"),
    path("customers/new/", CustomerCreateView.as_view(), name="customer-create"),
    path("customers/<str:code>/edit/", CustomerEditView.as_view(), name="customer-edit"),
    path("customers/<str:code>/contacts/new/", ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/edit/", ContactEditView.as_view(), name="contact-edit"),
    path("contacts/<int:pk>/deactivate/", contact_deactivate_view, name="contact-deactivate"),
]
