"""The alert scans besides T-3, with a frozen clock (Friday 2026-11-27 10:00
Shanghai): each raises one alert for its condition and none for the healthy
case, a second run changes nothing, and the alert is cleared (still open,
waiting for its note) once the condition goes away."""

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.models import SlaRecord, Ticket
from analytics.models import Alert, AlertEvent, ForecastRun, ReorderSuggestion
from analytics.services import scans
from analytics.services.lifecycle import alert_resolve
from analytics.services.scans import (
    low_stock_scan,
    shipment_scan,
    sla_scan,
    stockout_scan,
    surge_scan,
)
from erp.core.models import Notification
from inventory.models import StockLevel
from logistics.models import Shipment, ShipmentException
from logistics.services import exception_open, exception_resolve, shipment_create
from orders.models import Order
from orders.services import order_cancel, order_confirm
from tests.aftersales.conftest import frozen_clock, shanghai  # noqa: F401
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db


def alerts(kind):
    return list(Alert.objects.filter(kind=kind).order_by("pk"))


def one(kind) -> Alert:
    found = alerts(kind)
    assert len(found) == 1, found
    return found[0]


# --- Low stock -------------------------------------------------------------------------


@pytest.fixture
def reorder(world):  # noqa: F811
    world["tea"].reorder_point = 5
    world["tea"].reorder_quantity = 20
    world["tea"].save()
    return world


def test_low_stock_raises_once_for_a_level_at_the_reorder_point(
    frozen_clock,  # noqa: F811
    reorder,
    stock,  # noqa: F811
    make_user,
):
    manager = make_user("warehouse_manager", email="mgr@example.com")
    stock("sh", "tea", 5)  # at the reorder point
    stock("sh", "cup", 1)  # no reorder point: never low
    stock("bj", "tea", 6)  # above it

    assert low_stock_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.LOW_STOCK)
    level = StockLevel.objects.get(warehouse=reorder["sh"], product=reorder["tea"])
    assert alert.subject_key == f"stocklevel:{level.pk}"
    assert alert.cause_key == f"stocklevel:{level.pk}:low:2026-11-27"
    assert alert.severity == Alert.Severity.WARNING
    assert alert.owner_role == "warehouse_manager"
    assert alert.subject_url == "/inventory/products/TEA-1/"
    assert alert.details["available"] == 5 and alert.details["reorder_point"] == 5
    assert Notification.objects.filter(key=f"alert:{alert.pk}:raised:{manager.pk}").count() == 1

    frozen_clock.advance(days=1)  # still low the next day: same alert, same cause
    assert low_stock_scan() == {"found": 1, "raised": 0, "cleared": 0}
    alert.refresh_from_db()
    assert alert.cause_key.endswith(":low:2026-11-27")
    assert alert.last_seen_at == frozen_clock.now
    assert len(alerts(Alert.Kind.LOW_STOCK)) == 1
    assert Notification.objects.filter(key__startswith=f"alert:{alert.pk}:").count() == 1


def test_low_stock_is_critical_when_nothing_is_available(
    frozen_clock,  # noqa: F811
    reorder,
    stock,  # noqa: F811
    place,  # noqa: F811
):
    stock("sh", "tea", 3)
    order_confirm(order=place(("tea", 3)))  # all three reserved
    low_stock_scan()
    alert = one(Alert.Kind.LOW_STOCK)
    assert alert.severity == Alert.Severity.CRITICAL
    assert alert.details == {
        "warehouse": "SH01",
        "sku": "TEA-1",
        "on_hand": 3,
        "reserved": 3,
        "available": 0,
        "reorder_point": 5,
        "reorder_quantity": 20,
    }


def test_low_stock_clears_when_stock_comes_in_and_stays_open_for_its_note(
    frozen_clock,  # noqa: F811
    reorder,
    stock,  # noqa: F811
):
    stock("sh", "tea", 2)
    low_stock_scan()
    stock("sh", "tea", 10)
    frozen_clock.advance(hours=1)
    assert low_stock_scan() == {"found": 0, "raised": 0, "cleared": 1}
    alert = one(Alert.Kind.LOW_STOCK)
    assert alert.cleared_at == frozen_clock.now
    assert alert.status == Alert.Status.OPEN
    assert AlertEvent.objects.filter(alert=alert, action=AlertEvent.Action.CLEARED).count() == 1
    assert low_stock_scan() == {"found": 0, "raised": 0, "cleared": 0}


