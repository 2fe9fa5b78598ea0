"""Bulk import and export jobs over the API and the export pages: 202 and a
job to poll, per-row errors with row numbers, a dry run that changes
nothing, XLSX read streaming, permissions and scopes, and every kind's export
importing again."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from crm.models import Customer
from erp.core.api.transfers import KINDS
from erp.core.models import TransferJob
from erp.core.transfers import exporters, importers, open_table, transfer_progress
from inventory.models import Product, StockLevel
from inventory.services import stock_receive
from orders.models import Order, OrderLine
from orders.services import order_create
from orders.services.intake import LineInput
from tests.factories import (
    ProductFactory,
    SalesChannelFactory,
    WarehouseFactory,
)


def csv_upload(text: str, name="data.csv"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


def file_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Call the API; jobs queued by the call run (Celery eager) on commit."""

    def call(method, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return method(*args, **kwargs)

    return call


def test_registry_matches_the_api_kinds():
    assert set(importers()) == set(exporters()) == set(KINDS)


@pytest.mark.django_db
def test_import_over_the_api_reports_row_errors_and_writes_valid_rows(staff_api, run_jobs):
    api = staff_api("warehouse")
    text = "sku,name,list_price\nA-1,好的,10\nA-2,,10\nA-3,负价格,-1\nA-4,也好,5\n"
    response = run_jobs(
        api.post,
        "/api/v1/imports/",
        {"kind": "products", "file": csv_upload(text), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/api/v1/imports/{response.json()['id']}")
    job = api.get(response["Location"]).json()
    assert job["status"] == "done" and job["progress"] == 100
    assert job["rows_total"] == job["rows_done"] == 4
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "errors": 2}
    assert [(e["rows"], list(e["errors"])) for e in job["row_errors"]] == [
        ([3], ["name"]),
        ([4], ["list_price"]),
    ]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["A-1", "A-4"]
    report = file_bytes(api.get(job["download_url"])).decode("utf-8-sig").splitlines()
    assert len(report) == 5 and report[1] == "2,created,A-1" and report[2].startswith("3,error,")
    errors = file_bytes(api.get(job["errors_url"])).decode("utf-8-sig").splitlines()
    assert errors[1].startswith("3,name,")


@pytest.mark.django_db
def test_a_dry_run_leaves_the_database_unchanged(staff_api, run_jobs):
    SalesChannelFactory(code="TMALL")
    ProductFactory(sku="TEA-1", name="旧名字")
    text = (
        "channel,external_ref,customer_name,phone,city,street,sku,quantity,unit_price\n"
        "TMALL,TM-1,王芳,13800138000,上海市,世纪大道100号,TEA-1,2,168\n"
        "TMALL,TM-2,李雷,13900000000,北京市,长安街1号,NOPE,1,168\n"
    )
    counts = (Order.objects.count(), OrderLine.objects.count(), Customer.objects.count())
    api = staff_api("order_clerk")
    response = run_jobs(
        api.post,
        "/api/v1/imports/",
        {"kind": "orders", "file": csv_upload(text), "dry_run": "true"},
        format="multipart",
    )
    job = api.get(response["Location"]).json()
    assert job["status"] == "done" and job["dry_run"] is True
    assert job["counts"]["created"] == 1 and job["counts"]["errors"] == 1
    assert job["row_errors"][0]["rows"] == [3]
    assert "lines[0].sku" in job["row_errors"][0]["errors"]
    assert (Order.objects.count(), OrderLine.objects.count(), Customer.objects.count()) == counts


@pytest.mark.django_db
def test_xlsx_is_read_streaming_in_read_only_mode(tmp_path, monkeypatch):
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Name", "List_price", "Barcode"])
    sheet.append(["X-1", "一", 12.5, 6901234567892])
    sheet.append([None, None, None, None])  # an empty row is skipped, numbers stay true
    sheet.append(["X-2", "二", 3, None])
    path = tmp_path / "p.xlsx"
    book.save(path)
    import openpyxl

    modes = []
    real = openpyxl.load_workbook

    def spy(*args, **kwargs):
        modes.append(kwargs.get("read_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    with open_table(str(path), "xlsx") as (headers, rows):
        assert headers == ["sku", "name", "list_price", "barcode"]
        assert not isinstance(rows, list)  # an iterator: rows come one at a time
        assert list(rows) == [
            (2, {"sku": "X-1", "name": "一", "list_price": "12.5", "barcode": "6901234567892"}),
            (4, {"sku": "X-2", "name": "二", "list_price": "3", "barcode": ""}),
        ]
    assert modes == [True]


@pytest.mark.django_db
def test_progress_is_visible_while_running(staff_api, run_jobs, monkeypatch):
    """Batches of 2: after each batch the job's rows_done moves on (a real run
    writes it to the job row, a dry run to the cache)."""
    from django.test import override_settings

    seen = []
    api = staff_api("warehouse")
    text = "sku,name\n" + "".join(f"P-{n},产品{n}\n" for n in range(7))

    from erp.core import imports

    original = imports._write_unit

    def spy(importer, numbers, unit, *, actor):
        job = TransferJob.objects.latest("pk")
        seen.append((job.status, transfer_progress(job), job.rows_total))
        return original(importer, numbers, unit, actor=actor)

    monkeypatch.setattr(imports, "_write_unit", spy)
    for dry_run in ("false", "true"):
        seen.clear()
        with override_settings(TRANSFER_BATCH_SIZE=2):
            run_jobs(
                api.post,
                "/api/v1/imports/",
                {"kind": "products", "file": csv_upload(text), "dry_run": dry_run},
                format="multipart",
            )
        assert [s[1] for s in seen] == [0, 0, 2, 2, 4, 4, 6]
        assert {s[0] for s in seen} == {"running"} and {s[2] for s in seen} == {7}


@pytest.mark.django_db
def test_bad_requests_are_4xx_in_the_house_format(staff_api, run_jobs):
    api = staff_api("warehouse")
    response = api.post("/api/v1/imports/", {"kind": "products"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    response = api.post(
        "/api/v1/imports/",
        {"kind": "nope", "file": csv_upload("a\n1\n")},
        format="multipart",
    )
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]
    response = api.post(
        "/api/v1/imports/",
        {"kind": "products", "file": SimpleUploadedFile("x.txt", b"hi")},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    response = api.post("/api/v1/imports/", {"kind": "products"}, format="json")
    assert response.status_code == 400
    # A file that cannot be read fails the job, with the reason.
    response = run_jobs(
        api.post,
        "/api/v1/imports/",
        {"kind": "products", "file": csv_upload("name\nx\n")},
        format="multipart",
    )
    job = api.get(response["Location"]).json()
    assert job["status"] == "failed" and "sku" in job["error"]
    report = api.get(f"/api/v1/imports/{job['id']}/report/")
    assert report.status_code == 409 and report.json()["error"]["code"] == "job_not_ready"
    response = api.post("/api/v1/exports/", {"kind": "products", "format": "pdf"}, format="json")
    assert response.status_code == 400 and "format" in response.json()["error"]["fields"]
    response = api.post(
        "/api/v1/exports/",
        {"kind": "stock", "filters": {"warehouse": "NOPE"}},
        format="json",
    )
    assert response.status_code == 400 and "filters" in response.json()["error"]["fields"]
    assert api.get("/api/v1/imports/999999/").status_code == 404


@pytest.mark.django_db
def test_permissions_and_scopes(staff_api, integration, run_jobs, client):
    assert client.get("/api/v1/imports/").status_code == 401
    assert (
        client.post("/api/v1/exports/", {"kind": "products"}, "application/json").status_code == 401
    )
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    # A role without the kind's permission: 403 (the order clerk may not import products).
    clerk = staff_api("order_clerk")
    assert clerk.post("/api/v1/imports/", body, format="multipart").status_code == 403
    assert staff_api("aftersales_agent").get("/api/v1/imports/").status_code == 403
    # A token needs transfers:write AND the data's own scope.
    no_transfers = integration("inventory:write inventory:read")
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    assert no_transfers.post("/api/v1/imports/", body, format="multipart").status_code == 403
    no_data = integration("transfers:write transfers:read orders:write")
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    denied = no_data.post("/api/v1/imports/", body, format="multipart")
    assert denied.status_code == 403 and "inventory:write" in denied.json()["error"]["message"]
    read_only = integration("transfers:read inventory:write")
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    assert read_only.post("/api/v1/imports/", body, format="multipart").status_code == 403
    full = integration("transfers:write transfers:read inventory:write")
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    response = run_jobs(full.post, "/api/v1/imports/", body, format="multipart")
    assert response.status_code == 202
    assert full.get(response["Location"]).json()["counts"]["created"] == 1
    # Jobs are private to whoever started them (admins see all).
    job_url = response["Location"]
    assert staff_api("warehouse").get(job_url).status_code == 404
    assert staff_api("admin").get(job_url).status_code == 200
    assert [j["id"] for j in full.get("/api/v1/imports/").json()["results"]] == [
        int(job_url.rstrip("/").rsplit("/", 1)[1])
    ]
    assert staff_api("warehouse").get("/api/v1/imports/").json()["results"] == []


def _export(api, run_jobs, kind, fmt="csv", filters=None):
    response = run_jobs(
        api.post,
        "/api/v1/exports/",
        {"kind": kind, "format": fmt, "filters": filters or {}},
        format="json",
    )
    assert response.status_code == 202, response.content
    job = api.get(response["Location"]).json()
    assert job["status"] == "done", job
    download = api.get(job["download_url"])
    assert download.status_code == 200
    return job, file_bytes(download)


def _import(api, run_jobs, kind, content: bytes, name: str):
    response = run_jobs(
        api.post,
        "/api/v1/imports/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    return api.get(response["Location"]).json()


@pytest.mark.django_db
def test_products_export_round_trips(staff_api, run_jobs):
    ProductFactory(sku="TEA-1", name="龙井", list_price="168.00", category="茶叶")
    ProductFactory(sku="CUP-1", name="=杯子", list_price="18.50", category="器具")
    api = staff_api("admin")
    job, content = _export(api, run_jobs, "products", "xlsx", {"category": "茶叶"})
    assert job["rows_total"] == 1
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())][:2] == ["sku", "name"]
    job, content = _export(api, run_jobs, "products", "csv")
    assert "'=杯子" in content.decode("utf-8-sig")  # never a formula
    again = _import(api, run_jobs, "products", content, "products.csv")
    assert again["row_errors"] == []
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "errors": 0}
    Product.objects.all().delete()
    fresh = _import(api, run_jobs, "products", content, "products.csv")
    assert fresh["counts"]["created"] == 2
    cup = Product.objects.get(sku="CUP-1")
    assert (cup.name, str(cup.list_price), cup.category) == ("=杯子", "18.50", "器具")


@pytest.mark.django_db
def test_stock_export_round_trips_into_an_empty_stock(staff_api, run_jobs):
    warehouse = WarehouseFactory(code="SH01")
    tea, cup = ProductFactory(sku="TEA-1"), ProductFactory(sku="CUP-1")
    stock_receive(warehouse=warehouse, product=tea, quantity=30, reference="PO-1")
    stock_receive(warehouse=warehouse, product=cup, quantity=5, reference="PO-2")
    api = staff_api("admin")
    _job, content = _export(api, run_jobs, "stock", "xlsx")
    before = sorted(StockLevel.objects.values_list("product__sku", "on_hand"))
    from inventory.models import StockMove

    StockMove.objects.all().delete()
    StockLevel.objects.all().delete()
    job = _import(api, run_jobs, "stock", content, "stock.xlsx")
    assert job["counts"]["created"] == 2 and job["counts"]["errors"] == 0
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand")) == before


@pytest.mark.django_db
def test_customers_export_round_trips_and_import_never_duplicates(staff_api, run_jobs):
    api = staff_api("admin")
    text = (
        "code,name,kind,phone,email,city,province,street\n"
        ",王芳,person,138 0013 8000,WF@example.cn,上海市,上海市,世纪大道100号\n"
        "VIP-1,李雷,person,13900000000,,,,\n"
        ",王芳,person,+86 13800138000,,,,\n"  # the same phone: updated, not a second customer
        ",无联系方式,person,,,,,\n"
    )
    job = _import(api, run_jobs, "customers", csv_upload(text).read(), "c.csv")
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 1, "errors": 1}
    assert job["row_errors"][0]["rows"] == [5] and "phone" in job["row_errors"][0]["errors"]
    wang = Customer.objects.get(phone="13800138000")
    assert wang.email == "wf@example.cn" and wang.default_address.street == "世纪大道100号"
    _job, content = _export(api, run_jobs, "customers", "csv")
    again = _import(api, run_jobs, "customers", content, "customers.csv")
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "errors": 0}
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_orders_export_round_trips(staff_api, run_jobs):
    channel = SalesChannelFactory(code="TMALL")
    tea, cup = ProductFactory(sku="TEA-1"), ProductFactory(sku="CUP-1")
    address = {"recipient": "王芳", "phone": "13800138000", "province": "上海市",
               "city": "上海市", "district": "浦东新区", "street": "世纪大道100号"}  # fmt: skip
    order, _created = order_create(
        channel=channel,
        external_ref="TM-1",
        customer={"name": "王芳", "phone": "13800138000", "email": ""},
        shipping_address=address,
        shipping_total=Decimal("12.00"),
        lines=[
            LineInput(product=tea, quantity=2, unit_price=Decimal(168), discount=Decimal(10)),
            LineInput(product=cup, quantity=4, unit_price=Decimal(18), discount=Decimal(0)),
        ],
    )
    api = staff_api("admin")
    job, _content = _export(api, run_jobs, "orders", "csv", {"status": "confirmed"})
    assert job["rows_total"] == 0
    job, content = _export(
        api, run_jobs, "orders", "csv", {"channel": "TMALL", "status": "pending"}
    )
    assert job["rows_total"] == job["rows_done"] == 2
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("channel,external_ref,customer_name")
    again = _import(api, run_jobs, "orders", content, "orders.csv")
    assert again["row_errors"] == []
    assert again["counts"]["unchanged"] == 1  # the same channel order is never doubled
    expected = sorted(order.lines.values_list("sku", "quantity", "discount"))
    Order.objects.all().delete()
    fresh = _import(api, run_jobs, "orders", content, "orders.csv")
    assert fresh["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "errors": 0}
    copy = Order.objects.get()
    assert (copy.external_ref, copy.total, copy.shipping_address["district"]) == (
        "TM-1",
        order.total,
        "浦东新区",
    )
    assert sorted(copy.lines.values_list("sku", "quantity", "discount")) == expected


@pytest.mark.django_db
def test_export_page_queues_a_job_with_the_list_filters(
    role_client, make_user, django_capture_on_commit_callbacks
):
    ProductFactory(sku="TEA-1", category="茶叶")
    ProductFactory(sku="CUP-1", category="器具")
    client = role_client("warehouse")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/exports/?kind=products&category=茶叶")
    body = page.content.decode()
    assert page.status_code == 200 and 'name="filter_category" value="茶叶"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/exports/", {"kind": "products", "format": "csv", "filter_category": "茶叶"}
        )
    assert response.status_code == 302
    job_page = client.get(response["Location"]).content.decode()
    assert 'id="download-export"' in job_page and "1 row" in job_page
    job = TransferJob.objects.get()
    content = file_bytes(client.get(f"/imports/jobs/{job.pk}/result/")).decode("utf-8-sig")
    assert "TEA-1" in content and "CUP-1" not in content
    nobody = Client()
    nobody.force_login(make_user())  # no role: no kind to export
    assert nobody.get("/exports/").status_code == 403
    assert nobody.get("/imports/jobs/").status_code == 403
    assert Client().get("/exports/").status_code == 302  # to sign in
    listing = client.get("/imports/jobs/").content.decode()
    assert f"/imports/jobs/{job.pk}/" in listing
    empty = role_client("warehouse")
    assert 'id="empty-state"' in empty.get("/imports/jobs/").content.decode()
    assert client.get("/imports/jobs/").status_code == 200


# --- Review fixes -------------------------------------------------------------------


@pytest.mark.django_db
def test_exports_neutralise_every_formula_start_and_import_it_back(staff_api, run_jobs):
    """Review fix: only = and @ were quoted; + and - (and tab, CR) start
    formulas too (CSV injection, e.g. "+cmd|' /C calc'!A0"). Exported after
    a quote, in CSV and XLSX; imported again without it."""
    from tests.factories import CustomerFactory

    names = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(1)", "普通"]
    for name in names:
        CustomerFactory(name=name, note="-note")
    api = staff_api("admin")
    _job, content = _export(api, run_jobs, "customers", "csv")
    text = content.decode("utf-8-sig")
    for name in names[:4]:
        assert f"'{name}" in text or f"\"'{name}" in text
    assert ",-note" not in text and "'-note" in text
    _job, content = _export(api, run_jobs, "customers", "xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(cells) == sorted(f"'{n}" if n != "普通" else n for n in names)
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row[:2])
    again = _import(api, run_jobs, "customers", content, "customers.xlsx")
    assert again["counts"]["unchanged"] == len(names), again
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(names)


def test_an_xlsx_that_unpacks_too_large_is_refused(tmp_path, settings):
    """Review fix: an XLSX is a zip; one that unpacks to gigabytes (a zip
    bomb) is refused before openpyxl reads it."""
    from django.utils.translation import override

    from erp.core.imports import ImportFileError

    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name"])
    for n in range(3000):
        sheet.append([f"A-{n}", "x" * 200])
    path = tmp_path / "big.xlsx"
    book.save(path)
    settings.TRANSFER_MAX_XLSX_UNPACKED_MB = 0  # anything is too large
    with (
        override("en"),
        pytest.raises(ImportFileError, match="unpacks to more than"),
        open_table(str(path), "xlsx") as (_headers, rows),
    ):
        list(rows)
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with (
        pytest.raises(ImportFileError, match="not a zip file"),
        open_table(str(tmp_path / "fake.xlsx"), "xlsx") as (_headers, rows),
    ):
        list(rows)


def test_an_xlsx_claiming_16384_columns_is_read_only_as_wide_as_needed(tmp_path):
    """Review fix: a row with a cell in column XFD made openpyxl build every
    row 16,384 cells wide (CPU and memory for nothing)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name"])
    sheet.append(["X-1", "一"])
    sheet.cell(row=2, column=16384, value="far away")
    path = tmp_path / "wide.xlsx"
    book.save(path)
    import openpyxl.worksheet._read_only as read_only

    widths = []
    real = read_only.ReadOnlyWorksheet._get_row

    def spy(self, row, min_col=1, max_col=None, values_only=False):
        result = real(self, row, min_col, max_col, values_only)
        widths.append(len(result))
        return result

    read_only.ReadOnlyWorksheet._get_row = spy
    try:
        with open_table(str(path), "xlsx") as (headers, rows):
            assert headers == ["sku", "name"]
            assert list(rows) == [(2, {"sku": "X-1", "name": "一"})]
    finally:
        read_only.ReadOnlyWorksheet._get_row = real
    assert max(widths) <= 200


@pytest.mark.django_db
def test_a_database_error_in_one_row_is_that_rows_error(monkeypatch):
    """Review fix: an IntegrityError (e.g. the same SKU written at that moment
    by another import) broke the whole batch - rows already reported as
    created were rolled back and the job failed. Now it is the row's error."""
    from erp.core.imports import import_run

    importer = importers()["products"]()
    real = importer.write

    def write(row, *, actor):
        if row["sku"] == "B-2":
            Product.objects.create(sku="B-1", name="dup")  # IntegrityError: SKU taken
        return real(row, actor=actor)

    importer.write = write
    rows = [(2, {"sku": "B-1", "name": "一"}), (3, {"sku": "B-2", "name": "二"})]
    rows.append((4, {"sku": "B-3", "name": "三"}))
    results = import_run(importer=importer, rows=iter(rows), actor=None, dry_run=False)
    assert [r.outcome for r in results] == ["created", "error", "created"]
    assert list(results[1].errors) == ["row"]
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["B-1", "B-3"]


@pytest.mark.django_db
def test_a_job_is_read_only_with_the_kinds_permission_or_scope(
    staff_api, integration, run_jobs, make_user
):
    """Review fix: a job and its file (customers, orders) were readable with
    `transfers:read` alone, or by a user whose role lost the kind."""
    from django.contrib.auth.models import Group
    from oauth2_provider.models import AccessToken

    from tests.factories import CustomerFactory

    CustomerFactory(name="秘密客户")
    full = integration("transfers:write transfers:read crm:read")
    job, content = _export(full, run_jobs, "customers", "csv")
    assert "秘密客户" in content.decode("utf-8-sig")
    # The job handed to a token holding transfers:read but not crm:read.
    only_transfers = integration("transfers:read")
    owner = AccessToken.objects.latest("pk").application.user  # the last token: this one
    TransferJob.objects.filter(pk=job["id"]).update(created_by=owner)
    for url in (job["url"], job["download_url"]):
        denied = only_transfers.get(url)
        assert denied.status_code == 403, url
        assert "crm:read" in denied.json()["error"]["message"]
    # An import job's report: the kind's write scope is enough (who ran it).
    writer = integration("transfers:write transfers:read inventory:write")
    body = {"kind": "products", "file": csv_upload("sku,name\nA-1,好\n")}
    started = run_jobs(writer.post, "/api/v1/imports/", body, format="multipart")
    assert writer.get(started["Location"]).status_code == 200
    # A staff user whose role no longer allows customers: 403 on job and file.
    user = make_user("account_manager")
    api = staff_api("analyst")
    api.force_login(user)
    job, _content = _export(api, run_jobs, "customers", "csv")
    user.groups.set(Group.objects.filter(name="warehouse"))
    api.force_login(type(user).objects.get(pk=user.pk))
    assert api.get(job["url"]).status_code == 403
    assert api.get(job["download_url"]).status_code == 403
    assert api.get("/api/v1/exports/").status_code == 200  # still lists (inventory exports)
