"""Every write to customers goes through here."""

import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Address, Contact, Customer, Tag
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
    consent_source: str = "",
    address: dict | None = None,
    code: str | None = None,
) -> Customer:
    """Create a customer, with an optional first address that becomes the default.

    Without a code, the customer gets the next `C` number. Consent given at
    creation is recorded like any other decision: now, from `consent_source`
    (staff when not said), so campaigns never rely on an undated consent.
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
    consent_source = consent_source or (Customer.ConsentSource.STAFF if marketing_consent else "")
    if consent_source and consent_source not in Customer.ConsentSource.values:
        raise CustomerInvalid(_("Choose where the customer said so."), field="consent_source")

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
                marketing_consent=bool(marketing_consent),
                consent_at=timezone.now() if marketing_consent else None,
                consent_source=consent_source if marketing_consent else "",
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


def customer_survivor(customer: Customer) -> Customer:
    """The customer a merged one lives on in (following merges of merges)."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def _match(phone: str, email: str) -> Customer | None:
    """The active customer with this phone, else the company whose active
    contact has it; then the same by e-mail; then a merged customer with
    either (whose survivor is the match)."""
    active = Customer.objects.filter(merged_into__isnull=True).order_by("pk")
    contacts = Contact.objects.filter(active=True, customer__merged_into__isnull=True).order_by(
        "customer_id"
    )
    for key, value in (("phone", phone), ("email", email)):
        if not value:
            continue
        found = active.filter(**{key: value}).first()
        if found is None:
            contact = contacts.filter(**{key: value}).select_related("customer").first()
            found = contact.customer if contact else None
        if found is not None:
            return found
    lookup = Q()
    if phone:
        lookup |= Q(phone=phone)
    if email:
        lookup |= Q(email=email)
    merged = Customer.objects.filter(lookup, merged_into__isnull=False).order_by("pk").first()
    return customer_survivor(merged) if merged is not None else None


@transaction.atomic
def customer_match_or_create(
    *, name: str, phone: str = "", email: str = "", address: dict | None = None
) -> tuple[Customer, bool]:
    """The customer an incoming order belongs to: matched by phone (the
    customer's or an active contact's of a company), then by e-mail, or
    created. Merged customers are never matched themselves: their survivor
    is. Concurrent orders of one new customer create it once."""
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
    match = _match(phone_n, email_n)
    if match is not None:
        return match, False
    return customer_create(name=name, phone=phone_n, email=email_n, address=address), True


# --- Changes to a customer -------------------------------------------------------

UPDATABLE_FIELDS = ("name", "kind", "phone", "email", "language", "note", "account_manager")


def _active(customer: Customer) -> Customer:
    """The customer row locked for writing; merged customers are kept as they
    were and take no more changes."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.merged_into_id is not None:
        raise CustomerMerged(
            _("Customer %(code)s was merged into another customer and cannot be changed.")
            % {"code": locked.code},
            field="customer",
        )
    return locked


class CustomerMerged(DomainError):
    status_code = 409
    code = "customer_merged"


@transaction.atomic
def customer_edit(
    *, customer: Customer, actor=None, consent: bool | None = None, consent_source=None, **changes
) -> Customer:
    """Change a customer's details (see customer_update) and, when `consent`
    is given, record the consent decision with its source: both or neither."""
    with transaction.atomic():
        customer = customer_update(customer=customer, actor=actor, **changes)
        if consent is not None:
            customer = consent_set(
                customer=customer, given=consent, source=consent_source, actor=actor
            )
    return customer


def customer_update(*, customer: Customer, actor=None, tags=None, **changes) -> Customer:
    """Change a customer's details: name, kind, phone, email, language, note,
    account manager and (when given) the whole set of tags (Tag objects or names)."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise CustomerInvalid(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    customer = _active(customer)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise CustomerInvalid(_("This field may not be blank."), field="name")
    if "kind" in changes and changes["kind"] not in Customer.Kind.values:
        raise CustomerInvalid(_("Choose a valid kind."), field="kind")
    if "language" in changes and changes["language"] not in Customer.Language.values:
        raise CustomerInvalid(_("Choose a valid language."), field="language")
    if "phone" in changes:
        changes["phone"] = phone_normalise(changes["phone"])
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip().lower()
    if "note" in changes:
        changes["note"] = changes["note"] or ""
    phone = changes.get("phone", customer.phone)
    email = changes.get("email", customer.email)
    if not phone and not email:
        raise CustomerInvalid(_("Give a phone number or an e-mail address."), field="phone")
    manager = changes.get("account_manager", customer.account_manager)
    if "account_manager" in changes and manager is not None and not manager.is_active:
        raise CustomerInvalid(
            _("The account manager must be an active user."), field="account_manager"
        )
    for key, value in changes.items():
        setattr(customer, key, value)
    if changes:
        customer.save(update_fields=[*changes, "updated_at"])
    if tags is not None:
        customer.tags.set(_tags(tags))
    return customer


def _tags(tags) -> list[Tag]:
    result = []
    for tag in tags:
        if isinstance(tag, Tag):
            result.append(tag)
            continue
        name = (tag or "").strip()
        if not name:
            continue
        if len(name) > 50:
            raise CustomerInvalid(_("A tag has at most 50 characters."), field="tags")
        result.append(Tag.objects.get_or_create(name=name)[0])
    return result


