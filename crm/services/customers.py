"""Every write to customers goes through here."""

import re
import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.models import Address, Customer
from erp.core.db import advisory_lock
from erp.core.errors import DomainError

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")


class CustomerInvalid(DomainError):
    status_code = 400
    code = "invalid"


def phone_normalise(phone: str) -> str:
    """Digits only (a leading + kept), so the same phone always matches."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if not _PHONE_RE.match(phone):
        raise CustomerInvalid(_("Enter a valid phone number."), field="phone")
    digits = re.sub(r"\D", "", phone)
    # A mainland mobile written with the country code is the same number.
    for prefix in ("0086", "86"):
        if (
            digits.startswith(prefix)
            and len(digits) == len(prefix) + 11
            and digits[len(prefix)] == "1"
        ):
            return digits[len(prefix) :]
    return ("+" if phone.startswith("+") else "") + digits


@transaction.atomic
def customer_create(
    *,
    name: str,
    kind: str = Customer.Kind.PERSON,
    phone: str = "",
    email: str = "",
    tier: str = Customer.Tier.STANDARD,
    marketing_consent: bool = False,
    address: dict | None = None,
    code: str | None = None,
) -> Customer:
    """Create a customer, with an optional first address that becomes the default.

    Without a code, the customer gets the next `C` number.
    """
    name = (name or "").strip()
    if not name:
        raise CustomerInvalid(_("This field may not be blank."), field="name")
    phone = phone_normalise(phone)
    email = (email or "").strip().lower()
    if not phone and not email:
        raise CustomerInvalid(_("Give a phone number or an e-mail address."), field="phone")
    if code and Customer.objects.filter(code=code).exists():
        raise CustomerInvalid(_("A customer with this code exists already."), field="code")

    try:
        # The check above is for a clear message; the unique constraint is the
        # guard when two requests create the same code at once.
        with transaction.atomic():
            customer = Customer.objects.create(
                code=code or f"tmp-{uuid.uuid4().hex[:12]}",
                name=name,
                kind=kind,
                phone=phone,
                email=email,
                tier=tier,
                marketing_consent=marketing_consent,
            )
    except IntegrityError:
        raise CustomerInvalid(
            _("A customer with this code exists already."), field="code"
        ) from None
    update_fields = []
    if not code:
        # Numbered from the primary key: unique without a counter to lock.
        customer.code = f"C{customer.pk:06d}"
        update_fields.append("code")
    if address:
        customer.default_address = Address.objects.create(customer=customer, **address)
        update_fields.append("default_address")
    if update_fields:
        customer.save(update_fields=update_fields)
    return customer


@transaction.atomic
def customer_match_or_create(
    *, name: str, phone: str = "", email: str = "", address: dict | None = None
) -> tuple[Customer, bool]:
    """The customer an incoming order belongs to: matched by phone, then by
    e-mail, or created. Concurrent orders of one new customer create it once."""
    phone_n = phone_normalise(phone)
    email_n = (email or "").strip().lower()
    if not phone_n and not email_n:
        raise CustomerInvalid(_("Give a phone number or an e-mail address."), field="phone")
    # Lock every key the buyer may be matched by, in one order, so two orders of
    # one new buyer (one with phone and e-mail, one with only the e-mail) wait
    # for each other instead of creating the buyer twice.
    for key in sorted(
        k
        for k in (f"phone:{phone_n}" if phone_n else "", f"email:{email_n}" if email_n else "")
        if k
    ):
        advisory_lock(f"customer:{key}")
    match = None
    if phone_n:
        match = Customer.objects.filter(phone=phone_n).order_by("pk").first()
    if match is None and email_n:
        match = Customer.objects.filter(email=email_n).order_by("pk").first()
    if match is not None:
        return match, False
    return customer_create(name=name, phone=phone_n, email=email_n, address=address), True
