"""Portal: secret link, lookup form and the order page."""

import logging
import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path
from django.utils.translation import gettext as _

from erp.core.services import client_ip
from erp.portal.access import order_for_lookup, portal_order, portal_page, throttle_hit
from erp.portal.forms import LookupForm
from erp.portal.selectors import order_page as order_page_data
from erp.portal.selectors import proof_file

security_log = logging.getLogger("erp.security")

SELFSERVICE_ACTIONS = "portal/selfservice/_actions.html"
# What a proof-of-delivery image may be served as (never SVG or HTML).
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _lookup_throttled(ip: str, number: str) -> bool:
    """Count this attempt against the address and the order number; every
    counter is bumped whichever is already over, so each costs the same."""
    hits = [
        throttle_hit("lookup-ip", ip, limit=_limit("PORTAL_LOOKUPS_PER_IP_HOUR", 30)),
        throttle_hit("lookup-order", number, limit=_limit("PORTAL_LOOKUPS_PER_ORDER_HOUR", 10)),
        throttle_hit(
            "lookup-order-day",
            number,
            limit=_limit("PORTAL_LOOKUPS_PER_ORDER_DAY", 20),
            window=86400,
        ),
    ]
    return any(hits)


@portal_page
def lookup(request):
    """/track/: order number plus the last 4 digits of a phone number or the
    postcode. "No such order" and "wrong check" get the very same page."""
    form = LookupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request) or "-"
        number, check = form.cleaned_data["number"], form.cleaned_data["check"]
        if _lookup_throttled(ip, number):
            outcome, order = "throttled", None
            form.add_error(
                None,
                _(
                    "Too many attempts. Please try again in an hour, or open the link "
                    "in the messages we sent you about your order."
                ),
            )
            status = 429
        else:
            order, outcome = order_for_lookup(number, check)
            if order is None:
                form.add_error(
                    None,
                    _(
                        "We could not find an order with these details. Check the order "
                        "number and the digits, and try again."
                    ),
                )
        # Never the check digits: they are half of the key.
        security_log.info("portal_lookup ip=%s order=%r outcome=%s", ip, number, outcome)
        if order is not None:
            return redirect("portal:order", token=order.tracking_token)
    response = render(request, "portal/lookup.html", {"form": form}, status=status)
    if status == 429:
        response.headers["Retry-After"] = "3600"
    return response


def _selfservice_template() -> str:
    """The self-service actions include, once the self-service pages exist."""
    try:
        get_template(SELFSERVICE_ACTIONS)
    except TemplateDoesNotExist:
        return ""
    return SELFSERVICE_ACTIONS


@portal_order
def order_page(request, token: str):
    """/track/<token>/: the whole story of one order."""
    page = order_page_data(request.portal_order)
    return render(
        request,
        "portal/order.html",
        {
            "page": page,
            "order": request.portal_order,
            "selfservice_template": _selfservice_template(),
        },
    )


@portal_order
def proof_image(request, token: str, shipment: str, which: str):
    """The photo or signature of a proof of delivery, for this order's token only."""
    image = proof_file(request.portal_order, shipment, which)
    if image is None:
        raise Http404
    content_type = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    if content_type not in IMAGE_TYPES:
        raise Http404
    try:
        handle = image.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type)
    response.headers["Content-Disposition"] = "inline"
    return response


urlpatterns: list = [
    path("", lookup, name="lookup"),
    path("<str:token>/", order_page, name="order"),
    path(
        "<str:token>/delivery/<str:shipment>/<str:which>/",
        proof_image,
        name="proof-image",
    ),
]
