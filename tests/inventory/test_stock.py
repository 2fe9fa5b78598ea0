"""Stock services: every change is a move, reserved stock is never taken,
moving-average cost, transfers, and the ledger check."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from inventory.models import StockLevel, StockMove
from inventory.services import (
    InsufficientStock,
    StockInvalid,
    stock_adjust,
    stock_consume,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_transfer,
)
from tests.factories import ProductFactory, WarehouseFactory


@pytest.fixture
def sh(db):
    return WarehouseFactory(code="SH01")


@pytest.fixture
def bj(db):
    return WarehouseFactory(code="BJ01")


@pytest.fixture
def tea(db):
    return ProductFactory(sku="TEA-1", unit_cost=Decimal("0"))


def level(warehouse, product):
    return StockLevel.objects.get(warehouse=warehouse, product=product)


def test_receipt_adds_stock_and_a_move_and_averages_cost(sh, bj, tea):
    stock_receive(warehouse=sh, product=tea, quantity=10, unit_cost=Decimal("50"))
    move = stock_receive(warehouse=bj, product=tea, quantity=30, unit_cost=Decimal("70"))
    tea.refresh_from_db()
    assert tea.unit_cost == Decimal("65.0000")  # (10*50 + 30*70) / 40
    assert move.quantity == 30 and move.on_hand_after == 30 and move.kind == "receipt"
    assert level(sh, tea).on_hand == 10
    # the average counts what is held in every warehouse
    stock_receive(warehouse=sh, product=tea, quantity=40, unit_cost=Decimal("45"))
    tea.refresh_from_db()
    assert tea.unit_cost == Decimal("55.0000")


@pytest.mark.parametrize("quantity", [0, -3, 1.5, True])
def test_receipt_needs_a_positive_whole_number(sh, tea, quantity):
    with pytest.raises(StockInvalid) as exc:
        stock_receive(warehouse=sh, product=tea, quantity=quantity)
    assert exc.value.field == "quantity"
    assert not StockMove.objects.exists()


def test_decrease_never_takes_reserved_stock(sh, tea):
    stock_receive(warehouse=sh, product=tea, quantity=10)
    assert stock_reserve(level_id=level(sh, tea).pk, quantity=7)
    with pytest.raises(InsufficientStock) as exc:
        stock_adjust(warehouse=sh, product=tea, quantity=-4, note="破损")
    assert "3" in exc.value.message  # only 3 available
    stock_adjust(warehouse=sh, product=tea, quantity=-3, kind="scrap", note="破损")
    assert (level(sh, tea).on_hand, level(sh, tea).reserved) == (7, 7)
    assert StockMove.objects.count() == 2


def test_adjustment_rules(sh, tea):
    stock_receive(warehouse=sh, product=tea, quantity=5)
    with pytest.raises(StockInvalid) as exc:
        stock_adjust(warehouse=sh, product=tea, quantity=2, kind="scrap", note="x")
    assert exc.value.field == "quantity"
    with pytest.raises(StockInvalid) as exc:
        stock_adjust(warehouse=sh, product=tea, quantity=-1)
    assert exc.value.field == "note"
    with pytest.raises(StockInvalid) as exc:
        stock_adjust(warehouse=sh, product=tea, quantity=-1, kind="shipment", note="x")
    assert exc.value.field == "kind"


def test_reserve_release_and_consume(sh, tea):
    stock_receive(warehouse=sh, product=tea, quantity=5)
    lvl = level(sh, tea)
    assert stock_reserve(level_id=lvl.pk, quantity=5)
    assert not stock_reserve(level_id=lvl.pk, quantity=1)
    stock_release(level_id=lvl.pk, quantity=2)
    move = stock_consume(level_id=lvl.pk, quantity=3, reference="SO-1")
    assert (move.kind, move.quantity, move.on_hand_after) == ("shipment", -3, 2)
    assert (level(sh, tea).on_hand, level(sh, tea).reserved) == (2, 0)
    with pytest.raises(InsufficientStock):
        stock_release(level_id=lvl.pk, quantity=1)
    with pytest.raises(InsufficientStock):
        stock_consume(level_id=lvl.pk, quantity=1)


def test_transfer_moves_unreserved_units(sh, bj, tea):
    stock_receive(warehouse=sh, product=tea, quantity=10)
    stock_reserve(level_id=level(sh, tea).pk, quantity=4)
    moved_out, moved_in = stock_transfer(product=tea, source=sh, destination=bj, quantity=6)
    assert moved_out.reference == moved_in.reference and moved_out.reference.startswith("TR-")
    assert (moved_out.quantity, moved_in.quantity) == (-6, 6)
    assert level(sh, tea).on_hand == 4 and level(bj, tea).on_hand == 6
    with pytest.raises(InsufficientStock):
        stock_transfer(product=tea, source=sh, destination=bj, quantity=1)
    with pytest.raises(StockInvalid):
        stock_transfer(product=tea, source=sh, destination=sh, quantity=1)


def test_ledger_check_is_clean_and_finds_tampering(sh, tea, capsys):
    stock_receive(warehouse=sh, product=tea, quantity=10)
    stock_adjust(warehouse=sh, product=tea, quantity=-2, note="盘亏")
    call_command("check_stock_ledger")
    assert "OK" in capsys.readouterr().out
    # A write that bypasses the services breaks the ledger, and the check says where.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stocklevel SET on_hand = on_hand + 5")
    with pytest.raises(CommandError, match="1 stock level"):
        call_command("check_stock_ledger")
    assert "SH01\tTEA-1\t13\t8\t+5" in capsys.readouterr().err


def test_database_refuses_impossible_levels(sh, tea):
    from django.db import IntegrityError, transaction

    lvl = StockLevel.objects.create(warehouse=sh, product=tea, on_hand=2)
    for change in ({"on_hand": -1}, {"reserved": 3}, {"reserved": -1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(pk=lvl.pk).update(**change)