def test_a_resolved_low_stock_alert_comes_back_the_next_day_not_the_same_day(
    frozen_clock,  # noqa: F811
    reorder,
    stock,  # noqa: F811
    make_user,
):
    stock("sh", "tea", 2)
    low_stock_scan()
    alert_resolve(
        alert=one(Alert.Kind.LOW_STOCK), actor=make_user("warehouse_manager"), note="PO 42 placed"
    )
    frozen_clock.advance(hours=2)
    assert low_stock_scan()["raised"] == 0
    assert Alert.objects.filter(kind=Alert.Kind.LOW_STOCK, status=Alert.Status.OPEN).count() == 0
    frozen_clock.advance(days=1)
    assert low_stock_scan()["raised"] == 1
    assert [a.status for a in alerts(Alert.Kind.LOW_STOCK)] == ["resolved", "open"]


def test_inactive_products_and_warehouses_are_not_scanned(
    frozen_clock,  # noqa: F811
    reorder,
    stock,  # noqa: F811
):
    stock("sh", "tea", 1)
    reorder["sh"].active = False
    reorder["sh"].save()
    assert low_stock_scan()["found"] == 0


# --- Stock-out estimate -----------------------------------------------------------------


def test_stockout_raised_when_days_of_cover_fall_below_the_lead_time(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    stock,  # noqa: F811
    place,  # noqa: F811
):
    # 28 units in 28 days = 1 a day; lead time 7 days.
    stock("sh", "tea", 20)
    stock("sh", "cup", 100)
    place(("tea", 28), ("cup", 28))
    assert stockout_scan()["found"] == 0  # 20 days of cover for tea, 100 for cups

    stock_level = StockLevel.objects.get(warehouse=world["sh"], product=world["tea"])
    StockLevel.objects.filter(pk=stock_level.pk).update(on_hand=6)  # 6 days of cover
    assert stockout_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.STOCKOUT_FORECAST)
    assert alert.subject_key == f"product:{world['tea'].pk}"
    assert alert.severity == Alert.Severity.WARNING
    assert alert.owner_role == "warehouse_manager"
    assert alert.details["days_of_cover"] == "6.0"
    assert alert.details["daily_demand"] == "1.00"
    assert alert.details["lead_time_days"] == 7
    # No forecast yet: the 28-day average, and the message says so.
    assert alert.details["demand_source"] == "average"
    with translation.override("en"):
        stockout_scan()
        alert.refresh_from_db()
    assert "(average of the last 28 days)" in alert.message
    assert stockout_scan() == {"found": 1, "raised": 0, "cleared": 0}

    world["tea"].lead_time_days = 5  # a faster supplier: 6 days cover it
    world["tea"].save()
    assert stockout_scan() == {"found": 0, "raised": 0, "cleared": 1}


def test_stockout_ignores_cancelled_and_old_orders(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    stock,  # noqa: F811
    place,  # noqa: F811
):
    stock("sh", "tea", 2)
    old = place(("tea", 50))
    cancelled = place(("tea", 50))
    Order.objects.filter(pk=old.pk).update(placed_at=frozen_clock.now - timedelta(days=29))
    order_cancel(order=cancelled, reason="客户取消")
    assert stockout_scan()["found"] == 0

    recent = place(("tea", 28))
    assert stockout_scan()["found"] == 1
    assert one(Alert.Kind.STOCKOUT_FORECAST).severity == Alert.Severity.WARNING
    order_cancel(order=recent, reason="客户取消")
    assert stockout_scan() == {"found": 0, "raised": 0, "cleared": 1}


def test_stockout_is_critical_with_nothing_available(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    place,  # noqa: F811
):
    place(("cup", 4))  # demand, and no stock at all
    stockout_scan()
    alert = one(Alert.Kind.STOCKOUT_FORECAST)
    assert alert.severity == Alert.Severity.CRITICAL
    assert alert.details["available"] == 0


