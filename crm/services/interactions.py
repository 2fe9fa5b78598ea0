"""Interactions: contacts with a customer logged by staff, and those the
system writes itself (a customer's message on a ticket), once per cause."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact, Customer, Interaction
from erp.core.errors import DomainError
from erp.core.services import acting_person

# A clock a little ahead on the staff member's side is not "the future".
FUTURE_SLACK = timedelta(minutes=5)


class InteractionInvalid(DomainError):
    status_code = 400
    code = "invalid"


def _check_choice(value: str, choices, field: str) -> str:
    if value not in {c for c, _label in choices}:
        raise InteractionInvalid(
            _("“%(value)s” is not a valid choice.") % {"value": value}, field=field
        )
    return value


def _surviving(customer: Customer) -> Customer:
    """The customer a merged one lives on in (merges may chain)."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    kind: str,
    direction: str,
    subject: str,
    body: str = "",
    occurred_at: datetime | None = None,
    contact: Contact | None = None,
    reference: str = "",
    care_task=None,
    actor=None,
) -> Interaction:
    """A contact with a customer, logged by a staff member."""
    _check_choice(kind, Interaction.Kind.choices, "kind")
    _check_choice(direction, Interaction.Direction.choices, "direction")
    subject = (subject or "").strip()
    if not subject:
        raise InteractionInvalid(_("This field may not be blank."), field="subject")
    if customer.merged_into_id is not None:
        raise InteractionInvalid(
            _("This customer was merged into %(other)s; use that one.")
            % {"other": customer.merged_into},
            field="customer",
        )
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + FUTURE_SLACK:
        raise InteractionInvalid(_("An interaction cannot be in the future."), field="occurred_at")
    if contact is not None and contact.customer_id != customer.pk:
        raise InteractionInvalid(_("This contact belongs to another customer."), field="contact")
    if care_task is not None and care_task.customer_id != customer.pk:
        raise InteractionInvalid(_("This care task is about another customer."), field="care_task")
    return Interaction.objects.create(
        customer=customer,
        contact=contact,
        kind=kind,
        direction=direction,
        subject=subject[:200],
        body=(body or "").strip(),
        staff=acting_person(actor),
        occurred_at=occurred_at,
        reference=(reference or "").strip()[:100],
        care_task=care_task,
    )


def interaction_record_system(
    *,
    customer_id: int,
    source_key: str,
    kind: str,
    direction: str,
    subject: str,
    body: str = "",
    occurred_at: datetime | None = None,
    reference: str = "",
) -> tuple[Interaction, bool]:
    """An interaction the system writes for a cause (`source_key`, e.g.
    "ticket-message:12"): written once however often it is called, also
    concurrently. A merged customer's goes to the customer it was merged
    into. Returns (interaction, created)."""
    source_key = (source_key or "").strip()[:100]
    if not source_key:
        raise InteractionInvalid(_("This field may not be blank."), field="source_key")
    _check_choice(kind, Interaction.Kind.choices, "kind")
    _check_choice(direction, Interaction.Direction.choices, "direction")
    existing = Interaction.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing, False
    customer = _surviving(Customer.objects.get(pk=customer_id))
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                customer=customer,
                kind=kind,
                direction=direction,
                subject=(subject or "").strip()[:200] or "-",
                body=(body or "").strip(),
                occurred_at=occurred_at or timezone.now(),
                by_system=True,
                source_key=source_key,
                reference=(reference or "").strip()[:100],
            )
    except IntegrityError:  # another worker wrote the same cause first
        return Interaction.objects.get(source_key=source_key), False
    return interaction, True
