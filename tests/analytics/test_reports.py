"""Reports generated in the background (issue 7 item 7): every kind in CSV,
XLSX and PDF from a small data set, the progress recorded while a worker
writes, failures, the pages (progress bar, download and its refusals),
schedules kept in step with their PeriodicTask and mailed once per due
time, and /api/v1/reports/ (202, poll, download)."""

import csv
import io
import time
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook
from pypdf import PdfReader

from aftersales.models import BusinessCalendar, SlaPolicy, Ticket
from analytics.models import Report, ReportSchedule
from analytics.reports import kinds as report_kinds
from analytics.reports.kinds import ReportKindSpec, Rows
from analytics.services.report_schedules import (
    report_schedule_create,
    report_schedule_set_enabled,
    report_schedule_update,
    report_schedules_due,
    schedule_last_due,
    schedule_period,
)
from analytics.services.reports import report_generate, report_request, reports_purge
from analytics.tasks import report_scheduled
from crm.models import CustomerScore
from erp.core.errors import DomainError
from erp.core.models import AuditEvent
from logistics.models import Shipment
from tests.aftersales.conftest import delivered, frozen_clock, shanghai  # noqa: F401
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def dataset(frozen_clock, delivered, world, make_user):  # noqa: F811
    """On Friday 2026-11-27 in Shanghai: one delivered order (3 TEA-1 and 2
    CUP-1 at 100.00: 500.00) shipped from SH01 by 顺丰速运 with a known freight
    cost and carbon figure, one ticket answered in 2 hours (SLA met), one
    scored customer, and stock left: 7 TEA-1 at 40.00 and 8 CUP-1 at 5.00."""
    order = delivered
    shipment = Shipment.objects.get(order=order)
    Shipment.objects.filter(pk=shipment.pk).update(
        freight_cost=Decimal("23.50"), co2e_kg=Decimal("1.234"), distance_km=Decimal("12.00")
    )
    created = shanghai(2026, 11, 27, 9, 0)
    policy = SlaPolicy.objects.create(
        name="普通",
        priority="normal",
        first_response_minutes=240,
        resolution_minutes=2880,
        calendar=BusinessCalendar.objects.create(code="24X7", name="全天", always_open=True),
    )
    ticket = Ticket.objects.create(
        sla_policy=policy,
        number="TK-REPORT-1",
        subject="包装破损",
        customer=order.customer,
        order=order,
        kind="complaint",
        channel="phone",
        category="包装",
        public_token="report-test-token",
        first_responded_at=created + timedelta(hours=2),
        first_response_due_at=created + timedelta(hours=4),
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    CustomerScore.objects.create(
        customer=order.customer,
        orders_count=1,
        revenue=Decimal("500.00"),
        lifetime_value=Decimal("1234.56"),
        computed_at=timezone.now(),
    )
    return {
        "order": order,
        "shipment": shipment,
        "ticket": ticket,
        "customer": order.customer,
        "admin": make_user("admin", email="admin@example.com"),
        **world,
    }


def generate(user, kind, fmt, parameters=None, language="zh-hans") -> Report:
    report = report_request(
        kind=kind,
        format=fmt,
        parameters=PERIOD if parameters is None else parameters,
        requested_by=user,
        language=language,
    )
    return report_generate(report_id=report.pk)


def file_bytes(report: Report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def csv_rows(report: Report) -> list[list[str]]:
    data = file_bytes(report)
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_text(report: Report) -> str:
    reader = PdfReader(io.BytesIO(file_bytes(report)))
    return "\n".join(page.extract_text() for page in reader.pages)


# Per kind: a Chinese column heading, and a cell (column heading -> value) the
# data set fixes, as CSV text.
EXPECTED = {
    "orders": ("订单号", "订单号", lambda d: d["order"].number),
    "stock_valuation": ("在库数量", "SKU", lambda d: "TEA-1"),
    "inventory_turnover": ("仓库", "仓库", lambda d: "SH01"),
    "shipments_carbon": ("发货单号", "碳排放（kg CO2e）", lambda d: "1.234"),
    "tickets_sla": ("工单号", "工单号", lambda d: "TK-REPORT-1"),
    "customer_scores": ("客户编码", "客户编码", lambda d: d["customer"].code),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_kind_generates_csv_xlsx_and_pdf(dataset, kind):
    heading, column, value_of = EXPECTED[kind]
    value = value_of(dataset)

    report = generate(dataset["admin"], kind, "csv")
    assert (report.status, report.progress, report.error) == ("done", 100, "")
    rows = csv_rows(report)
    assert heading in rows[0]
    assert value in [row[rows[0].index(column)] for row in rows[1:]]
    assert report.row_count == report.rows_total == report.rows_done >= 1

    report = generate(dataset["admin"], kind, "xlsx")
    assert report.status == "done"
    book = load_workbook(io.BytesIO(file_bytes(report)))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert heading in header
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert value in [str(cell) for cell in cells]
    with translation.override("zh-hans"):
        title = str(report_kinds.KINDS[kind].label)
    assert book.worksheets[1]["A1"].value == title  # the parameters sheet

    report = generate(dataset["admin"], kind, "pdf")
    assert report.status == "done"
    data = file_bytes(report)
    assert data.startswith(b"%PDF-")
    text = pdf_text(report)
    assert heading in text
    assert value in text


def test_values_and_number_formats(dataset):
    """Stock valuation: on hand x moving-average cost, with a total row; money
    cells formatted as money in XLSX and grouped in the PDF."""
    report = generate(dataset["admin"], "stock_valuation", "xlsx")
    sheet = load_workbook(io.BytesIO(file_bytes(report))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    by_sku = {row[2]: row for row in rows if row[2]}
    assert by_sku["TEA-1"][5] == 7 and by_sku["TEA-1"][9] == Decimal("280.00")
    assert by_sku["CUP-1"][5] == 8 and by_sku["CUP-1"][9] == Decimal("40.00")
    total = rows[-1]
    with translation.override("zh-hans"):
        assert total[0] == gettext("Total")
    assert total[9] == Decimal("320.00")
    assert sheet.cell(row=2, column=10).number_format == "#,##0.00"
    text = pdf_text(generate(dataset["admin"], "stock_valuation", "pdf"))
    assert "280.00" in text and "320.00" in text
    assert "1,234.56" in pdf_text(generate(dataset["admin"], "customer_scores", "pdf"))

    report = generate(dataset["admin"], "orders", "csv", language="en")
    rows = csv_rows(report)
    header, line = rows[0], rows[1]
    assert line[header.index("total")] == "500.00"
    assert line[header.index("units")] == "5"
    assert rows[-1][header.index("total")] == "500.00"  # the total row

    report = generate(dataset["admin"], "tickets_sla", "csv", language="en")
    rows = csv_rows(report)
    header, line = rows[0], rows[1]
    assert line[header.index("hours to first response")] == "2.0"
    assert line[header.index("first response SLA")] == "met"
    assert "包装破损" not in file_bytes(report).decode("utf-8-sig")  # no customer words


def test_the_turnover_report_has_the_kpis_figures(dataset):
    """Inventory turnover comes from the KPI selector: the same figures."""
    from analytics.selectors.kpis import KpiFilter, turnover_rows

    expected = turnover_rows(KpiFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)))
    assert expected
    report = generate(dataset["admin"], "inventory_turnover", "xlsx")
    sheet = load_workbook(io.BytesIO(file_bytes(report))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))[: len(expected)]
    for row, figures in zip(rows, expected, strict=True):
        assert (row[0], row[1] or "") == (figures["warehouse"], figures["category"])
        assert Decimal(str(row[2])) == figures["cogs"]
        if figures["turnover"] is not None:
            assert Decimal(str(row[4])) == figures["turnover"]
    assert generate(
        dataset["admin"], "inventory_turnover", "csv", {**PERIOD, "warehouse": "BJ01"}
    ).row_count == len([r for r in expected if r["warehouse"] == "BJ01"])


def test_pdf_is_capped_with_a_note(dataset, settings):
    settings.ANALYTICS_REPORT_PDF_MAX_ROWS = 1
    report = generate(dataset["admin"], "stock_valuation", "pdf", language="en")
    assert (report.status, report.row_count, report.rows_total, report.truncated) == (
        "done",
        1,
        2,
        True,
    )
    text = pdf_text(report)
    assert "first 1 rows only" in text and "XLSX" in text
    assert "CUP-1" in text and "TEA-1" not in text


def test_the_period_channel_and_warehouse_filter_the_rows(dataset):
    admin = dataset["admin"]
    assert generate(admin, "orders", "csv").row_count == 1
    outside = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    assert generate(admin, "orders", "csv", outside).row_count == 0
    assert generate(admin, "orders", "csv", {**PERIOD, "warehouse": "BJ01"}).row_count == 0
    assert generate(admin, "orders", "csv", {**PERIOD, "warehouse": "SH01"}).row_count == 1
    assert generate(admin, "shipments_carbon", "csv", {**PERIOD, "channel": "WEB"}).row_count == 1
    assert generate(admin, "stock_valuation", "csv", {"warehouse": "BJ01"}).row_count == 0


def test_bad_parameters_are_refused_naming_the_field(dataset):
    admin = dataset["admin"]
    cases = [
        ({"kind": "nope", "format": "csv", "parameters": PERIOD}, "kind"),
        ({"kind": "orders", "format": "doc", "parameters": PERIOD}, "format"),
        ({"kind": "orders", "format": "csv", "parameters": {}}, "date_from"),
        (
            {
                "kind": "orders",
                "format": "csv",
                "parameters": {"date_from": "2026-11-30", "date_to": "2026-11-01"},
            },
            "date_to",
        ),
        ({"kind": "orders", "format": "csv", "parameters": {**PERIOD, "channel": "NO"}}, "channel"),
        (
            {"kind": "orders", "format": "csv", "parameters": {**PERIOD, "warehouse": "NO"}},
            "warehouse",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as caught:
            report_request(requested_by=admin, **kwargs)
        assert caught.value.field == field, kwargs
    assert not Report.objects.exists()


def test_a_role_may_request_only_its_kinds(dataset, make_user):
    dispatcher = make_user("dispatcher")
    with pytest.raises(DomainError) as caught:
        report_request(kind="stock_valuation", format="csv", parameters={}, requested_by=dispatcher)
    assert caught.value.status_code == 403
    report = generate(dispatcher, "shipments_carbon", "csv")
    assert report.status == "done"


# --- Progress and failures ---------------------------------------------------------------


def _watching(monkeypatch, kind: str, seen: list, wrap=None):
    """Make `kind` record the stored progress each time the writer asks for
    a row (so the values written while generating), optionally changing rows."""
    spec = report_kinds.KINDS[kind]

    def generate_rows(params):
        rows = spec.generate(params)

        def watched():
            try:
                for index, row in enumerate(rows):
                    seen.append(Report.objects.values_list("progress", flat=True).get())
                    if wrap is not None:
                        row = wrap(index, row)
                    yield row
            finally:
                rows.close()

        return Rows(rows.total, watched())

    monkeypatch.setitem(
        report_kinds.KINDS,
        kind,
        ReportKindSpec(**{**spec.__dict__, "generate": generate_rows}),
    )


def test_progress_is_recorded_while_generating(dataset, monkeypatch, settings, place, stock):  # noqa: F811
    settings.ANALYTICS_REPORT_PROGRESS_EVERY = 1
    stock("sh", "tea", 20)
    for _n in range(4):
        place(("tea", 1))  # 5 orders in all
    seen: list[int] = []
    _watching(monkeypatch, "orders", seen)
    report = generate(dataset["admin"], "orders", "xlsx")
    assert report.status == "done" and report.rows_total == 5
    assert seen == [0, 18, 36, 54, 72]  # stored before each next row: 90% x rows done / 5
    assert report.progress == 100 and report.rows_done == 5


def test_a_failure_marks_the_report_failed_with_the_error_and_no_file(dataset, monkeypatch):
    def explode(index, row):
        if index == 1:
            raise RuntimeError("database went away")
        return row

    seen: list[int] = []
    _watching(monkeypatch, "stock_valuation", seen, wrap=explode)
    before = set(Path(settings.MEDIA_ROOT).rglob("*"))
    report = generate(dataset["admin"], "stock_valuation", "xlsx")
    assert report.status == "failed"
    assert "database went away" in report.error
    assert not report.file and report.finished_at is not None and report.progress < 100
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == before  # nothing half-written kept
    # A second run of the task leaves it failed.
    assert report_generate(report_id=report.pk).status == "failed"


def test_a_report_is_generated_once_even_if_the_task_runs_twice(dataset):
    report = generate(dataset["admin"], "orders", "csv")
    name = report.file.name
    again = report_generate(report_id=report.pk)
    assert (again.status, again.file.name) == ("done", name)


def test_the_purge_job_deletes_old_files(dataset, frozen_clock):  # noqa: F811
    report = generate(dataset["admin"], "orders", "csv")
    path = Path(report.file.path)
    assert path.exists()
    assert reports_purge() == {"purged": 0, "stuck": 0}
    frozen_clock.advance(days=settings.ANALYTICS_REPORT_RETENTION_DAYS + 1)
    assert reports_purge() == {"purged": 1, "stuck": 0}
    report.refresh_from_db()
    assert not path.exists() and not report.file and report.purged_at is not None
    assert not report.has_file


# --- Pages --------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_new_report_form_offers_the_roles_kinds_and_queues_it(
    dataset, make_user, django_capture_on_commit_callbacks
):
    dispatcher = make_user("dispatcher")
    client = client_for(dispatcher)
    page = client.get(reverse("analytics:report-new"))
    assert page.status_code == 200
    offered = {key for key, _label in page.context["form"].fields["kind"].choices}
    assert offered == {"orders", "shipments_carbon"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("analytics:report-new"),
            {"kind": "shipments_carbon", "format": "xlsx", **PERIOD, "warehouse": "SH01"},
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:report-detail", args=[report.pk])
    assert (report.requested_by, report.status, report.parameters["warehouse"]) == (
        dispatcher,
        "done",
        "SH01",
    )
    # A kind the role may not request is not offered, and refused if posted.
    response = client.post(
        reverse("analytics:report-new"), {"kind": "customer_scores", "format": "csv"}
    )
    assert response.status_code == 400 and Report.objects.count() == 1


def test_the_new_report_form_shows_errors_on_the_field(dataset):
    client = client_for(dataset["admin"])
    with translation.override("en"):
        response = client.post(
            reverse("analytics:report-new"),
            {"kind": "orders", "format": "csv", "date_from": "2026-11-30", "date_to": "2026-11-01"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert response.context["form"].errors["date_to"]
    assert not Report.objects.exists()


def test_the_page_shows_progress_while_running_and_the_download_when_done(dataset):
    admin = dataset["admin"]
    report = report_request(kind="orders", format="xlsx", parameters=PERIOD, requested_by=admin)
    Report.objects.filter(pk=report.pk).update(
        status="running", progress=40, rows_done=400, rows_total=1000
    )
    client = client_for(admin)
    page = client.get(reverse("analytics:report-detail", args=[report.pk])).content.decode()
    progress_url = reverse("analytics:report-progress", args=[report.pk])
    assert 'role="progressbar"' in page and 'aria-valuenow="40"' in page
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 2s"' in page
    assert "report-download" not in page
    fragment = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-valuenow="40"' in fragment and "hx-trigger" in fragment
    assert "400" in fragment and "1000" in fragment

    Report.objects.filter(pk=report.pk).update(status="queued", progress=0)
    report = report_generate(report_id=report.pk)
    fragment = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment  # finished: the polling stops
    assert 'aria-valuenow="100"' in fragment
    assert reverse("analytics:report-download", args=[report.pk]) in fragment


def test_a_failed_report_shows_its_error(dataset):
    admin = dataset["admin"]
    report = report_request(kind="orders", format="csv", parameters=PERIOD, requested_by=admin)
    Report.objects.filter(pk=report.pk).update(
        status="failed", error="超时", finished_at=timezone.now()
    )
    page = client_for(admin).get(reverse("analytics:report-detail", args=[report.pk]))
    body = page.content.decode()
    assert "超时" in body and "hx-trigger" not in body and "report-download" not in body


def test_the_list_shows_my_reports_and_admins_all(dataset, make_user):
    clerk, other = make_user("order_clerk"), make_user("order_clerk")
    mine = generate(clerk, "orders", "csv")
    theirs = generate(other, "orders", "csv")
    url = reverse("analytics:report-list")
    listed = client_for(clerk).get(url).context["object_list"]
    assert [r.pk for r in listed] == [mine.pk]
    listed = client_for(dataset["admin"]).get(url).context["object_list"]
    assert {r.pk for r in listed} == {mine.pk, theirs.pk}
    listed = client_for(dataset["admin"]).get(url, {"status": "failed"}).context["object_list"]
    assert list(listed) == []
    assert client_for(make_user("warehouse")).get(url).status_code == 403


def test_the_report_lists_do_not_query_per_report(dataset, make_user, staff_api):
    """The page and the API list: as many queries for one report as for six."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    analyst = make_user("analyst")
    page, api = client_for(analyst), staff_api("admin")  # an admin's API list has them all
    counts = []
    for reports in (1, 5):
        for _n in range(reports):
            generate(analyst, "orders", "csv")
        with CaptureQueriesContext(connection) as queries:
            assert page.get(reverse("analytics:report-list")).status_code == 200
            assert api.get(API).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_download_to_the_requester_and_admins_only(dataset, make_user):
    clerk = make_user("order_clerk")
    report = generate(clerk, "orders", "xlsx")
    url = reverse("analytics:report-download", args=[report.pk])

    response = client_for(clerk).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert (
        f'filename="orders-20261101-20261130-{report.pk}.xlsx"' in response["Content-Disposition"]
    )
    content = b"".join(response.streaming_content)
    assert load_workbook(io.BytesIO(content)).worksheets[0]["A1"].value == "订单号"
    assert AuditEvent.objects.filter(kind="export", user=clerk).exists()

    assert client_for(dataset["admin"]).get(url).status_code == 200
    assert client_for(make_user("order_clerk")).get(url).status_code == 404  # not theirs
    assert client_for(make_user("warehouse")).get(url).status_code == 403  # no reports
    assert Client().get(url).status_code == 302  # sign in first

    # The requester's role no longer allows the kind (here: never did).
    dispatcher = make_user("dispatcher")
    scores = generate(dataset["admin"], "customer_scores", "csv")
    Report.objects.filter(pk=scores.pk).update(requested_by=dispatcher)
    denied = client_for(dispatcher).get(reverse("analytics:report-download", args=[scores.pk]))
    assert denied.status_code == 403


def test_no_download_before_done(dataset):
    admin = dataset["admin"]
    report = report_request(kind="orders", format="csv", parameters=PERIOD, requested_by=admin)
    url = reverse("analytics:report-download", args=[report.pk])
    assert client_for(admin).get(url).status_code == 404


# --- Schedules -------------------------------------------------------------------------------


def make_schedule(owner, **overrides) -> ReportSchedule:
    values = {
        "name": "每周订单",
        "kind": "orders",
        "format": "xlsx",
        "period": "last_7_days",
        "recipients": "boss@example.com, ops@example.com",
        "frequency": "weekly",
        "at_time": "07:30",
        "weekday": 0,
        "language": "zh-hans",
    }
    values.update(overrides)
    return report_schedule_create(owner=owner, **values)


def test_a_schedule_keeps_its_periodic_task_in_step(dataset, make_user):
    manager = make_user("warehouse_manager")
    schedule = make_schedule(manager, kind="stock_valuation", warehouse="SH01")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "analytics.report_scheduled"
    assert task.enabled and task.name == f"report-schedule-{schedule.pk}"
    assert task.kwargs == f'{{"schedule_id": {schedule.pk}}}'
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, cron.day_of_month) == ("30", "7", "1", "*")
    assert str(cron.timezone) == "Asia/Shanghai"
    assert schedule.recipients == ["boss@example.com", "ops@example.com"]
    assert schedule.parameters == {"warehouse": "SH01"}

    schedule = report_schedule_update(
        schedule=schedule, actor=manager, frequency="monthly", month_day=3, at_time="18:05"
    )
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour) == ("5", "18")
    assert (task.crontab.day_of_week, task.crontab.day_of_month) == ("*", "3")
    assert schedule.weekday is None

    report_schedule_set_enabled(schedule=schedule, enabled=False)
    task.refresh_from_db()
    assert not task.enabled
    report_schedule_set_enabled(schedule=schedule, enabled=True)
    task.refresh_from_db()
    assert task.enabled
    assert PeriodicTask.objects.filter(task="analytics.report_scheduled").count() == 1


def test_schedule_input_is_checked(dataset, make_user):
    manager = make_user("warehouse_manager")
    cases = [
        ({"recipients": "boss@example.com, not-an-address"}, "recipients"),
        ({"recipients": ""}, "recipients"),
        ({"frequency": "weekly", "weekday": None}, "weekday"),
        ({"frequency": "monthly", "month_day": 31}, "month_day"),
        ({"name": " "}, "name"),
        ({"at_time": "25:00"}, "at_time"),
        ({"kind": "customer_scores"}, "kind"),  # not the manager's to request
    ]
    for overrides, field in cases:
        with pytest.raises(DomainError) as caught:
            make_schedule(manager, **overrides)
        assert caught.value.field == field, overrides
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_due_times_and_periods():
    schedule = ReportSchedule(frequency="weekly", weekday=0, at_time=time_of_day(7, 30))
    friday = shanghai(2026, 11, 27, 10, 0)
    assert schedule_last_due(schedule, friday) == shanghai(2026, 11, 23, 7, 30)
    assert schedule_last_due(schedule, shanghai(2026, 11, 23, 7, 29)) == shanghai(
        2026, 11, 16, 7, 30
    )
    schedule.frequency, schedule.month_day = "monthly", 28
    assert schedule_last_due(schedule, friday) == shanghai(2026, 10, 28, 7, 30)
    schedule.frequency = "daily"
    assert schedule_last_due(schedule, friday) == shanghai(2026, 11, 27, 7, 30)
    day = friday.date()
    assert schedule_period("yesterday", day) == (day - timedelta(1), day - timedelta(1))
    assert schedule_period("last_week", day) == (
        shanghai(2026, 11, 16).date(),
        shanghai(2026, 11, 22).date(),
    )
    assert schedule_period("last_month", day) == (
        shanghai(2026, 10, 1).date(),
        shanghai(2026, 10, 31).date(),
    )


def test_a_scheduled_run_mails_the_report_once_per_due_time(dataset, make_user, frozen_clock):  # noqa: F811
    manager = make_user("warehouse_manager", email="mgr@example.com")
    schedule = make_schedule(manager, kind="orders", format="xlsx", period="last_7_days")
    frozen_clock.set(2026, 11, 30, 7, 30, 2)  # beat fires on Monday 07:30
    result = report_scheduled.delay(schedule_id=schedule.pk).get()
    assert result["status"] == "done"
    report = Report.objects.get()
    assert report.due_at == shanghai(2026, 11, 30, 7, 30)
    assert report.parameters["date_from"] == "2026-11-23"
    assert report.parameters["date_to"] == "2026-11-29"
    assert report.row_count == 1  # the order of Friday the 27th
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com", "ops@example.com"]
    assert "每周订单" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert name == f"orders-20261123-20261129-{report.pk}.xlsx" and mimetype == XLSX
    assert load_workbook(io.BytesIO(content)).worksheets[0].max_row >= 2
    assert report.mailed_at is not None

    # Beat fires twice (or the catch-up job runs): no second report, no second mail.
    frozen_clock.advance(seconds=40)
    report_scheduled.delay(schedule_id=schedule.pk).get()
    assert report_schedules_due() == {"started": 0}
    assert Report.objects.count() == 1 and len(mail.outbox) == 1

    # Next week's run is a new one.
    frozen_clock.advance(days=7)
    report_scheduled.delay(schedule_id=schedule.pk).get()
    assert Report.objects.count() == 2 and len(mail.outbox) == 2


def test_a_mail_that_failed_is_sent_by_the_catch_up_job(
    dataset,
    make_user,
    frozen_clock,  # noqa: F811
    monkeypatch,
):
    schedule = make_schedule(make_user("warehouse_manager"))
    frozen_clock.set(2026, 11, 30, 7, 30, 5)
    send = EmailMessage.send
    calls = []

    def flaky(message, *args, **kwargs):
        calls.append(message.subject)
        if len(calls) == 1:
            raise OSError("mail server down")
        return send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with pytest.raises(OSError):
        report_scheduled.delay(schedule_id=schedule.pk)
    report = Report.objects.get()
    assert (report.status, report.mailed_at, len(mail.outbox)) == ("done", None, 0)

    frozen_clock.advance(minutes=15)
    assert report_schedules_due() == {"started": 1}
    report.refresh_from_db()
    assert report.mailed_at is not None and len(mail.outbox) == 1
    assert Report.objects.count() == 1
    assert report_schedules_due() == {"started": 0}


def test_missed_runs_are_caught_up_and_disabled_schedules_skipped(
    dataset,
    make_user,
    frozen_clock,  # noqa: F811
):
    manager = make_user("warehouse_manager")
    frozen_clock.set(2026, 11, 29, 12, 0)
    weekly = make_schedule(manager, name="weekly")
    paused = make_schedule(manager, name="paused", frequency="daily")
    report_schedule_set_enabled(schedule=paused, enabled=False)
    frozen_clock.set(2026, 11, 30, 9, 0)  # beat was down at 07:30
    assert report_schedules_due() == {"started": 1}
    assert list(Report.objects.values_list("schedule__name", "status")) == [("weekly", "done")]
    assert report_schedules_due() == {"started": 0}
    assert len(mail.outbox) == 1
    assert weekly.reports.get().mailed_at is not None


def test_a_schedule_whose_owner_lost_the_kind_fails_and_tells_the_owner(
    dataset,
    make_user,
    frozen_clock,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    manager = make_user("warehouse_manager", email="mgr@example.com")
    schedule = make_schedule(manager, kind="stock_valuation")
    manager.groups.clear()
    frozen_clock.set(2026, 11, 30, 8, 0)
    with django_capture_on_commit_callbacks(execute=True):
        report_scheduled.delay(schedule_id=schedule.pk).get()
    report = Report.objects.get()
    with translation.override("zh-hans"):
        reason = gettext("The schedule's owner may no longer request this kind of report.")
    assert (report.status, report.error, report.file.name) == ("failed", reason, "")
    assert [m.to for m in mail.outbox] == [["mgr@example.com"]]  # the owner, not the list


def test_schedule_pages(dataset, make_user):
    manager = make_user("warehouse_manager")
    client = client_for(manager)
    response = client.post(
        reverse("analytics:report-schedule-new"),
        {
            "name": "库存估值",
            "kind": "stock_valuation",
            "format": "pdf",
            "period": "yesterday",
            "frequency": "daily",
            "at_time": "06:00",
            "recipients": "a@example.com\nb@example.com",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = ReportSchedule.objects.get()
    assert schedule.owner == manager and schedule.periodic_task.enabled
    listing = client.get(reverse("analytics:report-schedule-list"))
    assert [s.pk for s in listing.context["object_list"]] == [schedule.pk]

    edit = reverse("analytics:report-schedule-edit", args=[schedule.pk])
    response = client.post(
        edit,
        {
            "name": "库存估值",
            "kind": "stock_valuation",
            "format": "pdf",
            "period": "yesterday",
            "frequency": "daily",
            "at_time": "06:00",
            "recipients": "a@example.com, oops",
        },
    )
    assert response.status_code == 400 and response.context["form"].errors["recipients"]

    toggle = reverse("analytics:report-schedule-toggle", args=[schedule.pk])
    assert client.post(toggle, {"enabled": "0"}).status_code == 302
    schedule.refresh_from_db()
    assert not schedule.enabled and not schedule.periodic_task.enabled

    # Another manager neither sees nor changes it; an order clerk may not schedule.
    other = client_for(make_user("warehouse_manager"))
    assert other.get(edit).status_code == 404
    assert other.post(toggle, {"enabled": "1"}).status_code == 404
    clerk = client_for(make_user("order_clerk"))
    assert clerk.get(reverse("analytics:report-schedule-new")).status_code == 403
    assert clerk.get(reverse("analytics:report-schedule-list")).status_code == 403


# --- API ---------------------------------------------------------------------------------


API = "/api/v1/reports/"


def test_api_request_poll_and_download(dataset, staff_api, django_capture_on_commit_callbacks):
    client = staff_api("analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(API, {"kind": "orders", "format": "xlsx", **PERIOD}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["status"] == "queued" and body["download_url"] is None

    polled = client.get(body["url"]).json()
    assert (polled["status"], polled["progress"], polled["row_count"]) == ("done", 100, 1)
    download = client.get(polled["download_url"], HTTP_ACCEPT=XLSX)
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.worksheets[0]["A2"].value == dataset["order"].number

    with django_capture_on_commit_callbacks(execute=True):
        pdf = client.post(API, {"kind": "orders", "format": "pdf", **PERIOD}, format="json")
    download = client.get(f"{API}{pdf.json()['id']}/download/")
    assert download["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages
    assert dataset["order"].number in pages[0].extract_text()

    listed = client.get(API, {"status": "done", "file_format": "xlsx"}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert staff_api("order_clerk").get(body["url"]).status_code == 404


def test_api_refusals(dataset, staff_api, integration):
    client = staff_api("analyst")
    response = client.post(API, {"kind": "nope", "format": "csv"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]
    response = client.post(API, {"kind": "orders", "format": "csv"}, format="json")
    assert response.status_code == 400 and "date_from" in response.json()["error"]["fields"]
    response = client.post(
        API, {"kind": "orders", "format": "csv", **PERIOD, "warehouse": "XX"}, format="json"
    )
    assert response.status_code == 400 and "warehouse" in response.json()["error"]["fields"]

    response = staff_api("dispatcher").post(
        API, {"kind": "customer_scores", "format": "csv"}, format="json"
    )
    assert response.status_code == 403
    assert staff_api("warehouse").get(API).status_code == 403

    report = client.post(API, {"kind": "orders", "format": "csv", **PERIOD}, format="json").json()
    response = client.get(f"{API}{report['id']}/download/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "report_not_ready"

    reader = integration("analytics:read")
    assert reader.post(API, {"kind": "orders", "format": "csv", **PERIOD}).status_code == 403
    assert reader.get(API).json()["results"] == []  # not the analyst's reports


def test_an_integration_requests_and_downloads_its_own(
    dataset, integration, django_capture_on_commit_callbacks
):
    client = integration("analytics:read analytics:write")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(API, {"kind": "customer_scores", "format": "csv"}, format="json")
    assert response.status_code == 202, response.content
    report = client.get(response.json()["url"]).json()
    assert report["status"] == "done"
    download = client.get(report["download_url"])
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert dataset["customer"].code in b"".join(download.streaming_content).decode("utf-8-sig")


# --- A real worker -----------------------------------------------------------------------


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_generates_the_report_and_the_page_sees_its_progress(
    make_user, monkeypatch, settings
):
    """The task goes through the Redis broker to a worker on the reports
    queue; the progress it commits as it goes is visible from here (another
    connection) while it runs."""
    from celery.contrib.testing.worker import start_worker

    from erp.celery import app

    settings.ANALYTICS_REPORT_PROGRESS_EVERY = 2
    spec = report_kinds.KINDS["orders"]

    def slow_rows(params):
        def rows():
            for n in range(20):
                time.sleep(0.05)
                yield (
                    f"SO-{n}",
                    "WEB",
                    "",
                    "C1",
                    "王芳",
                    "已签收",
                    None,
                    None,
                    None,
                    "",
                    1,
                    1,
                    Decimal("1"),
                    Decimal("0"),
                    Decimal("0"),
                    Decimal("1"),
                    "CNY",
                    "",
                )

        return Rows(20, rows())

    monkeypatch.setitem(
        report_kinds.KINDS, "orders", ReportKindSpec(**{**spec.__dict__, "generate": slow_rows})
    )
    admin = make_user("admin")
    app.conf.task_always_eager = False
    seen = []
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            report = report_request(
                kind="orders", format="csv", parameters=PERIOD, requested_by=admin
            )
            deadline = time.monotonic() + 30
            client = client_for(admin)
            url = reverse("analytics:report-progress", args=[report.pk])
            while time.monotonic() < deadline:
                report.refresh_from_db()
                if report.status == "running":
                    seen.append(report.progress)
                    page = client.get(url).content.decode()
                    assert 'role="progressbar"' in page
                if report.is_finished:
                    break
                time.sleep(0.05)
    finally:
        app.conf.task_always_eager = True
    assert report.status == "done", report.error
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    assert report.row_count == 20 and report.progress == 100
    response = client_for(admin).get(reverse("analytics:report-download", args=[report.pk]))
    assert b"SO-19" in b"".join(response.streaming_content)
