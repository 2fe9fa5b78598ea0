from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import StockLevel, StockMove
from logistics.models import Shipment, ShipmentEvent
from logistics.services import (
    LogisticsInvalid,
    ShipmentConflict,
    ShipmentTransitionNotAllowed,
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_move,
    shipment_problem_report,
    shipments_create_for_order,
)
from orders.models import Order, Reservation
from orders.services import order_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_lines(world, weighed, stock, place):
    world["fork"] = type(world["tea"]).objects.create(
        sku="FORK-1", name="叉子", weight_kg=Decimal("0.1"), volume_m3=Decimal("0.0005")
    )
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    stock("sh", "fork", 10)
    order = place(("tea", 4), ("cup", 3), ("fork", 2))
    order_confirm(order=order)
    return order


def test_order_of_three_lines_ships_in_two_shipments(three_lines, world, carrier, packed, capsys):
    order = three_lines
    first = shipment_create(order=order, warehouse=world["sh"], lines=[(1, 4), (2, 1)])
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    assert first.number.startswith("SH-")
    assert first.weight_kg == Decimal("2.300")  # 4 x 0.5 + 1 x 0.3

    packed(first)
    shipment_dispatch(shipment=first, carrier=carrier, tracking_number="SF100")
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert [
        (line.line_no, line.quantity_shipped, line.quantity_reserved)
        for line in order.lines.order_by("line_no")
    ] == [(1, 4, 0), (2, 1, 2), (3, 0, 2)]

    # The rest: everything still reserved at the warehouse.
    (second,) = shipments_create_for_order(order=order)
    assert {(sl.order_line.line_no, sl.quantity) for sl in second.lines.all()} == {(2, 2), (3, 2)}
    packed(second)
    shipment_dispatch(shipment=second, carrier=carrier)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert [line.quantity_shipped for line in order.lines.order_by("line_no")] == [4, 3, 2]

    moves = StockMove.objects.filter(kind=StockMove.Kind.SHIPMENT)
    assert sorted((m.reference, m.product.sku, m.quantity) for m in moves) == [
        (first.number, "CUP-1", -1),
        (first.number, "TEA-1", -4),
        (second.number, "CUP-1", -2),
        (second.number, "FORK-1", -2),
    ]
    levels = {lvl.product.sku: (lvl.on_hand, lvl.reserved) for lvl in StockLevel.objects.all()}
    assert levels == {"TEA-1": (6, 0), "CUP-1": (7, 0), "FORK-1": (8, 0)}
    # The split reservation of line 2: one consumed part per shipment, none active.
    assert not Reservation.objects.filter(status=Reservation.Status.ACTIVE).exists()
    assert sorted(
        Reservation.objects.filter(order_line__line_no=2).values_list("quantity", flat=True)
    ) == [1, 2]
    call_command("check_stock_ledger")
    assert "Stock ledger OK" in capsys.readouterr().out

    # Delivered: the order only when both shipments are.
    shipment_deliver(shipment=first, recipient_name="王芳")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    shipment_deliver(shipment=second, recipient_name="王芳")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    first.refresh_from_db()
    assert first.status == Shipment.Status.DELIVERED
    assert first.proof_of_delivery.recipient_name == "王芳"


def test_cannot_put_more_units_on_shipments_than_reserved(three_lines, world):
    shipment_create(order=three_lines, warehouse=world["sh"], lines=[(1, 3)])
    with pytest.raises(ShipmentConflict) as err:
        shipment_create(order=three_lines, warehouse=world["sh"], lines=[(1, 2)])
    assert err.value.field == "lines[0].quantity"
    assert "只有 1 件" in err.value.message  # "has 1 unit(s) reserved ..."
    with pytest.raises(LogisticsInvalid) as err:
        shipment_create(order=three_lines, warehouse=world["sh"], lines=[(9, 1)])
    assert err.value.field == "lines[0].line"
    assert Shipment.objects.count() == 1


def test_cancelled_shipment_frees_its_units_and_keeps_the_reservation(three_lines, world):
    shipment = shipment_create(order=three_lines, warehouse=world["sh"])
    with pytest.raises(LogisticsInvalid):
        shipment_cancel(shipment=shipment, reason=" ")
    shipment_cancel(shipment=shipment, reason="客户改地址")
    assert Reservation.objects.filter(status=Reservation.Status.ACTIVE).count() == 3
    again = shipment_create(order=three_lines, warehouse=world["sh"])
    assert again.lines.count() == 3


def test_dispatch_needs_every_unit_packed_and_a_carrier(three_lines, world, carrier, packed):
    shipment = shipment_create(order=three_lines, warehouse=world["sh"])
    with pytest.raises(ShipmentTransitionNotAllowed):
        shipment_dispatch(shipment=shipment, carrier=carrier)  # still planned
    packed(shipment)
    with pytest.raises(LogisticsInvalid) as err:
        shipment_dispatch(shipment=shipment)
    assert err.value.field == "carrier"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    assert not StockMove.objects.filter(kind=StockMove.Kind.SHIPMENT).exists()


