"""Imports: a preview shows every row's fate and writes nothing; a file without
errors is imported through the services; rows of one order form one order."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from inventory.models import Product, StockLevel, StockMove
from orders.models import Order, OrderLine
from tests.factories import ProductFactory, SalesChannelFactory, WarehouseFactory


def csv_file(text: str, name="data.csv"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


def preview(client, kind, upload):
    response = client.post(f"/imports/{kind}/", {"file": upload})
    assert response.status_code == 200
    return response


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db
def test_product_import_preview_then_confirm(role_client):
    ProductFactory(sku="OLD-1", name="旧名字")
    client = role_client("warehouse")
    upload = csv_file(
        "sku,name,barcode,list_price,reorder_point\n"
        "new-1,新品一,6901234567892,99.00,10\n"
        "OLD-1,新名字,,,\n"
    )
    response = preview(client, "products", upload)
    body = response.content.decode()
    assert 'id="confirm-import"' in body
    assert Product.objects.count() == 1  # the preview wrote nothing
    assert Product.objects.get(sku="OLD-1").name == "旧名字"
    done = client.post("/imports/products/", {"token": token_of(response)})
    assert done.status_code == 302
    assert Product.objects.get(sku="NEW-1").list_price == 99
    assert Product.objects.get(sku="OLD-1").name == "新名字"


@pytest.mark.django_db
def test_rows_with_errors_are_named_and_block_the_import(role_client):
    client = role_client("warehouse")
    upload = csv_file(
        "sku,name,barcode,list_price\nA-1,好的,,10\nA-2,坏条码,123,10\nA-3,负价格,,-1\n"
    )
    body = preview(client, "products", upload).content.decode()
    assert 'id="confirm-import"' not in body
    assert body.count("table-danger") == 2
    assert (
        "<td>3</td>" in body and "<td>4</td>" in body and "barcode" in body and "list_price" in body
    )
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_stock_import_from_xlsx_books_receipts(role_client):
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
    response = preview(client, "stock", SimpleUploadedFile("stock.xlsx", data.getvalue()))
    assert not StockMove.objects.exists()
    client.post("/imports/stock/", {"token": token_of(response)})
    assert StockLevel.objects.get().on_hand == 35
    assert StockMove.objects.filter(kind="receipt").count() == 2


@pytest.mark.django_db
def test_order_import_groups_lines_and_never_doubles(role_client):
    SalesChannelFactory(code="TMALL")
    ProductFactory(sku="TEA-1")
    ProductFactory(sku="CUP-1")
    text = (
        "channel,external_ref,customer_name,phone,city,street,sku,quantity,unit_price\n"
        "TMALL,TM-1,王芳,13800138000,上海市,世纪大道100号,TEA-1,2,168\n"
        "TMALL,TM-1,,,,,CUP-1,4,18\n"
        "TMALL,TM-2,李雷,13900000000,北京市,长安街1号,TEA-1,1,168\n"
    )
    client = role_client("order_clerk")
    response = preview(client, "orders", csv_file(text))
    assert "<td>2, 3</td>" in response.content.decode()  # one order from two rows
    client.post("/imports/orders/", {"token": token_of(response)})
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
    again = preview(client, "orders", csv_file(text)).content.decode()
    assert again.count("badge text-bg-secondary") == 2  # both already there
    client.post("/imports/orders/", {"token": token_of(preview(client, "orders", csv_file(text)))})
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_bad_files_and_permissions(role_client):
    client = role_client("warehouse")
    body = preview(client, "products", SimpleUploadedFile("x.txt", b"hello")).content.decode()
    assert 'id="file-error"' in body
    body = preview(client, "products", csv_file("name\nx\n")).content.decode()
    assert "sku" in body and 'id="file-error"' in body
    assert role_client("order_clerk").get("/imports/products/").status_code == 403
    assert role_client("warehouse").get("/imports/orders/").status_code == 403
    assert client.get("/imports/nope/").status_code == 404
    template = client.get("/imports/products/template.csv")
    assert template.content.decode("utf-8").lstrip("\ufeff").startswith("sku,name,barcode")


@pytest.mark.django_db
def test_an_expired_preview_cannot_be_confirmed(role_client):
    response = role_client("warehouse").post("/imports/products/", {"token": "forged"})
    assert response.status_code == 302
    assert not Product.objects.exists()
