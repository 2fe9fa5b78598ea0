"""The customer's way in from the order-tracking portal: a request about one
order, opened as a ticket of the portal channel. The secret tracking token of
the order and the last four digits of the phone number are the key; the page
shows nothing but the order number."""

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from aftersales.forms.portal import PortalTicketForm
from aftersales.services.tickets import ticket_create
from erp.core.errors import DomainError
from erp.core.services import client_ip
from orders.models import Order

ATTEMPTS_PER_HOUR = 10


def _digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _phone_matches(order: Order, tail: str) -> bool:
    phones = [order.customer.phone, (order.shipping_address or {}).get("phone", "")]
    return any(_digits(phone)[-4:] == tail for phone in phones if _digits(phone))


def _throttled(request, token: str) -> bool:
    key = f"portal-ticket:{client_ip(request)}:{token[:16]}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        count = 1
    return count > ATTEMPTS_PER_HOUR


@never_cache
@csrf_protect
def portal_ticket(request, token: str):
    order = Order.objects.select_related("customer").filter(tracking_token=token).first()
    if order is None or not token:
        raise Http404
    form = PortalTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(request, token):
            form.add_error(None, _("Too many attempts; please try again in an hour."))
        elif not _phone_matches(order, form.cleaned_data["phone_tail"]):
            form.add_error("phone_tail", _("These digits do not match the order's phone number."))
        else:
            try:
                ticket = ticket_create(
                    customer=order.customer,
                    order=order,
                    subject=form.cleaned_data["subject"],
                    kind=form.cleaned_data["kind"],
                    channel="portal",
                    description=form.cleaned_data["message"],
                    attachments=form.cleaned_data["attachments"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return render(
                    request, "aftersales/portal/sent.html", {"order": order, "ticket": ticket}
                )
    return render(request, "aftersales/portal/ticket_form.html", {"order": order, "form": form})


urlpatterns = [
    path("help/<str:token>/", portal_ticket, name="portal-ticket"),
]