def make_forecast(product, daily: str, *, generated_at, label="ETS(A,N,A) m=7"):
    """A current all-warehouses forecast of `daily` units a day for `product`."""
    today = timezone.localdate(generated_at)
    run = ForecastRun.objects.create(
        product=product,
        granularity="day",
        method="ets",
        model_label=label,
        history_start=today - timedelta(days=200),
        history_end=today - timedelta(days=1),
        history_periods=200,
        demand_periods=200,
        horizon=56,
        sigma=Decimal("1"),
        generated_at=generated_at,
    )
    lead = product.lead_time_days
    return ReorderSuggestion.objects.create(
        product=product,
        run=run,
        lead_time_days=lead,
        review_days=30,
        service_level=Decimal("0.95"),
        daily_demand=Decimal(daily),
        lead_time_demand=Decimal(daily) * lead,
        safety_stock=Decimal("4.35"),
        reorder_point=0,
        reorder_quantity=0,
        generated_at=generated_at,
    )


def test_stockout_uses_the_forecast_when_a_current_one_exists(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    stock,  # noqa: F811
    place,  # noqa: F811
):
    """28 units in 28 days (1 a day) leave 20 units 20 days of cover; the
    forecast's 4 a day leaves 5 days, below the 7-day lead time. A forecast
    older than ANALYTICS_FORECAST_MAX_AGE_HOURS is not used."""
    stock("sh", "tea", 20)
    place(("tea", 28))
    assert stockout_scan()["found"] == 0
    suggestion = make_forecast(
        world["tea"], "4", generated_at=frozen_clock.now - timedelta(hours=8)
    )
    with translation.override("en"):
        assert stockout_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.STOCKOUT_FORECAST)
    assert alert.details["demand_source"] == "forecast"
    assert alert.details["forecast_model"] == "ETS(A,N,A) m=7"
    assert (alert.details["daily_demand"], alert.details["days_of_cover"]) == ("4.00", "5.0")
    assert "at 4.00 a day (demand forecast, ETS(A,N,A) m=7)" in alert.message

    # Stale: back to the average, which sees no risk.
    ReorderSuggestion.objects.filter(pk=suggestion.pk).update(
        generated_at=frozen_clock.now - timedelta(hours=49)
    )
    assert stockout_scan() == {"found": 0, "raised": 0, "cleared": 1}


def test_a_forecast_of_no_demand_is_no_risk_whatever_was_ordered_lately(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    place,  # noqa: F811
):
    place(("cup", 4))  # recent demand and no stock: at risk on the average
    assert stockout_scan()["found"] == 1
    make_forecast(world["cup"], "0", generated_at=frozen_clock.now)
    assert stockout_scan() == {"found": 0, "raised": 0, "cleared": 1}
    # A forecast alone (nothing ordered lately) is enough to be at risk.
    make_forecast(world["tea"], "2.5", generated_at=frozen_clock.now)
    assert stockout_scan()["found"] == 1
    alert = Alert.objects.get(subject_key=f"product:{world['tea'].pk}")
    assert alert.severity == Alert.Severity.CRITICAL


# --- SLA ----------------------------------------------------------------------------------


def make_ticket(**fields):
    return Ticket.objects.create(
        number=f"T{secrets.token_hex(4)}",
        subject="茶叶罐破损",
        customer=CustomerFactory(),
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        **fields,
    )


def record(ticket, metric, kind, due):
    return SlaRecord.objects.create(ticket=ticket, metric=metric, kind=kind, due_at=due)


