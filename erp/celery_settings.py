"""Celery queues, routing and the periodic schedule.

Every periodic job listed in CELERY_BEAT_SCHEDULE is also run, once and in
process, by `python manage.py run_due_jobs`, so the embedded default (no
broker) and plain cron get the same work done. Each job must be safe to run
twice.
"""

from celery.schedules import crontab
from kombu import Queue

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (
    Queue("default"),
    Queue("alerts"),
    Queue("reports"),
    Queue("webhooks"),
)
# Routing by task-name prefix: each app names its tasks "<app>.<job>".
CELERY_TASK_ROUTES = {
    "analytics.alert_*": {"queue": "alerts"},
    "analytics.report_*": {"queue": "reports"},
    "core.webhook_*": {"queue": "webhooks"},
    "core.transfer_*": {"queue": "reports"},  # bulk imports and exports
    "logistics.watch_*": {"queue": "alerts"},
    "aftersales.notify_*": {"queue": "alerts"},
    "aftersales.watch_*": {"queue": "alerts"},
}
# A task is acknowledged only after it ran; if the worker dies mid-task the
# message goes back to the queue instead of being lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Beat reads its schedule from the database (django-celery-beat): the entries
# below are synced into it, and report schedules add their own PeriodicTasks.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-keys": {
        "task": "core.purge_idempotency_keys",
        "schedule": crontab(minute=17),
    },
    "fill-backorders": {
        "task": "orders.fill_backorders",
        "schedule": crontab(minute=7),
    },
    # Channel messages held until their order arrives (orders.services.inbound).
    "retry-held-inbound": {
        "task": "orders.inbound_retry_held",
        "schedule": crontab(minute="*/5"),
    },
    "check-stock-ledger": {
        "task": "inventory.check_stock_ledger",
        "schedule": crontab(hour=2, minute=30),
    },
    # Notifications left pending because the broker was down at commit.
    "sweep-notifications": {
        "task": "core.sweep_notifications",
        "schedule": crontab(minute="*/10"),
    },
    # Outbox events whose on-commit relay was lost (crash, broker down) or
    # whose handler failed: published by the sweeper (erp.core.outbox).
    "relay-outbox": {
        "task": "core.outbox_relay",
        "schedule": crontab(minute="*"),
    },
    # Published outbox events past OUTBOX_RETENTION_DAYS.
    "purge-outbox": {
        "task": "core.outbox_purge",
        "schedule": crontab(hour=4, minute=10),
    },
    # Webhook deliveries due again (retries with backoff) or whose task was
    # lost (erp.core.webhooks).
    "sweep-webhooks": {
        "task": "core.webhook_sweep",
        "schedule": crontab(minute="*"),
    },
    # Finished webhook deliveries past WEBHOOK_LOG_RETENTION_DAYS, with their
    # attempts (erp.core.webhooks.retention).
    "purge-webhook-log": {
        "task": "core.webhook_purge",
        "schedule": crontab(hour=4, minute=25),
    },
    # Import/export jobs whose worker died (no progress for
    # TRANSFER_STALE_MINUTES) failed; job files past TRANSFER_RETENTION_DAYS
    # deleted (erp.core.transfers).
    "sweep-transfers": {
        "task": "core.transfer_sweep",
        "schedule": crontab(minute=23),
    },
    "clear-expired-sessions": {
        "task": "core.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=5),
    },
    "watch-shipments": {
        "task": "logistics.watch_shipments",
        "schedule": crontab(minute="*/10"),
    },
    "watch-ticket-sla": {
        "task": "aftersales.watch_sla",
        "schedule": crontab(minute="*/5"),
    },
    "open-exception-tickets": {
        "task": "aftersales.watch_exception_tickets",
        "schedule": crontab(minute="*/15"),
    },
    "score-customers": {
        "task": "crm.score_customers",
        "schedule": crontab(hour=1, minute=15),
    },
    "raise-care-tasks": {
        "task": "crm.raise_care_tasks",
        "schedule": crontab(minute=40),
    },
    # Alerts: T-3 deliveries, low stock, stock-out estimates, SLA, shipment
    # exceptions and delays, surges (analytics.services.t3 and .scans).
    "scan-alerts": {
        "task": "analytics.alert_scan_all",
        "schedule": crontab(minute="*/10"),
    },
    "escalate-alerts": {
        "task": "analytics.alert_escalate",
        "schedule": crontab(minute="*/5"),
    },
    # The KPIs' daily rollup (analytics.services.rollup): every hour what
    # changed, today and yesterday; at night also the last week again.
    "rollup-kpis": {
        "task": "analytics.rollup_daily",
        "schedule": crontab(minute=5),
    },
    "rollup-kpis-nightly": {
        "task": "analytics.rollup_daily",
        "schedule": crontab(hour=0, minute=20),
        "kwargs": {"recent_days": 7},
    },
    # Reports: runs of report schedules that beat missed (and, without beat,
    # every run: run_due_jobs from cron); report files past their retention.
    "run-report-schedules": {
        "task": "analytics.report_schedules_due",
        "schedule": crontab(minute="*/15"),
    },
    "purge-reports": {
        "task": "analytics.report_purge",
        "schedule": crontab(hour=3, minute=40),
    },
    # Demand forecasts and reorder suggestions, refitted nightly on the
    # orders up to yesterday; the stock-out scan reads them.
    "refresh-forecasts": {
        "task": "analytics.forecast_refresh",
        "schedule": crontab(hour=1, minute=45),
    },
}
