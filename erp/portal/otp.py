"""Optional customer sign-in to the portal with a one-time code.

A customer types an e-mail address or a mobile number. When it is a
customer's (or an active contact's of a company customer, who then signs in
for the company), a 6-digit code goes to it through the notification
backends, in the customer's language. Whatever was typed, the visitor sees
the same answer and the same next page, so the form never tells whether an
address is known.

Codes live in the cache, never in the database: only a keyed hash of the code
is kept, with its expiry; each code takes a few wrong tries, a new code for
the same address waits a little, and codes asked for per IP and sent per
address are counted per hour. A signed-in customer is a portal session (the
customer's id in the session, the key rotated at sign-in), not a Django user:
staff permissions never apply to it and it never applies to staff pages.
"""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Contact, Customer
from crm.services.customers import CustomerInvalid, customer_survivor, phone_normalise
from erp.core.errors import DomainError
from erp.core.models import Notification
from erp.core.notifications import notification_send
from erp.core.services import client_ip
from erp.portal.access import throttle_hit

security_log = logging.getLogger("erp.security")

# Session keys of the portal sign-in (kept apart from Django's auth keys).
SESSION_CUSTOMER = "portal_customer_id"
SESSION_CONTACT = "portal_contact_id"
SESSION_SINCE = "portal_signed_in_at"
SESSION_PENDING = "portal_signin_pending"  # the code asked for, until it is used

EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS


class SignInInvalid(DomainError):
    """What was typed is neither an e-mail address nor a phone number."""

    status_code = 400
    code = "invalid"


class SignInThrottled(DomainError):
    """Too many codes asked for or tried; the same for every address."""

    status_code = 429
    code = "throttled"


class SignInWrongCode(DomainError):
    """The code does not match; it may be tried again while tries are left."""

    status_code = 400
    code = "wrong_code"


class SignInExpired(DomainError):
    """The code is gone (expired, used, or out of tries): ask for a new one."""

    status_code = 400
    code = "expired"


@dataclass(frozen=True)
class PortalAccount:
    """Who is signed in: the customer whose orders are shown (a merged
    customer's survivor) and the contact who signed in for a company.
    `holder_id` is the customer the address itself belongs to (the merged
    one, for a merged customer's address): the session keeps that, so an
    undone merge gives each customer back their own orders only."""

    customer: Customer
    contact: Contact | None = None
    holder_id: int | None = None

    @property
    def name(self) -> str:
        return self.contact.name if self.contact is not None else self.customer.name


@dataclass(frozen=True)
class PendingSignIn:
    """A code asked for: what the session keeps until the code is entered."""

    challenge: str
    channel: str
    address: str
    expires_at: float
    issued: bool  # False when the code sent a moment ago is still the one to use

    def for_session(self) -> dict:
        return {
            "challenge": self.challenge,
            "channel": self.channel,
            "address": self.address,
            "expires_at": self.expires_at,
        }


# --- Addresses and who they belong to -------------------------------------------


def address_parse(value: str) -> tuple[str, str]:
    """(channel, normalised address) for what the visitor typed: an e-mail
    address (lower case) or a phone number (as crm stores it)."""
    value = (value or "").strip()
    message = _("Enter a valid e-mail address or mobile number.")
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise SignInInvalid(message, field="address") from None
        return EMAIL, value.lower()
    try:
        phone = phone_normalise(value)
    except CustomerInvalid:
        raise SignInInvalid(message, field="address") from None
    if not phone:
        raise SignInInvalid(message, field="address")
    return SMS, phone


def address_masked(channel: str, address: str) -> str:
    """What the pages show of an address: enough to recognise it."""
    if channel == EMAIL:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) > 7 else f"****{address[-4:]}"


