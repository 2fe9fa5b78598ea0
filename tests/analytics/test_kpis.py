"""Every KPI equals the value worked out by hand on the fixed week of
tests/analytics/kpi_data.py (read its docstring for the story), for the
whole week and for channels, warehouses and shorter periods; traffic lights
against targets; breakdowns, day series, turnover rows; the lists behind the
numbers; and the order and shipment facts the KPIs stand on (delivered at,
short at the first allocation, freight cost at dispatch)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from analytics.models import KpiTarget
from analytics.selectors.kpis import (
    KPI_GROUPS,
    KPI_KEYS,
    KpiFilter,
    kpi_breakdown,
    kpi_series,
    kpi_values,
    traffic_light,
    turnover_rows,
)
from analytics.services import target_set
from erp.core.errors import DomainError
from inventory.services import stock_receive
from logistics.services import shipment_create, shipment_deliver
from orders.services import order_confirm
from orders.services.backorders import backorders_fill
from tests.analytics.kpi_data import (  # noqa: F401  (shared fixtures)
    at,
    days,
    frozen_clock,
    kpi_data,
    packed,
    place,
    service_desk,
    stock,
    world,
)

pytestmark = pytest.mark.django_db

D = Decimal


def figures(f, **kwargs) -> dict:
    """{key: (value, numerator, denominator)} as strings, None kept."""
    return {
        v.key: tuple(None if x is None else str(x) for x in (v.value, v.numerator, v.denominator))
        for v in kpi_values(f, **kwargs)
    }


# The whole week, A (11-02) to G (11-08); 7 days.
WEEK = {
    # O1 300 + O2 300 + O3 500 + O4 200; O5 was cancelled.
    "orders_placed": ("4.00", None, None),
    "revenue": ("1300.00", None, None),
    # Delivered O1 (C <= promised D), O4 (D <= G) on time; O2 (E > promised C) late.
    "on_time_delivery_rate": ("66.67", "2.00", "3.00"),
    # O1 A10:00->C15:00 = 53 h, O4 B14:00->D10:00 = 44 h, O2 A11:00->E12:00 = 97 h.
    "order_cycle_time": ("64.67", "194.00", "3.00"),
    # Lines confirmed: O1 2, O2 1, O3 2 (POT short), O4 1 = 6; 5 fully served.
    "fill_rate": ("83.33", "5.00", "6.00"),
    # 1 of the 4 confirmed orders (O3) had a short line.
    "backorder_rate": ("25.00", "1.00", "4.00"),
    # S1 10+1.3x2 = 12.60, S2 10+1.5x2 = 13.00, S4 10+0.6x2 = 11.20, S3 10+2x2 = 14.00
    # = 50.80 over the 4 orders shipped.
    "freight_cost_per_order": ("12.70", "50.80", "4.00"),
    # Closing values by day: SH tea 800, then 600 from B (x6) = 4400; SH cups 50, 45,
    # then 35 (x5) = 270; BJ tea 200 (x3), 120 (x4) = 1080; BJ pots 60 (x3), 0 (x4)
    # = 180; together 5930, an average of 5930 / 7 = 847.14.
    "inventory_value": ("847.14", None, None),
    # COGS: B 80 + 5 + 120, C 10, D 80 + 60 = 355; 355 / 847.142857 = 0.419.
    "inventory_turnover": ("0.42", "355.00", "847.14"),
    # 847.142857 / (355 / 7 = 50.714286 a day) = 5930 / 355 = 16.70 days.
    "inventory_turnover_days": ("16.70", "847.14", "50.71"),
    # 4 levels carried 7 days = 28 SKU-days; BJ pots empty from D to G = 4.
    "stockout_rate": ("14.29", "4.00", "28.00"),
    # Returns of O1 and O4 counted (O2's rejected) / 3 orders delivered.
    "return_rate": ("66.67", "2.00", "3.00"),
    # T1, T2, T3 and the tickets the three returns opened.
    "tickets_opened": ("6.00", None, None),
    # T1 1 h, T2 6 h.
    "first_response_time": ("3.50", "7.00", "2.00"),
    # T1 3 h, T2 24 h.
    "resolution_time": ("13.50", "27.00", "2.00"),
    # T1 within both targets; T2 breached both.
    "sla_compliance": ("50.00", "1.00", "2.00"),
    # CSAT 5 and 2.
    "csat": ("3.50", "7.00", "2.00"),
    # NPS 10 (promoter) and 8 (passive): (1 - 0) / 2 x 100.
    "nps": ("50.00", "1.00", "2.00"),
}


def co2e(data, *names) -> Decimal:
    return sum((data["shipments"][n].co2e_kg for n in names), D("0"))


def test_every_kpi_equals_its_hand_computed_value(kpi_data):  # noqa: F811
    start, end = days("A", "G")
    got = figures(KpiFilter(start, end), source="raw")
    # CO2e per shipment is the carbon estimate's (tested in logistics): summed / 4 orders.
    total = co2e(kpi_data, "s1", "s2", "s3", "s4")
    assert total > 0
    assert got.pop("co2e_per_order") == (
        str((total / 4).quantize(D("0.01"))),
        str(total.quantize(D("0.01"))),
        "4.00",
    )
    assert got == WEEK
    assert list(figures(KpiFilter(start, end), source="raw")) == KPI_KEYS
    assert {key for keys in KPI_GROUPS.values() for key in keys} <= set(KPI_KEYS)


def test_filters_by_channel_warehouse_and_period(kpi_data):  # noqa: F811
    web, b2b = kpi_data["web"].pk, kpi_data["b2b"].pk
    sh, bj = kpi_data["sh"].pk, kpi_data["bj"].pk
    start, end = days("A", "G")

    got = figures(KpiFilter(start, end, channel_id=web), source="raw")
    assert got["orders_placed"][0] == "3.00"  # O1, O2, O4
    assert got["revenue"][0] == "800.00"
    assert got["fill_rate"] == ("100.00", "4.00", "4.00")  # 2 + 1 + 1 lines, none short
    assert got["backorder_rate"] == ("0.00", "0.00", "3.00")
    assert got["freight_cost_per_order"] == ("12.27", "36.80", "3.00")  # S1 + S2 + S4
    assert got["tickets_opened"][0] == "5.00"  # T3 has no order
    assert got["on_time_delivery_rate"] == ("66.67", "2.00", "3.00")
    # Stock is not split by channel: the channel filter leaves it whole.
    assert got["inventory_turnover_days"] == WEEK["inventory_turnover_days"]

    got = figures(KpiFilter(start, end, channel_id=b2b), source="raw")
    assert got["orders_placed"][0] == "1.00" and got["revenue"][0] == "500.00"
    assert got["on_time_delivery_rate"] == (None, "0.00", "0.00")  # nothing delivered
    assert got["return_rate"] == (None, "0.00", "0.00")
    assert got["fill_rate"] == ("50.00", "1.00", "2.00")
    assert got["backorder_rate"] == ("100.00", "1.00", "1.00")
    assert got["freight_cost_per_order"] == ("14.00", "14.00", "1.00")

    # BJ01: O3 (its first reservation there) and BJ01's stock.
    got = figures(KpiFilter(start, end, warehouse_id=bj), source="raw")
    assert got["orders_placed"][0] == "1.00" and got["revenue"][0] == "500.00"
    # Closing values 1080 + 180 = 1260 over 7 days = 180.00; COGS 80 + 60 = 140.
    assert got["inventory_value"][0] == "180.00"
    assert got["inventory_turnover"] == ("0.78", "140.00", "180.00")
    assert got["inventory_turnover_days"] == ("9.00", "180.00", "20.00")  # 1260 / 140
    assert got["stockout_rate"] == ("28.57", "4.00", "14.00")  # pots out D-G of 14

    got = figures(KpiFilter(start, end, channel_id=web, warehouse_id=sh), source="raw")
    assert got["orders_placed"][0] == "3.00" and got["return_rate"][0] == "66.67"

    # B (11-03) to D (11-05), 3 days.
    start, end = days("B", "D")
    got = figures(KpiFilter(start, end), source="raw")
    assert got["orders_placed"][0] == "2.00"  # O3, O4
    assert got["revenue"][0] == "700.00"
    assert got["fill_rate"] == ("66.67", "2.00", "3.00")  # O3 2 lines (1 short), O4 1
    assert got["backorder_rate"] == ("50.00", "1.00", "2.00")
    assert got["on_time_delivery_rate"] == ("100.00", "2.00", "2.00")  # O1 on C, O4 on D
    assert got["order_cycle_time"] == ("48.50", "97.00", "2.00")  # 53 + 44
    assert got["freight_cost_per_order"] == ("12.70", "50.80", "4.00")  # all left B-D
    assert got["return_rate"] == ("50.00", "1.00", "2.00")  # O1's return on D
    assert got["tickets_opened"][0] == "4.00"  # T1, T2 on C; T3 (00:30) and T4 on D
    assert got["csat"] == ("3.50", "7.00", "2.00")
    # Closing values: SH tea 600 x3, SH cups 45 + 35 + 35, BJ tea 200 + 200 + 120,
    # BJ pots 60 + 60 + 0 = 2555; COGS 205 + 10 + 140 = 355.
    assert got["inventory_value"][0] == "851.67"  # 2555 / 3
    assert got["inventory_turnover_days"][0] == "7.20"  # 2555 / 355
    assert got["stockout_rate"] == ("8.33", "1.00", "12.00")

    # One local day, C (11-04): T3 was opened at 00:30 on D (16:30 UTC on C).
    start, end = days("C", "C")
    got = figures(KpiFilter(start, end), source="raw")
    assert got["tickets_opened"][0] == "2.00"
    assert got["orders_placed"][0] == "0.00"
    assert got["fill_rate"][0] is None


def test_traffic_lights_against_targets(kpi_data):  # noqa: F811
    K, C = KpiTarget.Kpi, KpiTarget.Comparison
    target_set(kpi=K.ON_TIME_DELIVERY_RATE, comparison=C.AT_LEAST, target=D("95"))
    # 83.33 is below 85 but within the default amber band (5% of 85 = 4.25).
    target_set(kpi=K.FILL_RATE, comparison=C.AT_LEAST, target=D("85"))
    target_set(
        kpi=K.INVENTORY_TURNOVER_DAYS,
        comparison=C.WITHIN,
        target=D("16"),
        tolerance_percent=D("20"),
    )
    target_set(
        kpi=K.RESOLUTION_TIME, comparison=C.AT_MOST, target=D("13"), tolerance_percent=D("10")
    )
    target_set(kpi=K.RETURN_RATE, comparison=C.AT_MOST, target=D("5"))
    start, end = days("A", "G")
    values = {v.key: v for v in kpi_values(KpiFilter(start, end))}
    assert (values["on_time_delivery_rate"].target, values["on_time_delivery_rate"].status) == (
        D("95"),
        "red",
    )
    assert values["fill_rate"].status == "amber"
    assert values["inventory_turnover_days"].status == "green"  # |16.70 - 16| <= 3.2
    assert values["resolution_time"].status == "amber"  # 13.50 <= 13 + 1.3
    assert values["return_rate"].status == "red"
    assert values["csat"].status == "none" and values["csat"].target is None
    # No value, no light: nothing was delivered on the B2B channel.
    b2b = KpiFilter(start, end, channel_id=kpi_data["b2b"].pk)
    assert kpi_values(b2b, ["on_time_delivery_rate"])[0].status == "none"


def test_traffic_light_rule():
    def target(comparison, goal, tolerance="0"):
        return KpiTarget(comparison=comparison, target=D(goal), tolerance_percent=D(tolerance))

    C = KpiTarget.Comparison
    at_least = target(C.AT_LEAST, "95")  # amber band: 5% of 95 = 4.75
    assert [traffic_light(at_least, D(v)) for v in ("95", "90.25", "90.24")] == [
        "green",
        "amber",
        "red",
    ]
    at_most = target(C.AT_MOST, "48", "25")  # its own band: 12
    assert [traffic_light(at_most, D(v)) for v in ("48", "60", "60.01")] == [
        "green",
        "amber",
        "red",
    ]
    within = target(C.WITHIN, "30", "20")  # green 24-36, amber 18-42
    assert [traffic_light(within, D(v)) for v in ("24", "36", "18", "42.5", "17.9")] == [
        "green",
        "green",
        "amber",
        "red",
        "red",
    ]
    assert traffic_light(None, D("1")) == "none" and traffic_light(at_least, None) == "none"


def test_breakdowns(kpi_data):  # noqa: F811
    start, end = days("A", "G")
    f = KpiFilter(start, end)
    assert kpi_breakdown(f, "revenue", "channel") == [("WEB", D("800.00")), ("B2B", D("500.00"))]
    assert kpi_breakdown(f, "orders_placed", "warehouse") == [
        ("SH01", D("3.00")),
        ("BJ01", D("1.00")),
    ]
    # Counted returns per reason, most frequent first (ties by name); the rejected one not.
    assert kpi_breakdown(f, "return_rate", "reason") == [("不想要了", D("1")), ("包装破损", D("1"))]
    # SH01: (4400 + 270) / (200 + 15) = 21.72 days; BJ01: 1260 / 140 = 9.00.
    assert kpi_breakdown(f, "inventory_turnover_days", "warehouse") == [
        ("SH01", D("21.72")),
        ("BJ01", D("9.00")),
    ]
    # 茶叶 (tea): (4400 + 1080) / (200 + 80) = 19.57; 茶具: (270 + 180) / (15 + 60) = 6.00.
    assert kpi_breakdown(f, "inventory_turnover_days", "category") == [
        ("茶叶", D("19.57")),
        ("茶具", D("6.00")),
    ]
    with translation.override("en"), pytest.raises(DomainError) as refused:
        kpi_breakdown(f, "fill_rate", "reason")
    assert refused.value.field == "by"
    assert "cannot be broken down by reason" in refused.value.message
    with pytest.raises(DomainError) as refused:
        kpi_values(f, ["nope"])
    assert refused.value.field == "key"


def test_day_series(kpi_data):  # noqa: F811
    start, end = days("A", "G")
    series = dict(kpi_series(KpiFilter(start, end), "orders_placed"))
    assert list(series.values()) == [D("2.00"), D("2.00")] + [D("0.00")] * 5
    on_time = dict(kpi_series(KpiFilter(start, end), "on_time_delivery_rate"))
    assert on_time[date(2026, 11, 4)] == D("100.00")  # O1
    assert on_time[date(2026, 11, 5)] == D("100.00")  # O4
    assert on_time[date(2026, 11, 6)] == D("0.00")  # O2, late
    assert on_time[date(2026, 11, 2)] is None  # nothing delivered
    # A day to come has no value.
    later = dict(kpi_series(KpiFilter(end, date(2026, 11, 9)), "orders_placed"))
    assert later[date(2026, 11, 9)] is None


def test_turnover_rows_per_warehouse_and_category(kpi_data):  # noqa: F811
    start, end = days("A", "G")
    rows = turnover_rows(KpiFilter(start, end))
    assert rows == [
        # BJ pots: COGS 60; 180 / 7 = 25.71; 60 / 25.71; 180 / 60.
        {
            "warehouse": "BJ01",
            "category": "茶具",
            "cogs": D("60.00"),
            "average_inventory_value": D("25.71"),
            "turnover": D("2.33"),
            "days_of_inventory": D("3.00"),
        },
        # BJ tea: COGS 80; 1080 / 7 = 154.29 average; 80 / 154.29; 1080 / 80 days.
        {
            "warehouse": "BJ01",
            "category": "茶叶",
            "cogs": D("80.00"),
            "average_inventory_value": D("154.29"),
            "turnover": D("0.52"),
            "days_of_inventory": D("13.50"),
        },
        # SH cups: COGS 5 + 10; 270 / 7 = 38.57; 15 / 38.57; 270 / 15.
        {
            "warehouse": "SH01",
            "category": "茶具",
            "cogs": D("15.00"),
            "average_inventory_value": D("38.57"),
            "turnover": D("0.39"),
            "days_of_inventory": D("18.00"),
        },
        # SH tea: COGS 80 + 120; 4400 / 7 = 628.57; 200 / 628.57; 4400 / 200.
        {
            "warehouse": "SH01",
            "category": "茶叶",
            "cogs": D("200.00"),
            "average_inventory_value": D("628.57"),
            "turnover": D("0.32"),
            "days_of_inventory": D("22.00"),
        },
    ]
    only_bj = turnover_rows(KpiFilter(start, end, warehouse_id=kpi_data["bj"].pk))
    assert [row["category"] for row in only_bj] == ["茶具", "茶叶"]  # in code point order


def rows_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_lists_behind_the_numbers(kpi_data, role_client, make_user):  # noqa: F811
    orders, shipments = kpi_data["orders"], kpi_data["shipments"]
    start, end = days("A", "G")
    values = {v.key: v for v in kpi_values(KpiFilter(start, end))}
    admin = role_client("admin")

    late = rows_of(admin.get(values["on_time_delivery_rate"].drill_url))
    assert orders["o2"].number in late
    assert orders["o1"].number not in late and orders["o4"].number not in late
    # The drill-down's own filters show on the page, the everyday form does not carry them.
    assert 'name="delivery"' in late
    assert 'name="delivery"' not in rows_of(admin.get("/orders/orders/"))

    short = rows_of(admin.get(values["backorder_rate"].drill_url))
    assert orders["o3"].number in short and orders["o1"].number not in short

    placed = rows_of(admin.get(values["orders_placed"].drill_url))
    assert all(orders[n].number in placed for n in ("o1", "o2", "o3", "o4"))
    assert orders["o5"].number not in placed

    dispatched = rows_of(admin.get(values["freight_cost_per_order"].drill_url))
    assert all(s.number in dispatched for s in shipments.values())

    returns = rows_of(admin.get(values["return_rate"].drill_url))
    r = kpi_data["returns"]
    assert r["r1"].number in returns and r["r2"].number in returns
    assert r["r3"].number not in returns

    # Narrowed to one reason, as a dashboard's slice of the reasons links it.
    broken = rows_of(admin.get(values["return_rate"].drill_url + "&reason=包装破损"))
    assert r["r1"].number in broken and r["r2"].number not in broken

    # The cost of goods sold: the shipments' stock moves, here of one category.
    cogs = rows_of(admin.get(values["inventory_turnover"].drill_url + "&category=茶具"))
    assert "CUP-1" in cogs and "POT-1" in cogs and "TEA-1" not in cogs

    missed = rows_of(admin.get(values["sla_compliance"].drill_url))
    t = kpi_data["tickets"]
    assert t["t2"].number in missed and t["t1"].number not in missed

    # Filtered by the order's warehouse: BJ01 holds O3 only.
    bj = KpiFilter(start, end, warehouse_id=kpi_data["bj"].pk, channel_id=kpi_data["b2b"].pk)
    drill = kpi_values(bj, ["orders_placed"])[0].drill_url
    assert "warehouse=BJ01" in drill and "channel=B2B" in drill
    page = rows_of(admin.get(drill))
    assert orders["o3"].number in page and orders["o1"].number not in page

    # Links to lists a user may not open are left out: analysts do not read tickets.
    analyst = make_user("analyst")
    seen = {v.key: v.drill_url for v in kpi_values(KpiFilter(start, end), user=analyst)}
    assert seen["first_response_time"] is None and seen["csat"] is None
    assert seen["on_time_delivery_rate"].startswith("/orders/orders/?")


def test_order_delivered_at_is_the_last_proof_of_delivery(kpi_data, place, packed):  # noqa: F811
    clock = kpi_data["clock"]
    clock.set(at("G", 8))
    order = place(("tea", 1))
    order_confirm(order=order)
    shipment = kpi_data["ship"](order, kpi_data["sh"], at("G", 9))
    clock.set(at("G", 18))
    # Recorded at 18:00, signed for at 11:00: the order was delivered at 11:00.
    shipment_deliver(shipment=shipment, recipient_name="王芳", delivered_at=at("G", 11))
    order.refresh_from_db()
    assert order.status == "delivered" and order.delivered_at == at("G", 11)
    assert kpi_data["orders"]["o1"].delivered_at == at("C", 15)


def test_short_at_allocation_is_set_by_the_first_allocation_only(kpi_data):  # noqa: F811
    o3 = kpi_data["orders"]["o3"]
    pot_line = o3.lines.get(sku="POT-1")
    assert (pot_line.quantity_short_at_allocation, pot_line.quantity_backordered) == (2, 2)
    clock = kpi_data["clock"]
    clock.set(at("G", 21))
    stock_receive(warehouse=kpi_data["bj"], product=kpi_data["pot"], quantity=5)
    assert backorders_fill(product_id=kpi_data["pot"].pk) == 2
    pot_line.refresh_from_db()
    assert (pot_line.quantity_short_at_allocation, pot_line.quantity_backordered) == (2, 0)
    start, end = days("A", "G")
    assert figures(KpiFilter(start, end), source="raw")["fill_rate"] == WEEK["fill_rate"]


def test_freight_cost_is_set_at_dispatch(kpi_data, place, packed):  # noqa: F811
    s = kpi_data["shipments"]
    # base 10.00 + weight x 2.00 per kg
    assert [s[n].freight_cost for n in ("s1", "s2", "s3", "s4")] == [
        D("12.60"),
        D("13.00"),
        D("14.00"),
        D("11.20"),
    ]
    clock = kpi_data["clock"]
    clock.set(at("G", 9))
    order = place(("tea", 1))
    order_confirm(order=order)
    waiting = packed(shipment_create(order=order, warehouse=kpi_data["sh"]))
    assert waiting.freight_cost is None  # packed, not yet gone
