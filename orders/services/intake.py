"""Orders in: from a channel over the API, from a clerk on the phone or in a store.

The same channel order (channel + external_ref) never becomes two orders:
sent again with the same content it returns the existing order, with other
content it is refused (409). The unique constraint decides when two copies
arrive at once.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.services.campaigns import campaign_code_normalise, campaign_for_code
from crm.services.customers import customer_match_or_create, customer_survivor
from erp.core.errors import DomainError, LockTimeout
from erp.core.outbox import outbox_emit
from inventory.models import Product
from orders.models import Order, OrderEvent, OrderLine, SalesChannel
from orders.services.errors import OrderConflict, OrderInvalid
from orders.services.lifecycle import order_confirm
from orders.services.priority import priority_score

CENTS = Decimal("0.01")
# The largest amount an order's money columns hold (14 digits, 2 decimals).
MAX_AMOUNT = Decimal("999999999999.99")
ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "street", "postcode")


@dataclass
class LineInput:
    product: Product
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")


def content_hash(
    *,
    channel,
    external_ref,
    customer,
    shipping_address,
    promised_date,
    currency,
    lines: list[LineInput],
    shipping_total,
    tax_total,
    campaign_code="",
) -> str:
    """What identifies the content of a channel order, for duplicate detection."""
    canonical = {
        "channel": channel.code,
        "external_ref": external_ref,
        "customer": {k: str(v) for k, v in sorted(customer.items()) if k != "address"},
        "address": {k: str(shipping_address.get(k, "")) for k in ADDRESS_FIELDS},
        "promised_date": promised_date.isoformat() if promised_date else None,
        "currency": currency,
        "lines": [
            [
                line.product.sku,
                line.quantity,
                str(line.unit_price.quantize(CENTS)),
                str(line.discount.quantize(CENTS)),
            ]
            for line in lines
        ],
        "shipping": str(Decimal(shipping_total).quantize(CENTS)),
        "tax": str(Decimal(tax_total).quantize(CENTS)),
    }
    if campaign_code:  # only when given, so earlier orders keep their hash
        canonical["campaign"] = campaign_code
    return hashlib.sha256(
        json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _existing(channel, external_ref, digest) -> Order | None:
    order = Order.objects.filter(channel=channel, external_ref=external_ref).first()
    if order is None:
        return None
    if order.content_hash != digest:
        raise OrderConflict(
            _(
                "Channel order %(ref)s of %(channel)s exists already (%(number)s) "
                "with other content."
            )
            % {"ref": external_ref, "channel": channel.code, "number": order.number},
            field="external_ref",
        )
    return order


def _customer(customer: dict, shipping_address: dict) -> Customer:
    code = (customer.get("code") or "").strip()
    if code:
        found = Customer.objects.filter(code=code).first()
        if found is None:
            raise OrderInvalid(
                _("No customer has the code %(code)s.") % {"code": code}, field="customer.code"
            )
        # A merged customer's orders belong to the customer it was merged into.
        return customer_survivor(found)
    address = (
        {k: shipping_address.get(k, "") for k in ADDRESS_FIELDS}
        if shipping_address.get("street")
        else None
    )
    matched, _created = customer_match_or_create(
        name=customer.get("name", "") or shipping_address.get("recipient", ""),
        phone=customer.get("phone", ""),
        email=customer.get("email", ""),
        address=address,
    )
    return matched


def order_create(
    *,
    channel: SalesChannel,
    customer: dict,
    shipping_address: dict,
    lines: list[LineInput],
    external_ref: str = "",
    promised_date: date | None = None,
    currency: str | None = None,
    shipping_total: Decimal = Decimal("0"),
    tax_total: Decimal = Decimal("0"),
    placed_at=None,
    note: str = "",
    campaign_code: str = "",
    actor=None,
) -> tuple[Order, bool]:
    """Create an order (pending, or confirmed at once if the channel says so).

    Returns (order, created). A repeated channel order returns the first one
    with created=False. `campaign_code` names the marketing campaign the
    order answers (its revenue counts there); an unknown code is refused.
    """
    currency = currency or settings.DEFAULT_CURRENCY
    external_ref = (external_ref or "").strip()
    campaign_code = campaign_code_normalise(campaign_code)
    campaign = campaign_for_code(campaign_code) if campaign_code else None
    if campaign_code and campaign is None:
        raise OrderInvalid(
            _("No campaign has the code %(code)s.") % {"code": campaign_code},
            field="campaign_code",
        )
    if campaign is not None and campaign.status not in ("sending", "sent"):
        raise OrderInvalid(
            _("Campaign %(code)s has not been sent, so its code cannot be used yet.")
            % {"code": campaign_code},
            field="campaign_code",
        )
    if not channel.active:
        raise OrderInvalid(
            _("Sales channel %(code)s is not active.") % {"code": channel.code}, field="channel"
        )
    if not lines:
        raise OrderInvalid(_("An order needs at least one line."), field="lines")
    digest = content_hash(
        channel=channel,
        external_ref=external_ref,
        customer=customer,
        shipping_address=shipping_address,
        promised_date=promised_date,
        currency=currency,
        lines=lines,
        shipping_total=shipping_total,
        tax_total=tax_total,
        campaign_code=campaign_code,
    )
    if external_ref:
        existing = _existing(channel, external_ref, digest)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            order = _insert(
                channel=channel,
                customer=customer,
                shipping_address=shipping_address,
                lines=lines,
                external_ref=external_ref,
                promised_date=promised_date,
                currency=currency,
                shipping_total=shipping_total,
                tax_total=tax_total,
                placed_at=placed_at,
                note=note,
                campaign=campaign,
                actor=actor,
                digest=digest,
            )
    except IntegrityError:
        # Another request created the same channel order a moment ago.
        existing = _existing(channel, external_ref, digest) if external_ref else None
        if existing is None:
            raise
        return existing, False
    if channel.auto_confirm:
        _auto_confirm(order, actor)
    return order, True


def _insert(
    *,
    channel,
    customer,
    shipping_address,
    lines,
    external_ref,
    promised_date,
    currency,
    shipping_total,
    tax_total,
    placed_at,
    note,
    actor,
    digest,
    campaign=None,
) -> Order:
    buyer = _customer(customer, shipping_address)
    placed_at = placed_at or timezone.now()
    for index, line in enumerate(lines):
        if line.quantity <= 0 or line.unit_price < 0 or line.discount < 0:
            raise OrderInvalid(
                _("Quantities and prices must be positive."), field=f"lines[{index}]"
            )
        if line.discount > line.unit_price * line.quantity:
            raise OrderInvalid(
                _("The discount cannot exceed the line's value."), field=f"lines[{index}].discount"
            )
        if line.unit_price * line.quantity > MAX_AMOUNT:
            raise OrderInvalid(
                _("The line's value is larger than an order can hold (%(max)s).")
                % {"max": MAX_AMOUNT},
                field=f"lines[{index}]",
            )
    subtotal = sum((line.unit_price * line.quantity).quantize(CENTS) for line in lines)
    discount_total = sum(line.discount.quantize(CENTS) for line in lines)
    total = subtotal - discount_total + Decimal(shipping_total) + Decimal(tax_total)
    if total < 0:
        raise OrderInvalid(_("Discounts exceed the order value."), field="lines")
    if max(subtotal, total) > MAX_AMOUNT:
        raise OrderInvalid(
            _("The order's value is larger than an order can hold (%(max)s).")
            % {"max": MAX_AMOUNT},
            field="lines",
        )
    cost = sum(line.product.unit_cost * line.quantity for line in lines)
    order = Order.objects.create(
        number=f"tmp-{secrets.token_hex(8)}",
        channel=channel,
        external_ref=external_ref,
        customer=buyer,
        shipping_address={k: str(shipping_address.get(k, "")) for k in ADDRESS_FIELDS},
        currency=currency,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=total,
        placed_at=placed_at,
        promised_date=promised_date,
        priority_score=priority_score(
            promised_date=promised_date, tier=buyer.tier, total=total, cost=cost
        ),
        tracking_token=secrets.token_urlsafe(32),
        content_hash=digest,
        note=note[:500],
        campaign=campaign,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    # Numbered from the primary key: unique without a counter everyone must lock.
    order.number = f"SO-{timezone.localtime(placed_at):%Y%m%d}-{order.pk:05d}"
    order.save(update_fields=["number"])
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                line_no=index,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                line_total=(line.unit_price * line.quantity - line.discount).quantize(CENTS),
                unit_cost=line.product.unit_cost,
            )
            for index, line in enumerate(lines, start=1)
        ]
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.CREATED,
        to_status=Order.Status.PENDING,
        reason=_("Received from %(channel)s.") % {"channel": channel.name},
        actor=order.created_by,
        visible_to_customer=True,
    )
    outbox_emit(
        type="order.created",
        aggregate=order,
        payload={
            "order_id": order.pk,
            "number": order.number,
            "status": order.status,
            "channel": channel.code,
            "external_ref": order.external_ref,
            "customer_id": order.customer_id,
        },
    )
    return order


def _auto_confirm(order: Order, actor) -> None:
    """Confirm a new order of an auto-confirming channel. The order is saved
    whatever happens: short stock leaves it pending for a person; a busy lock
    leaves it pending and a task retries after commit."""
    try:
        order_confirm(order=order, actor=actor, reason=_("Confirmed automatically by the channel."))
    except DomainError as exc:
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.NOTE,
            reason=_("Not confirmed automatically: %(why)s") % {"why": exc.message},
        )
        if isinstance(exc, LockTimeout):
            from orders.tasks import confirm_order

            # robust: a broker hiccup must not fail the request that saved the order
            transaction.on_commit(lambda: confirm_order.delay(order.pk), robust=True)
    order.refresh_from_db()