@transaction.atomic
def tag_add(*, customer: Customer, name: str) -> Tag:
    customer = _active(customer)
    found = _tags([name])
    if not found:
        raise CustomerInvalid(_("This field may not be blank."), field="tags")
    customer.tags.add(found[0])
    return found[0]


@transaction.atomic
def tag_remove(*, customer: Customer, name: str) -> None:
    customer = _active(customer)
    customer.tags.remove(*Tag.objects.filter(name=(name or "").strip()))


@transaction.atomic
def consent_set(*, customer: Customer, given: bool, source: str, at=None, actor=None) -> Customer:
    """Record the customer's marketing consent decision: given or withdrawn,
    when and where it was said. Campaigns read it at send time."""
    if source not in Customer.ConsentSource.values:
        raise CustomerInvalid(_("Choose where the customer said so."), field="consent_source")
    customer = _active(customer)
    customer.marketing_consent = bool(given)
    customer.consent_at = at or timezone.now()
    customer.consent_source = source
    customer.save(update_fields=["marketing_consent", "consent_at", "consent_source", "updated_at"])
    return customer


# --- Contacts ------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "title", "phone", "email", "is_primary")


def _contact_clean(data: dict) -> dict:
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise CustomerInvalid(_("This field may not be blank."), field="name")
    if "role" in data and data["role"] not in Contact.Role.values:
        raise CustomerInvalid(_("Choose a valid role."), field="role")
    if "phone" in data:
        data["phone"] = phone_normalise(data["phone"])
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower()
    for key in ("title",):
        if key in data:
            data[key] = (data[key] or "").strip()
    return data


def _demote_other_primaries(contact: Contact) -> None:
    """One primary contact per role: making one primary demotes the other."""
    if contact.is_primary and contact.active:
        Contact.objects.filter(
            customer_id=contact.customer_id, role=contact.role, is_primary=True
        ).exclude(pk=contact.pk).update(is_primary=False, updated_at=timezone.now())


@transaction.atomic
def contact_create(
    *,
    customer: Customer,
    name: str,
    role: str = Contact.Role.BUYER,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
) -> Contact:
    """A person at a customer. Making it primary demotes the role's primary
    contact; the first contact of a role becomes primary."""
    customer = _active(customer)
    data = _contact_clean(
        {"name": name, "role": role, "title": title, "phone": phone, "email": email}
    )
    if not data["phone"] and not data["email"]:
        raise CustomerInvalid(_("Give a phone number or an e-mail address."), field="phone")
    has_primary = Contact.objects.filter(
        customer=customer, role=data["role"], is_primary=True
    ).exists()
    contact = Contact(customer=customer, is_primary=bool(is_primary) or not has_primary, **data)
    if contact.is_primary and has_primary:
        Contact.objects.filter(customer=customer, role=data["role"], is_primary=True).update(
            is_primary=False, updated_at=timezone.now()
        )
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **changes) -> Contact:
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise CustomerInvalid(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    _active(contact.customer)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if not contact.active:
        raise CustomerInvalid(_("This contact is no longer active."), field="active")
    data = _contact_clean(dict(changes))
    for key, value in data.items():
        setattr(contact, key, value)
    if not contact.phone and not contact.email:
        raise CustomerInvalid(_("Give a phone number or an e-mail address."), field="phone")
    _demote_other_primaries(contact)
    contact.save()
    return contact


@transaction.atomic
def contact_deactivate(*, contact: Contact) -> Contact:
    """A contact who left: kept for the record, no longer primary or matched."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    contact.active = False
    contact.is_primary = False
    contact.save(update_fields=["active", "is_primary", "updated_at"])
    return contact


# --- Addresses -------------------------------------------------------------------------

ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "street", "postcode")


def _address_clean(data: dict, *, partial: bool = False) -> dict:
    unknown = set(data) - set(ADDRESS_FIELDS)
    if unknown:
        raise CustomerInvalid(
            _("These fields cannot be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    data = {key: (value or "").strip() for key, value in data.items()}
    for required in ("recipient", "phone", "province", "city", "street"):
        if (not partial or required in data) and not data.get(required):
            raise CustomerInvalid(_("This field may not be blank."), field=required)
    return data


@transaction.atomic
def address_add(*, customer: Customer, make_default: bool = False, **fields) -> Address:
    """A delivery address; the first one (or one asked to be) becomes the default."""
    customer = _active(customer)
    address = Address.objects.create(customer=customer, **_address_clean(fields))
    if make_default or customer.default_address_id is None:
        customer.default_address = address
        customer.save(update_fields=["default_address", "updated_at"])
    return address


@transaction.atomic
def address_update(*, address: Address, **changes) -> Address:
    _active(address.customer)
    address = Address.objects.select_for_update().get(pk=address.pk)
    for key, value in _address_clean(changes, partial=True).items():
        setattr(address, key, value)
    address.save()
    return address


@transaction.atomic
def address_set_default(*, customer: Customer, address: Address) -> Customer:
    customer = _active(customer)
    if address.customer_id != customer.pk:
        raise CustomerInvalid(_("This address belongs to another customer."), field="address")
    customer.default_address = address
    customer.save(update_fields=["default_address", "updated_at"])
    return customer
