"""A warehouse clerk dry-runs a products file, sees the row with an error,
imports the valid rows, and exports the catalogue in the background."""

import pytest
from playwright.sync_api import expect

from inventory.models import Product
from tests.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_dry_run_then_import_then_export(page, live_server, sign_in, shot, tmp_path):
    UserFactory(username="wangqiang", first_name="强", last_name="王", roles=["warehouse"])
    ProductFactory(sku="OLD-1", name="旧名字")
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,barcode,list_price\nNEW-1,新品,,99\nOLD-1,新名字,,\nBAD-1,坏条码,123,10\n",
        encoding="utf-8-sig",
    )
    sign_in("wangqiang")
    page.goto(f"{live_server.url}/imports/products/")
    expect(page.locator("#id_dry_run")).to_be_checked()
    page.set_input_files("#id_file", str(path))
    page.click("#start-import")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#dry-run-badge")).to_be_visible()
    expect(page.locator("#import-errors tbody tr")).to_have_count(1)
    expect(page.locator("#import-errors")).to_contain_text("barcode")
    assert Product.objects.count() == 1  # the dry run wrote nothing
    shot("80-import-dry-run")

    page.click("#confirm-import")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#dry-run-badge")).to_have_count(0)
    expect(page.locator("#download-errors")).to_be_visible()
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["NEW-1", "OLD-1"]
    shot("81-import-done")

    page.goto(f"{live_server.url}/exports/?kind=products")
    page.select_option("#id_format", "csv")
    page.click("#start-export")
    expect(page.locator("#download-export")).to_be_visible()
    with page.expect_download() as download:
        page.click("#download-export")
    assert "NEW-1" in download.value.path().read_text(encoding="utf-8-sig")
    page.goto(f"{live_server.url}/imports/jobs/")
    expect(page.locator("tbody tr")).to_have_count(3)
    shot("82-transfer-jobs")