def test_sla_warning_then_breach_then_resolved(frozen_clock, make_user):  # noqa: F811
    ann = make_user("aftersales_agent", username="ann", email="ann@example.com")
    ticket = make_ticket(assignee=ann, status=Ticket.Status.ASSIGNED)
    quiet = make_ticket()  # no records: nothing to say
    due = shanghai(2026, 11, 27, 11, 0)
    assert sla_scan()["found"] == 0

    warning = record(ticket, "resolution", "warning", due)
    assert sla_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.SLA_WARNING)
    assert alert.subject_key == f"ticket:{ticket.pk}:resolution"
    assert alert.cause_key == f"slarecord:{warning.pk}"
    assert alert.owner == ann and alert.owner_role == "aftersales_agent"
    assert alert.severity == Alert.Severity.WARNING
    assert alert.subject_url == f"/aftersales/tickets/{ticket.number}/"
    assert "2026-11-27 11:00" in alert.message
    assert Notification.objects.filter(key=f"alert:{alert.pk}:raised:{ann.pk}").count() == 1
    assert sla_scan() == {"found": 1, "raised": 0, "cleared": 0}

    frozen_clock.set(2026, 11, 27, 11, 5)
    record(ticket, "resolution", "breach", due)
    assert sla_scan() == {"found": 1, "raised": 1, "cleared": 1}  # the breach takes over
    breach = one(Alert.Kind.SLA_BREACH)
    assert breach.severity == Alert.Severity.CRITICAL
    assert one(Alert.Kind.SLA_WARNING).cleared_at == frozen_clock.now

    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)
    assert sla_scan() == {"found": 0, "raised": 0, "cleared": 1}
    breach.refresh_from_db()
    assert breach.cleared_at is not None and breach.status == Alert.Status.OPEN
    assert not Alert.objects.filter(subject_key__startswith=f"ticket:{quiet.pk}:").exists()


def test_a_first_response_warning_clears_once_answered(frozen_clock):  # noqa: F811
    ticket = make_ticket()
    record(ticket, "first_response", "warning", shanghai(2026, 11, 27, 11, 0))
    sla_scan()
    alert = one(Alert.Kind.SLA_WARNING)
    assert alert.owner is None  # unassigned: the agents' queue
    Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=frozen_clock.now)
    assert sla_scan() == {"found": 0, "raised": 0, "cleared": 1}


# --- Shipments ----------------------------------------------------------------------------


@pytest.fixture
def shipment(frozen_clock, world, stock, place):  # noqa: F811
    stock("sh", "tea", 10)
    order = place(("tea", 2))
    order_confirm(order=order)
    return shipment_create(order=order, warehouse=world["sh"])


def plan(shipment, when):
    Shipment.objects.filter(pk=shipment.pk).update(planned_delivery_at=when)


def test_a_shipment_past_its_planned_delivery_is_delayed_until_delivered(
    frozen_clock,  # noqa: F811
    shipment,
):
    plan(shipment, shanghai(2026, 11, 27, 18, 0))
    assert shipment_scan()["found"] == 0

    plan(shipment, shanghai(2026, 11, 27, 9, 0))
    assert shipment_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.SHIPMENT_DELAY)
    assert alert.subject_key == f"shipment:{shipment.pk}"
    assert alert.cause_key == f"shipment:{shipment.pk}:planned:2026-11-27T01:00:00+00:00"
    assert alert.severity == Alert.Severity.WARNING
    assert alert.owner_role == "dispatcher"
    assert alert.subject_url == f"/logistics/shipments/{shipment.number}/"
    assert shipment_scan() == {"found": 1, "raised": 0, "cleared": 0}

    frozen_clock.set(2026, 11, 28, 10, 0)  # a day late now
    shipment_scan()
    alert.refresh_from_db()
    assert alert.severity == Alert.Severity.CRITICAL
    assert len(alerts(Alert.Kind.SHIPMENT_DELAY)) == 1

    Shipment.objects.filter(pk=shipment.pk).update(status=Shipment.Status.DELIVERED)
    assert shipment_scan() == {"found": 0, "raised": 0, "cleared": 1}


def test_a_new_planned_time_is_a_new_cause(frozen_clock, shipment, make_user):  # noqa: F811
    plan(shipment, shanghai(2026, 11, 27, 9, 0))
    shipment_scan()
    alert_resolve(
        alert=one(Alert.Kind.SHIPMENT_DELAY), actor=make_user("dispatcher"), note="催承运商"
    )
    assert shipment_scan()["raised"] == 0  # same planned time: stays resolved
    plan(shipment, shanghai(2026, 11, 27, 9, 30))
    assert shipment_scan()["raised"] == 1
    assert len(alerts(Alert.Kind.SHIPMENT_DELAY)) == 2


