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


# --- Reports (names start with "analytics.report_": the reports queue) -------------------


@shared_task(name="analytics.report_generate")
def report_generate(report_id: int) -> dict:
    """Generate one requested report (analytics.services.reports.report_generate):
    progress recorded as it goes, then done with its file or failed with the error."""
    from analytics.services.reports import report_generate as generate

    report = generate(report_id=report_id)
    return {"report": report.pk, "status": report.status}


@shared_task(name="analytics.report_scheduled")
def report_scheduled(schedule_id: int, due_at: str | None = None) -> dict:
    """Called by a schedule's PeriodicTask: the report of this run, generated and
    mailed to the recipients; a second fire for the same due time does nothing."""
    from datetime import datetime

    from analytics.services.report_schedules import report_schedule_run

    report = report_schedule_run(
        schedule_id=schedule_id, due_at=datetime.fromisoformat(due_at) if due_at else None
    )
    if report is None:
        return {"schedule": schedule_id, "report": None}
    return {"schedule": schedule_id, "report": report.pk, "status": report.status}


@shared_task(name="analytics.report_schedules_due")
def report_schedules_due() -> dict:
    """Runs of schedules that beat missed (or, without beat, all of them)."""
    from analytics.services.report_schedules import report_schedules_due as due

    return due()


@shared_task(name="analytics.report_purge")
def report_purge() -> dict:
    """Delete report files past the retention period."""
    from analytics.services.reports import reports_purge

    return reports_purge()


@shared_task(name="analytics.rollup_daily")
def rollup_daily(recent_days: int | None = None) -> dict:
    """Bring the KPIs' daily rollup up to date: the days whose facts changed
    since the last run, the last `recent_days` days and any day not built yet
    (analytics.services.rollup.rollup_daily). Safe to run twice and by two
    workers: runs are serialised by an advisory lock."""
    from analytics.services.rollup import rollup_daily as run

    return run(recent_days=recent_days)


@shared_task(name="analytics.forecast_refresh")
def forecast_refresh() -> dict:
    """Refit the demand forecasts and reorder suggestions of every active
    product (analytics.services.forecasting.forecast_refresh). Safe to run
    twice and by two workers: the results replace the previous ones through
    their natural keys, written under an advisory lock."""
    from analytics.services.forecasting import forecast_refresh as refresh

    return refresh()
