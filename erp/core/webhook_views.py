"""Staff pages of webhooks (admins): subscriptions, their delivery log,
replays, enabling, pausing and rotating the secret."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.models import WebhookDelivery, WebhookSubscription
from erp.core.views import StaffListView, StaffPageMixin
from erp.core.webhooks import (
    webhook_replay,
    webhook_replay_bulk,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_enable,
    webhook_subscription_pause,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from erp.core.webhooks.events import ALL, event_type_choices
from erp.core.webhooks.filters import WebhookDeliveryFilter, WebhookSubscriptionFilter
from erp.core.widgets import style_form

_SHOW_ONCE_KEY = "webhook-secret-{pk}"

STATUS_BADGES = {
    "active": "text-bg-success",
    "paused": "text-bg-secondary",
    "disabled": "text-bg-danger",
    "pending": "text-bg-warning",
    "sending": "text-bg-info",
    "succeeded": "text-bg-success",
    "failed": "text-bg-danger",
}


class WebhookListView(StaffListView):
    permission_required = "core.view_webhooksubscription"
    filterset_class = WebhookSubscriptionFilter
    queryset = WebhookSubscription.objects.all()
    title = gettext_lazy("Webhooks")
    create_url_name = "webhooks:create"
    create_permission = "core.add_webhooksubscription"
    highlight_field = "is_disabled"
    columns = [
        ("name", gettext_lazy("name"), "name"),
        ("url", gettext_lazy("URL")),
        ("event_types_display", gettext_lazy("event types")),
        ("status", gettext_lazy("status")),
        ("last_delivery_at", gettext_lazy("last delivery"), "last_delivery_at"),
        ("last_status_code", gettext_lazy("last status code")),
        ("consecutive_failures", gettext_lazy("failures in a row")),
    ]

    def row_url(self, obj) -> str:
        return reverse("webhooks:detail", args=[obj.pk])


class WebhookForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        help_text=gettext_lazy("The receiver's http(s) address; events are POSTed to it."),
    )
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("event types"),
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    description = forms.CharField(label=gettext_lazy("description"), max_length=300, required=False)
    secret = forms.CharField(
        label=gettext_lazy("secret"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Leave empty to have one generated (shown once)."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [
            (ALL, _("* - every event type, including those added later")),
            *event_type_choices(),
        ]
        if editing:
            del self.fields["secret"]


class _WebhookFormView(ServiceFormView):
    template_name = "core/webhooks/form.html"
    cancel_url_name = "webhooks:list"

    def get_form(self, form_class=None):
        form = WebhookForm(**self.get_form_kwargs(), editing=self.editing)
        style_form(form)
        return form

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["subscription"] = getattr(self, "subscription", None)
        return ctx


class WebhookCreateView(_WebhookFormView):
    permission_required = "core.add_webhooksubscription"
    title = gettext_lazy("New webhook")
    success_message = gettext_lazy("Webhook %(object)s created.")
    editing = False

    def perform(self, form):
        subscription = webhook_subscription_create(**form.cleaned_data, actor=self.request.user)
        self.request.session[_SHOW_ONCE_KEY.format(pk=subscription.pk)] = subscription.secret
        return subscription

    def get_success_url_for(self, obj) -> str:
        return reverse("webhooks:detail", args=[obj.pk])


class WebhookEditView(_WebhookFormView):
    permission_required = "core.change_webhooksubscription"
    title = gettext_lazy("Edit webhook")
    success_message = gettext_lazy("Webhook %(object)s saved.")
    editing = True

    def dispatch(self, request, *args, **kwargs):
        self.subscription = get_object_or_404(WebhookSubscription, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        s = self.subscription
        return {
            "name": s.name,
            "url": s.url,
            "event_types": s.event_types,
            "description": s.description,
        }

    def perform(self, form):
        return webhook_subscription_update(self.subscription, **form.cleaned_data)

    def get_success_url_for(self, obj) -> str:
        return reverse("webhooks:detail", args=[obj.pk])


class WebhookDetailView(StaffPageMixin, View):
    """The subscription and its delivery log (filtered, paginated)."""

    permission_required = "core.view_webhooksubscription"
    paginate_by = 25

    def get(self, request, pk):
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        data = request.GET.copy()
        data["subscription"] = str(subscription.pk)
        log_filter = WebhookDeliveryFilter(
            data, queryset=WebhookDelivery.objects.filter(subscription=subscription)
        )
        style_form(log_filter.form, small=True)
        del log_filter.form.fields["subscription"]
        page = Paginator(log_filter.qs, self.paginate_by).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        user = request.user
        return render(
            request,
            "core/webhooks/detail.html",
            {
                "subscription": subscription,
                # Shown once, right after it was created or rotated.
                "secret": request.session.pop(_SHOW_ONCE_KEY.format(pk=pk), None),
                "filter": log_filter,
                "page_obj": page,
                "paginator": page.paginator,
                "is_paginated": page.has_other_pages(),
                "deliveries": page.object_list,
                "querystring": query.urlencode(),
                "badges": STATUS_BADGES,
                "filtered": any(v for k, v in request.GET.items() if k != "page"),
                "can_change": user.has_perm("core.change_webhooksubscription"),
                "can_delete": user.has_perm("core.delete_webhooksubscription"),
                "can_replay": user.has_perm("core.change_webhookdelivery"),
            },
        )


class WebhookActionView(StaffPageMixin, View):
    """POST: enable, pause, rotate-secret, replay-failed, replay-selected, delete."""

    permission_required = "core.change_webhooksubscription"
    http_method_names = ["post"]

    def post(self, request, pk, action):
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        detail = redirect("webhooks:detail", pk=pk)
        try:
            if action == "enable":
                webhook_subscription_enable(subscription)
                messages.success(request, _("Webhook enabled; waiting deliveries are sent now."))
            elif action == "pause":
                webhook_subscription_pause(subscription)
                messages.success(request, _("Webhook paused: nothing is sent until enabled."))
            elif action == "rotate-secret":
                subscription = webhook_subscription_rotate_secret(subscription)
                request.session[_SHOW_ONCE_KEY.format(pk=pk)] = subscription.secret
                messages.success(request, _("New secret made; it signs every later attempt."))
            elif action in ("replay-failed", "replay-selected"):
                if not request.user.has_perm("core.change_webhookdelivery"):
                    return _forbidden(request)
                ids = None
                if action == "replay-selected":
                    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
                    if not ids:
                        messages.warning(request, _("Select the deliveries to replay."))
                        return detail
                count = webhook_replay_bulk(ids=ids, subscription=subscription)
                messages.success(
                    request, _("%(count)s deliveries queued again.") % {"count": count}
                )
            elif action == "delete":
                if not request.user.has_perm("core.delete_webhooksubscription"):
                    return _forbidden(request)
                webhook_subscription_delete(subscription)
                messages.success(request, _("Webhook %(name)s deleted.") % {"name": subscription})
                return redirect("webhooks:list")
            else:
                return _forbidden(request)
        except DomainError as exc:
            messages.error(request, exc.message)
        return detail


def _forbidden(request):
    from erp.core.views import permission_denied

    return permission_denied(request)


class DeliveryDetailView(StaffPageMixin, View):
    permission_required = "core.view_webhookdelivery"

    def get(self, request, pk):
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
        return render(
            request,
            "core/webhooks/delivery.html",
            {
                "delivery": delivery,
                "attempts": delivery.attempt_log.all(),
                "badges": STATUS_BADGES,
                "can_replay": request.user.has_perm("core.change_webhookdelivery")
                and delivery.status in ("succeeded", "failed"),
            },
        )


class DeliveryReplayView(StaffPageMixin, View):
    permission_required = "core.change_webhookdelivery"
    http_method_names = ["post"]

    def post(self, request, pk):
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        try:
            webhook_replay(delivery=delivery)
            messages.success(request, _("Delivery queued again."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("webhooks:detail", pk=delivery.subscription_id)


__all__ = [
    "DeliveryDetailView",
    "DeliveryReplayView",
    "WebhookActionView",
    "WebhookCreateView",
    "WebhookDetailView",
    "WebhookEditView",
    "WebhookListView",
]
