"""Every staff list exports what its filters show, as CSV or XLSX, and the
download is recorded."""

import csv
import io

import pytest
from openpyxl import load_workbook

from crm.models import Customer
from erp.core.models import AuditEvent
from tests.factories import CustomerFactory


@pytest.mark.django_db
def test_csv_export_follows_the_filters(role_client):
    CustomerFactory.create_batch(3, tier=Customer.Tier.GOLD)
    CustomerFactory(name="王大锤", tier=Customer.Tier.VIP, marketing_consent=True)
    response = role_client("account_manager").get("/crm/customers/?tier=vip&export=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["客户编码", "名称", "类型"]
    assert len(rows) == 2
    assert rows[1][1] == "王大锤" and rows[1][3] == "VIP" and rows[1][-1] == "是"
    assert AuditEvent.objects.filter(kind="export", detail__startswith="csv").exists()


@pytest.mark.django_db
def test_xlsx_export_of_the_stock_list(role_client):
    from inventory.services import stock_receive
    from tests.factories import ProductFactory, WarehouseFactory

    stock_receive(
        warehouse=WarehouseFactory(code="SH01"), product=ProductFactory(sku="TEA-1"), quantity=7
    )
    response = role_client("warehouse").get(
        "/inventory/stock/?export=xlsx", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("SKU", "name", "warehouse", "on hand")
    assert rows[1][0] == "TEA-1" and rows[1][3] == 7


@pytest.mark.django_db
def test_export_needs_the_same_permission_as_the_list(role_client):
    assert role_client("warehouse").get("/crm/customers/?export=csv").status_code == 403


@pytest.mark.django_db
def test_list_exports_keep_formulas_as_text(role_client):
    CustomerFactory(name='=HYPERLINK("http://evil.example","点我")', tier=Customer.Tier.VIP)
    response = role_client("account_manager").get("/crm/customers/?tier=vip&export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","点我")'
    book = load_workbook(
        io.BytesIO(
            role_client("account_manager").get("/crm/customers/?tier=vip&export=xlsx").content
        )
    )
    assert book.active["B2"].value.startswith("'=HYPERLINK")
