"""Cycle counts: blind counting, variances, approval by someone else, posting
that accounts for moves made during the count."""

import pytest
from django.core.management import call_command

from inventory.models import StockLevel, StockMove
from inventory.services import (
    CountError,
    stock_count_approve,
    stock_count_cancel,
    stock_count_open,
    stock_count_record,
    stock_count_submit,
    stock_receive,
)
from tests.factories import ProductFactory, WarehouseFactory


@pytest.fixture
def shelf(db):
    sh = WarehouseFactory(code="SH01")
    tea, cup, pen = (ProductFactory(sku=s) for s in ("TEA-1", "CUP-1", "PEN-1"))
    for product, qty in ((tea, 10), (cup, 20), (pen, 5)):
        stock_receive(warehouse=sh, product=product, quantity=qty)
    return {"sh": sh, "tea": tea, "cup": cup, "pen": pen}


def on_hand(shelf, sku):
    return StockLevel.objects.get(warehouse=shelf["sh"], product__sku=sku).on_hand


def test_full_count_posts_variances_and_accounts_for_moves_during_the_count(shelf, make_user):
    counter, manager = make_user("warehouse"), make_user("warehouse")
    count = stock_count_open(warehouse=shelf["sh"], actor=counter)
    assert count.number.startswith("SC-") and count.lines.count() == 3
    # While counting goes on, 5 teas arrive after they were counted and 4 cups before.
    stock_receive(warehouse=shelf["sh"], product=shelf["cup"], quantity=4)
    stock_count_record(count=count, product=shelf["tea"], counted=9, actor=counter)  # 1 lost
    stock_count_record(count=count, product=shelf["cup"], counted=25, actor=counter)  # 24 + 1 found
    stock_count_record(count=count, product=shelf["pen"], counted=5, actor=counter)
    stock_receive(warehouse=shelf["sh"], product=shelf["tea"], quantity=5)
    count = stock_count_submit(count=count, actor=counter)
    lines = {line.product.sku: line for line in count.lines.select_related("product")}
    assert (
        lines["CUP-1"].expected,
        lines["CUP-1"].moved_during_count,
        lines["CUP-1"].variance,
    ) == (20, 4, 1)
    assert lines["TEA-1"].variance == -1 and lines["PEN-1"].variance == 0

    with pytest.raises(CountError, match="没有参与"):
        stock_count_approve(count=count, actor=counter)
    stock_count_approve(count=count, actor=manager)
    assert (on_hand(shelf, "TEA-1"), on_hand(shelf, "CUP-1"), on_hand(shelf, "PEN-1")) == (
        14,
        25,
        5,
    )
    corrections = StockMove.objects.filter(kind="count_correction", reference=count.number)
    assert sorted(corrections.values_list("quantity", flat=True)) == [-1, 1]
    call_command("check_stock_ledger")


def test_partial_count_and_rules(shelf, make_user):
    count = stock_count_open(warehouse=shelf["sh"], products=[shelf["tea"]], blind=True)
    assert count.lines.count() == 1
    with pytest.raises(CountError):
        stock_count_open(warehouse=shelf["sh"])  # one count at a time per warehouse
    with pytest.raises(CountError):
        stock_count_record(count=count, product=shelf["cup"], counted=1)  # not in this count
    with pytest.raises(CountError):
        stock_count_record(count=count, product=shelf["tea"], counted=-1)
    with pytest.raises(CountError, match="未盘点"):
        stock_count_submit(count=count)
    stock_count_cancel(count=count)
    stock_count_open(warehouse=shelf["sh"])  # the warehouse is free again


def test_a_loss_that_would_take_reserved_stock_is_refused(shelf, make_user):
    from inventory.services import InsufficientStock, stock_reserve

    level = StockLevel.objects.get(warehouse=shelf["sh"], product=shelf["pen"])
    count = stock_count_open(warehouse=shelf["sh"], products=[shelf["pen"]])
    stock_reserve(level_id=level.pk, quantity=5)
    stock_count_record(count=count, product=shelf["pen"], counted=2)
    stock_count_submit(count=count)
    with pytest.raises(InsufficientStock):
        stock_count_approve(count=count, actor=make_user("admin"))
    count.refresh_from_db()
    assert count.status == "submitted" and on_hand(shelf, "PEN-1") == 5  # nothing half-posted
