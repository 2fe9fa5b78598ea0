"""Repairs taking spare parts at once (PostgreSQL, real threads and
connections). The stock level's conditional update lets only as many take
as are free; the repair's row lock makes each cost recomputation see every
part already fitted. The negative control shows costs go wrong without it."""

import secrets
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from aftersales.models import RepairOrder, RepairPart, Ticket
from aftersales.services import repairs as repair_services
from aftersales.services.repairs import repair_create, repair_diagnose, repair_part_add
from inventory.models import StockLevel, StockMove
from inventory.services import InsufficientStock, stock_receive
from tests.concurrency.test_stock_race import run_concurrently as run_all
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(jobs):
    """Run each job on its own thread and connection, all released together."""
    return run_all(lambda i: jobs[i](), len(jobs))


@pytest.fixture
def bench():
    warehouse = WarehouseFactory(code="SP01")
    kettle = ProductFactory(sku="KETTLE-1", warranty_months=12)
    customer = CustomerFactory()
    ticket = Ticket.objects.create(
        number="TK-RACE",
        subject="Kettle",
        customer=customer,
        kind=Ticket.Kind.REPAIR,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
    )

    def part(sku, quantity, list_price="50"):
        product = ProductFactory(sku=sku, list_price=Decimal(list_price))
        stock_receive(
            warehouse=warehouse, product=product, quantity=quantity, unit_cost=Decimal("30")
        )
        return product

    def repair():
        made = repair_create(
            customer=customer,
            product=kettle,
            fault_description="Does not heat up.",
            purchase_date=timezone.localdate(),
            ticket=ticket,
            parts_warehouse=warehouse,
        )
        return repair_diagnose(repair=made, diagnosis="Element burnt out.")

    return {"warehouse": warehouse, "part": part, "repair": repair}


def test_two_repairs_taking_the_last_spare_part_one_succeeds(bench):
    element = bench["part"]("ELEM-1", 1)
    first, second = bench["repair"](), bench["repair"]()
    results, errors = run_concurrently(
        [
            lambda r=r: repair_part_add(repair=r, product=element, quantity=1)
            for r in (first, second)
        ]
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], InsufficientStock)
    level = StockLevel.objects.get(product=element)
    assert (level.on_hand, level.reserved) == (0, 0)
    part = RepairPart.objects.get()
    move = StockMove.objects.get(kind=StockMove.Kind.REPAIR_CONSUMPTION)
    assert part.stock_move == move and move.reference == part.repair.number
    winner = RepairOrder.objects.get(pk=part.repair_id)
    loser = RepairOrder.objects.exclude(pk=part.repair_id).get()
    assert winner.parts_price == Decimal("50.00") and loser.parts_price == Decimal("0.00")
    call_command("check_stock_ledger")


def test_ten_repairs_for_three_parts_take_exactly_three(bench):
    element = bench["part"]("ELEM-1", 3)
    repairs = [bench["repair"]() for _ in range(10)]
    results, errors = run_concurrently(
        [lambda r=r: repair_part_add(repair=r, product=element, quantity=1) for r in repairs]
    )
    assert len(results) == 3
    assert len(errors) == 7 and all(isinstance(e, InsufficientStock) for e in errors)
    assert StockLevel.objects.get(product=element).on_hand == 0
    assert RepairPart.objects.count() == 3
    assert StockMove.objects.filter(kind=StockMove.Kind.REPAIR_CONSUMPTION).count() == 3
    call_command("check_stock_ledger")


def different_parts_on_one_repair(bench, n=6):
    parts = [bench["part"](f"PART-{i}", 5) for i in range(n)]
    repair = bench["repair"]()
    return repair, [
        (lambda p=p: repair_part_add(repair=repair, product=p, quantity=1)) for p in parts
    ]


def test_parts_fitted_at_once_on_one_repair_are_all_costed(bench):
    repair, jobs = different_parts_on_one_repair(bench)
    results, errors = run_concurrently(jobs)
    assert errors == [] and len(results) == 6
    repair.refresh_from_db()
    assert repair.parts_price == Decimal("300.00")  # 6 × 50.00
    assert repair.parts_cost == Decimal("180.00")  # 6 × 30.00
    assert repair.charged_amount + repair.covered_amount == Decimal("300.00")


def test_negative_control_without_the_repair_lock_costs_lose_parts(bench, monkeypatch):
    repair, jobs = different_parts_on_one_repair(bench, n=2)
    both_fitted = threading.Barrier(2, timeout=30)
    recost = repair_services.repair_recost

    def no_lock(pk):
        return RepairOrder.objects.select_related("customer", "product").get(pk=pk)

    def recost_after_both_fitted(repair):
        both_fitted.wait()  # each has written its part, neither has committed
        return recost(repair)

    monkeypatch.setattr(repair_services, "repair_for_update", no_lock)
    monkeypatch.setattr(repair_services, "repair_recost", recost_after_both_fitted)
    results, errors = run_concurrently(jobs)
    assert errors == [] and len(results) == 2
    repair.refresh_from_db()
    assert RepairPart.objects.filter(repair=repair).count() == 2
    # Each recomputation saw only its own part: one part's price is lost.
    assert repair.parts_price == Decimal("50.00")