def test_open_shipment_exceptions_raise_until_resolved(frozen_clock, shipment):  # noqa: F811
    damaged, _ = exception_open(
        shipment=shipment, kind=ShipmentException.Kind.DAMAGED, stop_shipment=False
    )
    failed, _ = exception_open(
        shipment=shipment, kind=ShipmentException.Kind.FAILED_ATTEMPT, stop_shipment=False
    )
    assert shipment_scan() == {"found": 2, "raised": 2, "cleared": 0}
    by_subject = {a.subject_key: a for a in alerts(Alert.Kind.SHIPMENT_EXCEPTION)}
    assert by_subject[f"shipmentexception:{damaged.pk}"].severity == Alert.Severity.CRITICAL
    assert by_subject[f"shipmentexception:{failed.pk}"].severity == Alert.Severity.WARNING
    assert shipment_scan() == {"found": 2, "raised": 0, "cleared": 0}

    exception_resolve(exception=damaged, resolution="补发")
    assert shipment_scan() == {"found": 1, "raised": 0, "cleared": 1}
    assert Alert.objects.get(subject_key=f"shipmentexception:{damaged.pk}").cleared_at


# --- Surges -------------------------------------------------------------------------------


def orders_at(place, when, count, channel=None):  # noqa: F811
    for _i in range(count):
        order = place(("tea", 1), channel=channel)
        Order.objects.filter(pk=order.pk).update(placed_at=when)


def test_an_order_surge_against_the_same_hour_of_the_last_week(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    place,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(scans, "SURGE_MIN_COUNT", 3)
    other = SalesChannelFactory(code="TMALL", default_warehouse=world["sh"])
    hour = shanghai(2026, 11, 27, 9, 15)  # the last full hour is 09:00-10:00
    for day in range(1, 8):
        orders_at(place, hour - timedelta(days=day), 1)
    orders_at(place, hour - timedelta(hours=2), 5)  # another hour: not the baseline
    orders_at(place, hour, 2)
    orders_at(place, hour, 3, channel=other)  # no baseline: 3 >= the minimum
    assert surge_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.ORDER_SURGE)
    assert alert.subject_key == "surge:orders:TMALL:2026-11-27T09"
    assert alert.owner_role == "order_clerk"
    assert alert.details["count"] == 3 and alert.details["mean"] == 0

    orders_at(place, hour, 1)  # WEB: 3 against 1 a day, no spread
    assert surge_scan() == {"found": 2, "raised": 1, "cleared": 0}
    assert surge_scan() == {"found": 2, "raised": 0, "cleared": 0}

    frozen_clock.set(2026, 11, 27, 11, 0)  # that hour is over
    assert surge_scan() == {"found": 0, "raised": 0, "cleared": 2}


def test_no_surge_within_the_usual_spread_or_below_the_minimum(
    frozen_clock,  # noqa: F811
    world,  # noqa: F811
    place,  # noqa: F811
    monkeypatch,
):
    hour = shanghai(2026, 11, 27, 9, 15)
    orders_at(place, hour, 9)  # no baseline, but below the minimum of 10
    assert surge_scan()["found"] == 0

    monkeypatch.setattr(scans, "SURGE_MIN_COUNT", 3)
    for day, count in zip(range(1, 8), [0, 8, 0, 8, 0, 8, 0], strict=True):
        orders_at(place, hour - timedelta(days=day), count)
    # mean 3.4, std 3.9: 9 is well within mean + 3 std
    assert surge_scan()["found"] == 0


def test_a_ticket_surge(frozen_clock, monkeypatch):  # noqa: F811
    monkeypatch.setattr(scans, "SURGE_MIN_COUNT", 2)
    hour = shanghai(2026, 11, 27, 9, 30)
    for when in [hour, hour, hour - timedelta(days=3)]:
        ticket = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
    assert surge_scan() == {"found": 1, "raised": 1, "cleared": 0}
    alert = one(Alert.Kind.TICKET_SURGE)
    assert alert.subject_key == "surge:tickets:all:2026-11-27T09"
    assert alert.owner_role == "aftersales_agent"
    assert alert.subject_url == "/aftersales/tickets/"