def test_transitions_and_exception_resumes_where_it_stopped(three_lines, world, carrier, packed):
    shipment = shipment_create(order=three_lines, warehouse=world["sh"])
    with pytest.raises(ShipmentTransitionNotAllowed):
        shipment_move(shipment=shipment, to_status=Shipment.Status.IN_TRANSIT)
    packed(shipment)
    shipment_dispatch(shipment=shipment, carrier=carrier)
    shipment_move(shipment=shipment, to_status=Shipment.Status.IN_TRANSIT)
    with pytest.raises(LogisticsInvalid):  # a problem is reported with its kind
        shipment_move(shipment=shipment, to_status=Shipment.Status.EXCEPTION, reason="破损")
    shipment_problem_report(shipment=shipment, kind="damaged", details="外箱破损")
    assert shipment.exceptions.get().kind == "damaged"
    with pytest.raises(ShipmentTransitionNotAllowed):
        shipment_move(shipment=shipment, to_status=Shipment.Status.OUT_FOR_DELIVERY)
    shipment_move(shipment=shipment, to_status=Shipment.Status.IN_TRANSIT, reason="已处理")
    statuses = list(
        ShipmentEvent.objects.filter(shipment=shipment, kind="status").values_list(
            "from_status", "to_status"
        )
    )
    assert statuses[-3:] == [
        ("dispatched", "in_transit"),
        ("in_transit", "exception"),
        ("exception", "in_transit"),
    ]


def test_carbon_estimate_from_distance_weight_and_factor(three_lines, world, carrier, packed):
    shipment = shipment_create(
        order=three_lines,
        warehouse=world["sh"],
        destination=("北京市", Decimal("39.9042"), Decimal("116.4074")),
    )
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier)
    # About 1,070 km great circle x 1.25; 3.1 kg; 180 g per t-km (courier default).
    assert Decimal("1300") < shipment.distance_km < Decimal("1370")
    expected = shipment.distance_km * Decimal("3.1") / 1000 * Decimal("180") / 1000
    assert shipment.weight_kg == Decimal("3.100")
    assert shipment.co2e_kg == expected.quantize(Decimal("0.001"))


def test_vehicle_is_available_again_when_its_last_shipment_is_delivered(
    three_lines, world, carrier, packed
):
    from logistics.models import Vehicle
    from logistics.services import vehicle_create

    van = vehicle_create(plate="沪A·T0001", depot=world["sh"], capacity_kg=500, capacity_m3=5)
    first = shipment_create(order=three_lines, warehouse=world["sh"], lines=[(1, 4)])
    second = shipment_create(order=three_lines, warehouse=world["sh"], lines=[(2, 3)])
    for shipment in (first, second):
        packed(shipment)
        shipment_dispatch(shipment=shipment, carrier=carrier, vehicle=van)
    van.refresh_from_db()
    assert van.status == Vehicle.Status.ON_ROUTE
    shipment_deliver(shipment=first, recipient_name="王芳")
    van.refresh_from_db()
    assert van.status == Vehicle.Status.ON_ROUTE  # the second one is still on board
    shipment_deliver(shipment=second, recipient_name="王芳")
    van.refresh_from_db()
    assert van.status == Vehicle.Status.AVAILABLE


def test_pick_and_pack_statuses_are_only_set_by_waves_and_the_bench(three_lines, world):
    shipment = shipment_create(order=three_lines, warehouse=world["sh"])
    for target in (Shipment.Status.PICKING, Shipment.Status.PACKED):
        with pytest.raises(LogisticsInvalid) as err:
            shipment_move(shipment=shipment, to_status=target)
        assert err.value.field == "status"
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PLANNED


def test_cancelling_the_order_cancels_its_shipments_still_in_the_warehouse(
    three_lines, world, carrier, packed, django_capture_on_commit_callbacks
):
    from orders.services import order_cancel

    waiting = shipment_create(order=three_lines, warehouse=world["sh"], lines=[(1, 2)])
    boxed = packed(shipment_create(order=three_lines, warehouse=world["sh"], lines=[(2, 3)]))
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=three_lines, reason="客户取消")
    waiting.refresh_from_db()
    boxed.refresh_from_db()
    assert (waiting.status, boxed.status) == ("cancelled", "cancelled")
    assert "订单已取消" in boxed.events.last().description  # "The order was cancelled."


def test_without_a_warehouse_the_one_holding_the_stock_is_taken(world, weighed, stock, place):
    stock("sh", "tea", 1)
    stock("bj", "tea", 2)
    order = place(("tea", 3))
    order_confirm(order=order)  # 1 at SH01, 2 at BJ01
    with pytest.raises(LogisticsInvalid) as err:
        shipment_create(order=order)
    assert err.value.field == "warehouse" and "BJ01" in err.value.message
    first = shipment_create(order=order, warehouse=world["sh"])
    second = shipment_create(order=order)  # only BJ01 has units left to ship
    assert (first.warehouse.code, second.warehouse.code) == ("SH01", "BJ01")
    assert second.lines.get().quantity == 2
