"""Demo: a few finished reports (one per kind people ask for most) and two
schedules with their PeriodicTasks, one of which has run and been mailed."""

from datetime import time, timedelta

from django.utils import timezone

# username, kind, format, days back (None: no period), channel
REPORTS = [
    ("analyst", "orders", "xlsx", 30, ""),
    ("analyst", "shipments_carbon", "pdf", 30, ""),
    ("whmanager", "stock_valuation", "xlsx", None, ""),
    ("manager", "customer_scores", "csv", None, ""),
    ("clerk", "orders", "csv", 7, ""),
]


def seed(ctx) -> None:
    from analytics.models import Report, ReportSchedule
    from analytics.services.report_schedules import (
        report_schedule_create,
        report_schedule_run,
        schedule_last_due,
    )
    from analytics.services.reports import report_generate, report_request

    if Report.objects.exists() or ReportSchedule.objects.exists():
        ctx.report("reports", Report.objects.count(), 0)
        return
    users = ctx.data["users"]
    today = timezone.localdate()
    for username, kind, fmt, days, channel in REPORTS:
        parameters = {"channel": channel}
        if days is not None:
            parameters.update(date_from=today - timedelta(days=days), date_to=today)
        report = report_request(
            kind=kind,
            format=fmt,
            parameters=parameters,
            requested_by=users[username],
            language="zh-hans",
        )
        report_generate(report_id=report.pk)

    weekly = report_schedule_create(
        owner=users["whmanager"],
        name="每周库存估值",
        kind="stock_valuation",
        format="xlsx",
        period="last_week",
        recipients=["warehouse-leads@demo.example.com", "finance@demo.example.com"],
        frequency="weekly",
        weekday=0,
        at_time=time(8, 0),
        language="zh-hans",
    )
    report_schedule_create(
        owner=users["analyst"],
        name="每日订单日报",
        kind="orders",
        format="csv",
        period="yesterday",
        recipients=["ops@demo.example.com"],
        frequency="daily",
        at_time=time(7, 30),
        language="zh-hans",
    )
    report_schedule_run(schedule_id=weekly.pk, due_at=schedule_last_due(weekly))
    ctx.report("reports", Report.objects.count())
    ctx.report("report schedules", ReportSchedule.objects.count())
