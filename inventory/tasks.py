import logging

from celery import shared_task

from inventory.selectors import stock_ledger_mismatches

log = logging.getLogger(__name__)


@shared_task(name="inventory.check_stock_ledger")
def check_stock_ledger() -> int:
    """Nightly proof of the ledger; mismatches are logged as errors. Read-only."""
    bad = list(stock_ledger_mismatches())
    for level in bad:
        log.error(
            "stock ledger mismatch: %s %s on_hand=%s moves=%s",
            level.warehouse.code,
            level.product.sku,
            level.on_hand,
            level.ledger,
        )
    return len(bad)
