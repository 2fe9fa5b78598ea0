"""Staff pages for the channels' inbound messages: what arrived, what became
of it, and "apply again" for the failed, held and expired ones."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from erp.core.errors import DomainError
from erp.core.views import StaffListView
from orders.filters import InboundMessageFilter
from orders.models import InboundMessage
from orders.services.inbound import APPLICABLE, inbound_retry

Status = InboundMessage.Status
STATUS_BADGES = {
    Status.RECEIVED: "text-bg-secondary",
    Status.APPLIED: "text-bg-success",
    Status.HELD: "text-bg-warning",
    Status.FAILED: "text-bg-danger",
    Status.IGNORED: "text-bg-light",
    Status.EXPIRED: "text-bg-dark",
}


def inbound_list():
    return InboundMessage.objects.select_related("channel", "order")


class InboundMessageListView(StaffListView):
    permission_required = "orders.view_inboundmessage"
    filterset_class = InboundMessageFilter
    queryset = inbound_list()
    title = gettext_lazy("Inbound channel messages")
    columns = [
        ("message_id", gettext_lazy("message id")),
        ("created_at", pgettext_lazy("message", "received at"), "received"),
        ("channel", gettext_lazy("sales channel")),
        ("topic", gettext_lazy("topic")),
        ("external_ref", gettext_lazy("channel order number")),
        ("status", gettext_lazy("status"), "status"),
        ("order", gettext_lazy("order")),
        ("error", gettext_lazy("error")),
    ]
    empty_message = gettext_lazy("No inbound messages match these filters.")

    def row_url(self, obj) -> str:
        return reverse("orders:inbound-detail", args=[obj.pk])


@login_required
@permission_required("orders.view_inboundmessage", raise_exception=True)
def inbound_detail_view(request, pk: int):
    message = get_object_or_404(inbound_list(), pk=pk)
    return render(
        request,
        "orders/inbound_detail.html",
        {
            "message": message,
            "payload_json": json.dumps(message.payload, indent=2, ensure_ascii=False),
            "status_badge": STATUS_BADGES.get(message.status, "text-bg-secondary"),
            "can_retry": message.status in APPLICABLE
            and request.user.has_perm("orders.change_inboundmessage"),
        },
    )


@login_required
@permission_required("orders.change_inboundmessage", raise_exception=True)
@require_POST
def inbound_retry_view(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    try:
        result = inbound_retry(message=message, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        message = result.message
        if result.error is not None:
            why = result.error.message
            messages.error(request, _("Applied again, and failed again: %(why)s") % {"why": why})
        else:
            messages.success(
                request,
                _("Message %(id)s is now %(status)s.")
                % {"id": message.message_id, "status": message.get_status_display()},
            )
    return redirect("orders:inbound-detail", pk=pk)
