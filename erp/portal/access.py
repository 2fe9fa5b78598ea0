"""Who may see which order in the customer portal: the access contract.

An order is opened by its secret tracking token (Order.tracking_token, 256
random bits from orders.services.intake). Every portal page that hangs under
/track/<token>/ is wrapped in `portal_order`, which resolves the token, answers
an unknown one exactly like any unknown URL, throttles addresses that guess
tokens, and sets the headers and the language of the customer's pages.

    order_for_token(token) -> Order | None
    portal_order(view)      view(request, token, ...) with request.portal_order
                            and request.portal_customer set
    portal_url(order)       the absolute /track/<token>/ link
    throttle_hit(...)       one fixed-window counter in the cache (also used by
                            the lookup form and the other portal pages)
"""

import hashlib
import hmac
import logging
import re
from functools import wraps

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache

from erp.core.services import client_ip
from orders.models import Order

security_log = logging.getLogger("erp.security")

# What a token can look like: URL-safe base64 of at least 128 bits (22
# characters). Anything else is unknown without asking the database; it also
# keeps short, guessable values (bench or test fixtures) out of reach.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")

# The portal's own CSP: the project's, less inline styles (the staff pages
# need them for Swagger UI and htmx; the customer pages never do).
PORTAL_CSP = {"style-src": [SELF]}

PORTAL_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    # The secret link must not travel to another site in a Referer header.
    "Referrer-Policy": "same-origin",
}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def throttle_hit(scope: str, subject: str, *, limit: int, window: int = 3600) -> bool:
    """Count one attempt of `subject` (an address, an order number) in `scope`
    for a fixed window of `window` seconds; True once more than `limit` were
    made. The subject is hashed: keys stay short and hold no customer data."""
    digest = hashlib.sha256(f"{scope}:{subject}".encode()).hexdigest()[:32]
    key = f"portal:{scope}:{digest}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, window)
        count = 1
    return count > limit


def throttle_over(scope: str, subject: str, *, limit: int) -> bool:
    """Whether `subject` has used up its `limit` in `scope` (made `limit`
    counted attempts this window), without counting: for counters bumped only
    on failures, `limit` failures are allowed and the next try is refused."""
    digest = hashlib.sha256(f"{scope}:{subject}".encode()).hexdigest()[:32]
    return (cache.get(f"portal:{scope}:{digest}") or 0) >= limit


def order_for_token(token: str) -> Order | None:
    """The order whose tracking token is `token`, or None. Malformed tokens are
    refused before the database is asked; the lookup is one indexed equality
    on a unique column, so a near miss costs the same as a far one."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    return Order.objects.select_related("customer", "channel").filter(tracking_token=token).first()


def portal_url(order: Order) -> str:
    """The absolute secret link of `order`, for notifications and documents."""
    return settings.SITE_URL.rstrip("/") + reverse("portal:order", args=[order.tracking_token])


def portal_language(request, customer) -> str:
    """The language of a customer page: the one the visitor chose with the
    language switch (its cookie), else the customer's own, else the site's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    available = {code for code, _name in settings.LANGUAGES}
    if chosen in available:
        return chosen
    if customer is not None and customer.language in available:
        return customer.language
    return translation.get_language() or settings.LANGUAGE_CODE


def apply_portal_headers(response):
    for header, value in PORTAL_HEADERS.items():
        response.headers[header] = value
    return response


def portal_page(view):
    """Headers and CSP of a customer page that needs no order (the lookup form)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return apply_portal_headers(view(request, *args, **kwargs))

    return never_cache(csp_replace(PORTAL_CSP)(wrapped))


def token_throttled(request) -> bool:
    """This address guessed too many tokens in the last hour."""
    return throttle_over(
        "token-miss",
        client_ip(request) or "-",
        limit=_setting("PORTAL_TOKEN_MISSES_PER_IP_HOUR", 20),
    )


def too_many(request, status: int = 429):
    """The answer to a throttled address: the same for every token and order."""
    response = render(request, "portal/throttled.html", status=status)
    response.headers["Retry-After"] = "3600"
    return response


def portal_order(view):
    """Decorate a customer view taking `token` as its second argument.

    Unknown token: Http404 (the site's usual not-found page) and the address's
    miss counter goes up; past PORTAL_TOKEN_MISSES_PER_IP_HOUR misses the
    address gets 429 for every token, known or not, until the hour is over, so
    guessing stays guessing. Known token: request.portal_order and
    request.portal_customer are set, the page is in the customer's language
    unless the visitor chose another, and it is neither cached nor indexed."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        ip = client_ip(request) or "-"
        if token_throttled(request):
            security_log.warning("portal_token throttled ip=%s", ip)
            return apply_portal_headers(too_many(request))
        order = order_for_token(token)
        if order is None:
            throttle_hit("token-miss", ip, limit=_setting("PORTAL_TOKEN_MISSES_PER_IP_HOUR", 20))
            # Never the token itself: a near miss of a real one must not land in the log.
            security_log.info("portal_token unknown ip=%s", ip)
            raise Http404
        request.portal_order = order
        request.portal_customer = order.customer
        language = portal_language(request, order.customer)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return apply_portal_headers(view(request, token, *args, **kwargs))

    return never_cache(csp_replace(PORTAL_CSP)(wrapped))


# --- Lookup by order number and a check -------------------------------------

# Compared against when no order has the number, so that an unknown number
# costs the same work as a known one with a wrong check.
_DECOY = {"phones": ("00000000000", "00000000000"), "postcode": "0000000"}


def _digits(text) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def _postcode(text) -> str:
    return "".join(str(text or "").split()).upper()


def _check_matches(check: str, phones, postcode: str) -> bool:
    """Every comparison is made, in constant time, whatever matched first."""
    results = [
        hmac.compare_digest(_digits(phone)[-4:].encode(), check.encode())
        and len(_digits(phone)) >= 4
        for phone in phones
    ]
    results.append(hmac.compare_digest(postcode.encode(), check.encode()) and len(postcode) >= 4)
    return any(results)


def order_for_lookup(number: str, check: str) -> tuple[Order | None, str]:
    """The order numbered `number` if `check` is the last 4 digits of its
    customer's or its delivery address's phone number, or its delivery
    postcode; with the outcome for the log: found, no_order or wrong_check.
    Callers answer the last two identically."""
    order = (
        Order.objects.select_related("customer")
        .filter(number__in={number, number.upper()})
        .only("number", "tracking_token", "shipping_address", "customer__phone")
        .first()
    )
    if order is not None:
        address = order.shipping_address if isinstance(order.shipping_address, dict) else {}
        phones = (order.customer.phone, address.get("phone", ""))
        postcode = _postcode(address.get("postcode", ""))
    else:
        phones, postcode = _DECOY["phones"], _DECOY["postcode"]
    matched = _check_matches(check, phones, postcode)
    if order is None:
        return None, "no_order"
    if not matched:
        return None, "wrong_check"
    return order, "found"
