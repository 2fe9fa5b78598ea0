"""Form helpers shared by the staff pages."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView

from erp.core.errors import DomainError
from erp.core.views import StaffPageMixin
from erp.core.widgets import style_form


class ServiceFormView(StaffPageMixin, FormView):
    """A staff form whose valid data goes to one service call.

    `perform(form)` calls the service and returns the created object; a
    DomainError it raises becomes an error on the field it names.
    """

    template_name = "core/form.html"
    title = ""
    success_message = ""
    cancel_url_name: str | None = None
    hint = ""

    def perform(self, form):
        raise NotImplementedError

    def get_success_url_for(self, obj) -> str:
        raise NotImplementedError

    def get_success_message(self, obj) -> str:
        return self.success_message % {"object": obj} if self.success_message else ""

    def get_form(self, form_class=None):
        return style_form(super().get_form(form_class))

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
            return self.form_invalid(form)
        message = self.get_success_message(obj)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url_for(obj))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=self.title, cancel_url_name=self.cancel_url_name, hint=self.hint)
        return ctx