def account_for_address(*, channel: str, address: str) -> PortalAccount | None:
    """The account an address signs in to: an active customer's own address
    first, then an active contact's (who signs in for the company), then a
    merged customer's (whose survivor now holds its orders)."""
    # crm keeps e-mail addresses in lower case and phones normalised, so both
    # are plain equality on an indexed column.
    lookup = {"email": address} if channel == EMAIL else {"phone": address}
    customer = Customer.objects.filter(merged_into__isnull=True, **lookup).order_by("pk").first()
    if customer is not None:
        return PortalAccount(customer=customer, holder_id=customer.pk)
    contact = (
        Contact.objects.filter(active=True, **lookup)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    if contact is not None:
        return PortalAccount(customer=customer_survivor(contact.customer), contact=contact)
    merged = Customer.objects.filter(merged_into__isnull=False, **lookup).order_by("pk").first()
    if merged is not None:
        return PortalAccount(customer=customer_survivor(merged), holder_id=merged.pk)
    return None


def _account_load(holder_id: int | None, contact_id: int | None) -> PortalAccount | None:
    """The account behind stored ids, as it is now: merges (and undone
    merges) since are followed; a contact made inactive no longer signs in."""
    if contact_id:
        contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
        if contact is None or not contact.active:
            return None
        return PortalAccount(customer=customer_survivor(contact.customer), contact=contact)
    holder = Customer.objects.filter(pk=holder_id).first() if holder_id else None
    if holder is None:
        return None
    return PortalAccount(customer=customer_survivor(holder), holder_id=holder.pk)


# --- Limits ---------------------------------------------------------------------


def _count(key: str, seconds: int) -> int:
    """One more in a counter that lives `seconds` (atomic on Redis); the
    count itself, where access.throttle_hit only says "over the limit"."""
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return 1


def _address_key(channel: str, address: str) -> str:
    # Cache keys carry a keyed hash, not the address itself.
    return salted_hmac("portal-signin-address", f"{channel}:{address}").hexdigest()[:32]


def _code_hash(challenge: str, code: str) -> str:
    return salted_hmac("portal-signin-code", f"{challenge}:{code}").hexdigest()


def _code_key(challenge: str) -> str:
    return f"portal-signin:code:{challenge}"


def _now() -> float:
    return timezone.now().timestamp()


def _log(event: str, request, **fields) -> None:
    details = " ".join(f"{name}={value}" for name, value in fields.items())
    security_log.info("%s ip=%s %s", event, client_ip(request) or "-", details)


# --- Codes ----------------------------------------------------------------------


def signin_code_request(*, address: str, request) -> PendingSignIn:
    """Ask for a code for `address`: sent when the address is known, never
    told either way. Within PORTAL_SIGNIN_RESEND_SECONDS of the last code for
    the address, that code stays the one to use and nothing is sent
    (`issued` is False)."""
    channel, address = address_parse(address)
    ip = client_ip(request) or "-"
    address_key = _address_key(channel, address)
    masked = address_masked(channel, address)
    if throttle_hit("signin-ip", ip, limit=settings.PORTAL_SIGNIN_REQUESTS_PER_IP):
        _log("portal_signin_throttled", request, limit="ip", address=masked)
        raise SignInThrottled(_("Too many attempts; please try again in an hour."))

    now = _now()
    last = cache.get(f"portal-signin:address:{address_key}")
    if last and now - last["sent_at"] < settings.PORTAL_SIGNIN_RESEND_SECONDS:
        entry = cache.get(_code_key(last["challenge"]))
        if entry is not None and entry["expires_at"] > now:
            return PendingSignIn(last["challenge"], channel, address, entry["expires_at"], False)
        raise SignInThrottled(_("A code was sent a moment ago; please wait a minute."))
    if throttle_hit("signin-address", address_key, limit=settings.PORTAL_SIGNIN_CODES_PER_ADDRESS):
        _log("portal_signin_throttled", request, limit="address", address=masked)
        raise SignInThrottled(_("Too many attempts; please try again in an hour."))

    account = account_for_address(channel=channel, address=address)
    challenge = secrets.token_urlsafe(18)
    code = f"{secrets.randbelow(10**6):06d}"
    lifetime = settings.PORTAL_SIGNIN_CODE_SECONDS
    expires_at = now + lifetime
    # An unknown address gets a challenge too (one no code can open), so the
    # next page and the limits behave the same for it.
    cache.set(
        _code_key(challenge),
        {
            "hash": _code_hash(challenge, code),
            "holder_id": account.holder_id if account else None,
            "contact_id": account.contact.pk if account and account.contact else None,
            "expires_at": expires_at,
            "address_key": address_key,
        },
        lifetime,
    )
    if last:  # a new code replaces the one before
        cache.delete(_code_key(last["challenge"]))
    cache.set(
        f"portal-signin:address:{address_key}",
        {"challenge": challenge, "sent_at": now},
        lifetime,
    )
    if account is not None:
        _code_send(account=account, channel=channel, address=address, code=code, key=challenge)
    _log(
        "portal_signin_code",
        request,
        channel=channel,
        address=masked,
        customer=account.customer.code if account else "-",
        contact=account.contact.pk if account and account.contact else "-",
    )
    return PendingSignIn(challenge, channel, address, expires_at, True)


def _code_send(*, account: PortalAccount, channel: str, address: str, code: str, key: str) -> None:
    minutes = max(1, settings.PORTAL_SIGNIN_CODE_SECONDS // 60)
    context = {"code": code, "minutes": minutes, "name": account.name}
    with translation.override(account.customer.language or settings.LANGUAGE_CODE):
        subject = _("Your sign-in code")
        body = render_to_string(f"portal/account/code_{channel}.txt", context).strip()
    notification_send(
        key=f"portal-signin:{key}", channel=channel, recipient=address, subject=subject, body=body
    )


def signin_code_verify(*, pending: dict, code: str, request) -> PortalAccount:
    """The account a correct code opens. A wrong code costs one of the
    code's tries; the last wrong try, expiry or a used code end it."""
    ip = client_ip(request) or "-"
    if throttle_hit("signin-checks", ip, limit=settings.PORTAL_SIGNIN_CHECKS_PER_IP):
        _log("portal_signin_throttled", request, limit="checks")
        raise SignInThrottled(_("Too many attempts; please try again in an hour."))
    challenge = str(pending.get("challenge", ""))
    masked = address_masked(pending.get("channel", ""), pending.get("address", ""))
    entry = cache.get(_code_key(challenge)) if challenge else None
    if entry is None or entry["expires_at"] <= _now():
        cache.delete(_code_key(challenge))
        _log("portal_signin_failed", request, reason="expired", address=masked)
        raise SignInExpired(_("This code has expired. Ask for a new one."))

    tries = _count(f"portal-signin:tries:{challenge}", settings.PORTAL_SIGNIN_CODE_SECONDS)
    left = settings.PORTAL_SIGNIN_CODE_ATTEMPTS - tries
    matches = constant_time_compare(entry["hash"], _code_hash(challenge, code))
    if left < 0 or not matches or (entry["holder_id"] is None and entry["contact_id"] is None):
        _log("portal_signin_failed", request, reason="wrong_code", address=masked, tries=tries)
        if left <= 0:
            cache.delete(_code_key(challenge))
            raise SignInExpired(_("Too many wrong codes. Ask for a new one."))
        raise SignInWrongCode(
            ngettext(
                "This code is not right. %(left)d try left.",
                "This code is not right. %(left)d tries left.",
                left,
            )
            % {"left": left}
        )
    # One use only, even for two requests with the right code at once.
    if not cache.add(f"portal-signin:used:{challenge}", 1, settings.PORTAL_SIGNIN_CODE_SECONDS):
        raise SignInExpired(_("This code has expired. Ask for a new one."))
    cache.delete(_code_key(challenge))
    # Used: the next sign-in (after signing out) need not wait for the resend gap.
    cache.delete(f"portal-signin:address:{entry['address_key']}")
    account = _account_load(entry["holder_id"], entry["contact_id"])
    if account is None:
        _log("portal_signin_failed", request, reason="account_gone", address=masked)
        raise SignInExpired(_("This code has expired. Ask for a new one."))
    return account


# --- The portal session ------------------------------------------------------------


def portal_sign_in(request, account: PortalAccount) -> None:
    """Sign the visitor in as `account`: a new session key (a key fixed
    before sign-in is worthless after it) holding the customer's id."""
    request.session.cycle_key()
    request.session.pop(SESSION_PENDING, None)
    # The holder (or, for a contact, the company): read again on every page.
    request.session[SESSION_CUSTOMER] = account.holder_id or account.customer.pk
    request.session[SESSION_CONTACT] = account.contact.pk if account.contact else None
    request.session[SESSION_SINCE] = _now()
    _log(
        "portal_signin",
        request,
        customer=account.customer.code,
        contact=account.contact.pk if account.contact else "-",
    )


def portal_sign_out(request, *, reason: str = "signed_out") -> None:
    customer_id = request.session.get(SESSION_CUSTOMER)
    for key in (SESSION_CUSTOMER, SESSION_CONTACT, SESSION_SINCE, SESSION_PENDING):
        request.session.pop(key, None)
    request.session.cycle_key()
    if customer_id:
        _log("portal_signout", request, customer_id=customer_id, reason=reason)


def portal_account(request) -> PortalAccount | None:
    """The signed-in account of this request, or None. Past
    PORTAL_SESSION_SECONDS since sign-in, or when the account no longer
    signs in (contact made inactive), the visitor is signed out."""
    session = getattr(request, "session", None)
    if session is None or not session.get(SESSION_CUSTOMER):
        return None
    cached = getattr(request, "_portal_account", None)
    if cached is not None:
        return cached
    if _now() - float(session.get(SESSION_SINCE) or 0) > settings.PORTAL_SESSION_SECONDS:
        portal_sign_out(request, reason="expired")
        return None
    account = _account_load(session.get(SESSION_CUSTOMER), session.get(SESSION_CONTACT))
    if account is None:
        portal_sign_out(request, reason="account_gone")
        return None
    request._portal_account = account
    return account
