"""analytics' Celery tasks. Names start with "analytics.alert_" so they run on
the alerts queue. Each is safe to run twice, and by two workers at once."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)

# The scans of analytics.services.scans that alert_scan_all runs, in order.
SCANS = ("low_stock_scan", "stockout_scan", "sla_scan", "shipment_scan", "surge_scan")


@shared_task(name="analytics.alert_t3_scan")
def alert_t3_scan() -> dict:
    """An alert for every unshipped order at most ORDER_AT_RISK_DAYS before
    its promised date (analytics.services.t3.t3_scan)."""
    from analytics.services.t3 import t3_scan

    return t3_scan()


@shared_task(name="analytics.alert_escalate")
def alert_escalate() -> dict:
    """Alerts left unresolved past their deadline go to the supervising role
    (analytics.services.lifecycle.alerts_escalate)."""
    from analytics.services.lifecycle import alerts_escalate

    return alerts_escalate()


@shared_task(name="analytics.alert_scan_all")
def alert_scan_all() -> dict:
    """Every alert scan: T-3 deliveries, then stock, SLA, shipments and surges.
    One failing scan is logged and does not stop the others."""
    from analytics.services.t3 import t3_scan

    try:
        from analytics.services import scans
    except ImportError:
        log.exception("alert scans could not be imported")
        scans = None
    runs = [("t3_scan", t3_scan)]
    runs += [(name, getattr(scans, name, None)) for name in SCANS]
    results = {}
    for name, scan in runs:
        if scan is None:
            log.error("alert scan %s is missing", name)
            results[name] = "missing"
            continue
        try:
            results[name] = scan()
        except Exception:  # one broken scan must not silence the others
            log.exception("alert scan %s failed", name)
            results[name] = "failed"
    return results
