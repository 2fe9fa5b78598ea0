"""Cycle counts: open (snapshot), count blind, submit, approve and post.

A line records the level's on-hand at the moment it is counted (under the
level's lock, so no move is half-written). Posting books counted minus that
figure as a count correction: moves made while the count was going on are
neither lost nor counted twice.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import advisory_lock, lock_timeout
from erp.core.errors import DomainError
from inventory.lock_objects import stock_levels_for_update
from inventory.models import Product, StockCount, StockCountLine, StockLevel, StockMove, Warehouse
from inventory.services.stock import stock_adjust, stock_level_get

Status = StockCount.Status


class CountError(DomainError):
    status_code = 409
    code = "count_not_allowed"


def _locked_count(count: StockCount) -> StockCount:
    return (
        StockCount.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=count.pk)
    )


@transaction.atomic
def stock_count_open(
    *,
    warehouse: Warehouse,
    products: list[Product] | None = None,
    blind: bool = True,
    note: str = "",
    actor=None,
) -> StockCount:
    """Open a count of the given products, or of everything the warehouse holds."""
    advisory_lock(f"stockcount:{warehouse.pk}")
    if StockCount.objects.filter(
        warehouse=warehouse, status__in=[Status.OPEN, Status.SUBMITTED]
    ).exists():
        raise CountError(
            _("%(warehouse)s already has a count in progress.") % {"warehouse": warehouse.code},
            field="warehouse",
        )
    if products:
        level_ids = [stock_level_get(warehouse=warehouse, product=p).pk for p in products]
    else:
        level_ids = list(
            StockLevel.objects.filter(warehouse=warehouse).values_list("pk", flat=True)
        )
    if not level_ids:
        raise CountError(_("There is nothing to count in this warehouse."), field="products")
    count = StockCount.objects.create(
        number=f"tmp-{secrets.token_hex(6)}",
        warehouse=warehouse,
        blind=blind,
        note=note[:255],
        opened_by=actor if actor is not None and actor.is_authenticated else None,
    )
    count.number = f"SC-{timezone.localdate():%Y%m%d}-{count.pk:05d}"
    count.save(update_fields=["number"])
    with lock_timeout():
        levels = list(stock_levels_for_update(level_ids))
    StockCountLine.objects.bulk_create(
        [
            StockCountLine(
                count=count, stock_level=lvl, product_id=lvl.product_id, expected=lvl.on_hand
            )
            for lvl in levels
        ]
    )
    return count


@transaction.atomic
def stock_count_record(
    *, count: StockCount, product: Product, counted: int, actor=None
) -> StockCountLine:
    """Enter (or correct) the quantity found for one product."""
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise CountError(
            _("Enter the number found: a whole number, zero or more."), field="counted"
        )
    count = _locked_count(count)
    if count.status != Status.OPEN:
        raise CountError(_("This count is no longer open for counting."), field="status")
    line = StockCountLine.objects.filter(count=count, product=product).first()
    if line is None:
        raise CountError(
            _("%(sku)s is not part of this count.") % {"sku": product.sku}, field="product"
        )
    with lock_timeout():
        level = stock_levels_for_update([line.stock_level_id]).get()
    line.counted = counted
    line.on_hand_at_count = level.on_hand
    line.counted_at = timezone.now()
    line.counted_by = actor if actor is not None and actor.is_authenticated else None
    line.save(update_fields=["counted", "on_hand_at_count", "counted_at", "counted_by"])
    return line


@transaction.atomic
def stock_count_submit(*, count: StockCount, actor=None) -> StockCount:
    count = _locked_count(count)
    if count.status != Status.OPEN:
        raise CountError(_("Only an open count can be submitted."), field="status")
    missing = count.lines.filter(counted__isnull=True).count()
    if missing:
        raise CountError(
            _("%(missing)s product(s) are not counted yet.") % {"missing": missing}, field="lines"
        )
    count.status = Status.SUBMITTED
    count.submitted_by = actor if actor is not None and actor.is_authenticated else None
    count.save(update_fields=["status", "submitted_by", "updated_at"])
    return count


@transaction.atomic
def stock_count_approve(*, count: StockCount, actor) -> StockCount:
    """Approve a submitted count and post its variances as count corrections.

    Someone who neither opened, counted nor submitted it must approve.
    """
    count = _locked_count(count)
    if count.status != Status.SUBMITTED:
        raise CountError(_("Only a submitted count can be approved."), field="status")
    involved = {count.opened_by_id, count.submitted_by_id} | set(
        count.lines.exclude(counted_by=None).values_list("counted_by_id", flat=True)
    )
    if actor is not None and actor.pk in involved - {None}:
        raise CountError(
            _("A count must be approved by someone who did not open, count or submit it.")
        )
    lines = list(count.lines.select_related("product").order_by("stock_level_id"))
    for line in lines:
        line.correction = line.counted - line.on_hand_at_count
        if line.correction:
            stock_adjust(
                warehouse=count.warehouse,
                product=line.product,
                quantity=line.correction,
                kind=StockMove.Kind.COUNT_CORRECTION,
                reference=count.number,
                note=_("Cycle count %(number)s") % {"number": count.number},
                actor=actor,
            )
    StockCountLine.objects.bulk_update(lines, ["correction"])
    count.status = Status.POSTED
    count.approved_by = actor if actor is not None and actor.is_authenticated else None
    count.posted_at = timezone.now()
    count.save(update_fields=["status", "approved_by", "posted_at", "updated_at"])
    return count


@transaction.atomic
def stock_count_cancel(*, count: StockCount, actor=None) -> StockCount:
    count = _locked_count(count)
    if count.status not in (Status.OPEN, Status.SUBMITTED):
        raise CountError(_("A posted or cancelled count cannot be cancelled."), field="status")
    count.status = Status.CANCELLED
    count.save(update_fields=["status", "updated_at"])
    return count
