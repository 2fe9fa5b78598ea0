"""Import pages: a file is uploaded, imported in the background (a dry run by
default), and its job page shows every row's fate; a dry run writes nothing
and can then be imported for real; rows of one order form one order."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from erp.core.models import TransferJob
from inventory.models import Product, StockLevel, StockMove
from orders.models import Order, OrderLine
from tests.factories import ProductFactory, SalesChannelFactory, WarehouseFactory


def csv_file(text: str, name="data.csv"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


@pytest.fixture
def role_client(role_client):
    """Pages in English, so the tests read what a user reads."""

    def make(role):
        client = role_client(role)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a file on the import page; the job runs (Celery eager) on commit.
    Returns the job page's response."""

    def run(client, kind, file, dry_run=True):
        data = {"file": file, **({"dry_run": "on"} if dry_run else {})}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/imports/{kind}/", data)
        if response.status_code != 302:
            return response
        return client.get(response["Location"])

    return run


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def run(client, page):
        action = re.search(r'action="(/imports/jobs/\d+/import/)"', page.content.decode()).group(1)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(action)
        assert response.status_code == 302
        return client.get(response["Location"])

    return run


@pytest.mark.django_db
def test_product_import_dry_run_then_confirm(role_client, upload, confirm):
    ProductFactory(sku="OLD-1", name="旧名字")
    client = role_client("warehouse")
    page = upload(
        client,
        "products",
        csv_file(
            "sku,name,barcode,list_price,reorder_point\n"
            "new-1,新品一,6901234567892,99.00,10\n"
            "OLD-1,新名字,,,\n"
        ),
    )
    body = page.content.decode()
    assert 'id="confirm-import"' in body and 'id="dry-run-badge"' in body
    assert "1 to create, 1 to update, 0 already there" in body
    assert Product.objects.count() == 1  # the dry run wrote nothing
    assert Product.objects.get(sku="OLD-1").name == "旧名字"
    done = confirm(client, page).content.decode()
    assert "1 created, 1 updated, 0 already there" in done
    assert Product.objects.get(sku="NEW-1").list_price == 99
    assert Product.objects.get(sku="OLD-1").name == "新名字"


@pytest.mark.django_db
def test_rows_with_errors_are_named_and_the_valid_rows_imported(role_client, upload):
    client = role_client("warehouse")
    text = "sku,name,barcode,list_price\nA-1,好的,,10\nA-2,坏条码,123,10\nA-3,负价格,,-1\n"
    body = upload(client, "products", csv_file(text)).content.decode()
    assert body.count("table-danger") == 4  # both in the errors table and the first rows
    assert "<td>3</td>" in body and "<td>4</td>" in body
    assert "barcode" in body and "list_price" in body
    assert not Product.objects.exists()
    # A real run: all or nothing per row, not per file.
    body = upload(client, "products", csv_file(text), dry_run=False).content.decode()
    assert "1 created, 0 updated" in body and "2 errors" in body
    assert list(Product.objects.values_list("sku", flat=True)) == ["A-1"]
    assert 'id="download-errors"' in body
    job = TransferJob.objects.latest("pk")
    errors = client.get(f"/imports/jobs/{job.pk}/errors/")
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "row,column,error"
    assert text.splitlines()[1].startswith("3,barcode,")


@pytest.mark.django_db
def test_stock_import_from_xlsx_books_receipts(role_client, upload, confirm):
    WarehouseFactory(code="SH01")
    ProductFactory(sku="TEA-1")
    book = Workbook()
    sheet = book.active
    sheet.append(["warehouse", "sku", "quantity", "unit_cost", "reference"])
    sheet.append(["SH01", "TEA-1", 30, 12.5, "OPENING"])
    sheet.append(["SH01", "TEA-1", 5, None, "PO-1"])
    data = io.BytesIO()
    book.save(data)
    client = role_client("warehouse")
    page = upload(client, "stock", SimpleUploadedFile("stock.xlsx", data.getvalue()))
    assert not StockMove.objects.exists()
    confirm(client, page)
    assert StockLevel.objects.get().on_hand == 35
    assert StockMove.objects.filter(kind="receipt").count() == 2


ORDERS = (
    "channel,external_ref,customer_name,phone,city,street,sku,quantity,unit_price\n"
    "TMALL,TM-1,王芳,13800138000,上海市,世纪大道100号,TEA-1,2,168\n"
    "TMALL,TM-1,,,,,CUP-1,4,18\n"
    "TMALL,TM-2,李雷,13900000000,北京市,长安街1号,TEA-1,1,168\n"
)


@pytest.mark.django_db
def test_order_import_groups_lines_and_never_doubles(role_client, upload, confirm):
    SalesChannelFactory(code="TMALL")
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="CUP-1")
    client = role_client("order_clerk")
    page = upload(client, "orders", csv_file(ORDERS))
    assert "<td>2, 3</td>" in page.content.decode()  # one order from two rows
    confirm(client, page)
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
    again = upload(client, "orders", csv_file(ORDERS), dry_run=False).content.decode()
    assert "0 created, 0 updated, 2 already there" in again
    assert again.count("badge text-bg-secondary") == 2
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_rows_of_one_order_split_apart_are_refused_not_half_imported(role_client, upload):
    SalesChannelFactory(code="TMALL")
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="CUP-1")
    text = (
        "channel,external_ref,customer_name,phone,city,street,sku,quantity,unit_price\n"
        "TMALL,TM-1,王芳,13800138000,上海市,世纪大道100号,TEA-1,2,168\n"
        "TMALL,TM-2,李雷,13900000000,北京市,长安街1号,TEA-1,1,168\n"
        "TMALL,TM-1,,,,,CUP-1,4,18\n"
    )
    body = upload(role_client("order_clerk"), "orders", csv_file(text), dry_run=False)
    body = body.content.decode()
    assert "2 created" in body and "1 error" in body
    assert "this order began at row 2" in body
    assert OrderLine.objects.filter(order__external_ref="TM-1").count() == 1


@pytest.mark.django_db
def test_bad_files_and_permissions(role_client, upload):
    client = role_client("warehouse")
    body = upload(client, "products", SimpleUploadedFile("x.txt", b"hello")).content.decode()
    assert 'id="file-error"' in body and ".csv" in body
    assert not TransferJob.objects.exists()
    body = upload(client, "products", csv_file("name\nx\n")).content.decode()
    assert 'id="job-error"' in body and "Missing columns: sku" in body
    body = upload(client, "products", SimpleUploadedFile("x.xlsx", b"not a zip")).content.decode()
    assert 'id="job-error"' in body and "could not be read" in body
    assert role_client("order_clerk").get("/imports/products/").status_code == 403
    assert role_client("warehouse").get("/imports/orders/").status_code == 403
    assert client.get("/imports/nope/").status_code == 404
    template = client.get("/imports/products/template.csv")
    assert template.content.decode("utf-8").lstrip("\ufeff").startswith("sku,name,barcode")
    # Jobs are private: another user gets 404, and a role without the kind 403.
    job = TransferJob.objects.first()
    assert role_client("warehouse").get(f"/imports/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/imports/jobs/{job.pk}/").status_code == 200
    assert role_client("admin").get(f"/imports/jobs/{job.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_dry_run_of_someone_else_cannot_be_confirmed(role_client, upload):
    client = role_client("warehouse")
    upload(client, "products", csv_file("sku,name\nA-1,好的\n"))
    job = TransferJob.objects.get()
    response = role_client("warehouse").post(f"/imports/jobs/{job.pk}/import/")
    assert response.status_code == 404
    assert not Product.objects.exists()
    assert TransferJob.objects.count() == 1
