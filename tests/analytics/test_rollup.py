"""The daily rollup: equal to the raw aggregate for every filter, unchanged
by a second run, incremental (a late change to a past day is picked up, an
untouched day is not rebuilt), rebuilt whole by the command, run by the job
and safe when two workers run it at once (PostgreSQL)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from aftersales.services import returns as rma
from aftersales.services.tickets import ticket_customer_message
from analytics.models import DailyFacts, DailyReturnReason, DailyStockFacts, RollupState
from analytics.selectors import kpis
from analytics.selectors.kpis import (
    KPI_KEYS,
    KPIS,
    KpiFilter,
    kpi_breakdown,
    kpi_series,
    kpi_values,
    turnover_rows,
)
from analytics.services import rollup
from analytics.services.rollup import rollup_daily, rollup_rebuild
from inventory.services import stock_receive
from logistics.services import shipment_deliver
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
from tests.concurrency.test_stock_race import run_concurrently

pytestmark = pytest.mark.django_db

H = date(2026, 11, 9)  # the day after the fixed week


def _sorted(rows) -> list:
    return sorted(rows, key=lambda row: tuple(-1 if v is None else v for v in row[:3]))


def snapshot() -> dict:
    """Every rollup row, as comparable tuples."""
    return {
        "facts": _sorted(
            DailyFacts.objects.values_list("day", "channel_id", "warehouse_id", *FACTS)
        ),
        "stock": sorted(
            DailyStockFacts.objects.values_list("day", "warehouse_id", "category", *STOCK)
        ),
        "reasons": _sorted(
            DailyReturnReason.objects.values_list(
                "day", "channel_id", "warehouse_id", "reason", "returns"
            )
        ),
    }


FACTS = [
    f.name
    for f in DailyFacts._meta.concrete_fields
    if f.name not in ("id", "day", "channel", "warehouse")
]
STOCK = ["cogs", "closing_value", "skus_carried", "skus_out"]


def filters(data, start, end) -> list[KpiFilter]:
    web, b2b, sh, bj = (data[k].pk for k in ("web", "b2b", "sh", "bj"))
    return [
        KpiFilter(start, end),
        KpiFilter(start, end, channel_id=web),
        KpiFilter(start, end, channel_id=b2b),
        KpiFilter(start, end, warehouse_id=sh),
        KpiFilter(start, end, warehouse_id=bj),
        KpiFilter(start, end, channel_id=web, warehouse_id=sh),
        KpiFilter(start + timedelta(1), end - timedelta(2)),  # a sub-period
        KpiFilter(start + timedelta(2), start + timedelta(2), warehouse_id=bj),  # one day
    ]


def assert_rollup_equals_raw(f: KpiFilter) -> None:
    stored = kpi_values(f, source="rollup")
    raw = kpi_values(f, source="raw")
    assert [(v.key, v.value, v.numerator, v.denominator) for v in stored] == [
        (v.key, v.value, v.numerator, v.denominator) for v in raw
    ], f
    for key in ("revenue", "on_time_delivery_rate", "inventory_turnover_days", "csat"):
        assert kpi_series(f, key, source="rollup") == kpi_series(f, key, source="raw"), (f, key)
        for by in KPIS[key].breakdowns:
            assert kpi_breakdown(f, key, by, source="rollup") == kpi_breakdown(
                f, key, by, source="raw"
            ), (f, key, by)
    assert kpi_breakdown(f, "return_rate", "reason", source="rollup") == kpi_breakdown(
        f, "return_rate", "reason", source="raw"
    )
    assert turnover_rows(f, source="rollup") == turnover_rows(f, source="raw")


def test_the_rollup_equals_the_raw_aggregate_for_every_filter(kpi_data):  # noqa: F811
    result = rollup_daily()
    assert result["built_through"] == "2026-11-08"
    assert result["days"] == 7  # the first run builds from the first day with data
    start, end = days("A", "G")
    for f in filters(kpi_data, start, end):
        assert_rollup_equals_raw(f)
    # Summed rows are the week's facts: e.g. revenue by channel and warehouse cells.
    cells = DailyFacts.objects.filter(orders_placed__gt=0).values_list(
        "day", "channel__code", "warehouse__code", "orders_placed", "revenue"
    )
    assert sorted(cells) == [
        (date(2026, 11, 2), "WEB", "SH01", 2, Decimal("600.00")),
        (date(2026, 11, 3), "B2B", "BJ01", 1, Decimal("500.00")),
        (date(2026, 11, 3), "WEB", "SH01", 1, Decimal("200.00")),
    ]
    # A stock row for every day a warehouse and category held stock, moves or not.
    assert DailyStockFacts.objects.count() == 4 * 7


def test_auto_reads_the_rollup_for_built_days(kpi_data, monkeypatch):  # noqa: F811
    rollup_daily()
    start, end = days("A", "G")
    expected = kpi_values(KpiFilter(start, end), source="raw")

    def not_live(*args):
        raise AssertionError("computed live although the rollup has the day")

    monkeypatch.setattr(kpis, "order_facts", not_live)
    monkeypatch.setattr(kpis, "stock_facts", not_live)
    assert kpi_values(KpiFilter(start, end)) == expected


def test_days_not_built_yet_are_computed_live(kpi_data):  # noqa: F811
    start, end = days("A", "G")
    before = kpi_values(KpiFilter(start, end), source="raw")
    assert kpi_values(KpiFilter(start, end)) == before  # nothing built: all live
    clock = kpi_data["clock"]
    rollup_rebuild(date_from=start, date_to=end - timedelta(2))  # built through E
    assert RollupState.objects.get().built_through == date(2026, 11, 6)
    assert kpi_values(KpiFilter(start, end)) == before  # A-E stored, F-G live
    clock.set(at("G", 23))
    assert kpi_values(KpiFilter(start, end)) == before


def test_running_twice_changes_nothing(kpi_data):  # noqa: F811
    rollup_daily()
    first = snapshot()
    assert first["facts"] and first["stock"] and first["reasons"]
    again = rollup_daily()
    assert snapshot() == first
    # The second run found nothing changed: only the recent days were redone.
    assert again["days"] == 2
    rollup_rebuild()
    assert snapshot() == first


def test_the_incremental_run_picks_up_late_changes(kpi_data):  # noqa: F811
    rollup_daily()  # Sunday G 20:00
    clock = kpi_data["clock"]
    o3, s3 = kpi_data["orders"]["o3"], kpi_data["shipments"]["s3"]
    # Day A is left alone by the changes below; mark it to see it is not rebuilt.
    DailyFacts.objects.filter(day=date(2026, 11, 2)).update(tickets_opened=99)

    # Monday H: the pots arrive, O3's backorder ships, and O3 is delivered.
    clock.set(H.year, H.month, H.day, 9)
    stock_receive(warehouse=kpi_data["bj"], product=kpi_data["pot"], quantity=2)
    backorders_fill(product_id=kpi_data["pot"].pk)
    s5 = kpi_data["ship"](o3, kpi_data["bj"], at("G", 0) + timedelta(days=1, hours=9, minutes=30))
    clock.set(H.year, H.month, H.day, 10)
    shipment_deliver(shipment=s3, recipient_name="王芳")
    shipment_deliver(shipment=s5, recipient_name="王芳")
    o3.refresh_from_db()
    assert o3.status == "delivered"
    # O4's return of Saturday (F) is rejected after all.
    rma.return_reject(rma=kpi_data["returns"]["r2"], reason="超过退货期限", actor=None)
    # T1 (resolved on C) is reopened by the customer: its resolution no longer counts on C.
    ticket_customer_message(
        ticket=kpi_data["tickets"]["t1"], body="问题又出现了。", channel="phone"
    )

    result = rollup_daily()
    assert result["built_through"] == "2026-11-09"
    start, end = date(2026, 11, 2), H
    for f in filters(kpi_data, start, end):
        f_without_a = KpiFilter(start + timedelta(1), f.date_to, f.channel_id, f.warehouse_id)
        assert_rollup_equals_raw(f_without_a)
    week = {v.key: v for v in kpi_values(KpiFilter(start + timedelta(1), end))}
    # O3 delivered on H, before its promised 11-10: 3 of 4 on time.
    assert (week["on_time_delivery_rate"].numerator, week["on_time_delivery_rate"].denominator) == (
        Decimal("3.00"),
        Decimal("4.00"),
    )
    # Only O1's return still counts; T2 alone was resolved.
    assert week["return_rate"].numerator == Decimal("1.00")
    assert week["resolution_time"].denominator == Decimal("1.00")
    # Day A was not touched, so not rebuilt; a full rebuild puts it right.
    assert DailyFacts.objects.filter(day=date(2026, 11, 2), tickets_opened=99).exists()
    rollup_rebuild()
    assert not DailyFacts.objects.filter(tickets_opened=99).exists()
    assert_rollup_equals_raw(KpiFilter(start, end))


def test_a_new_product_category_rebuilds_the_stock_days(kpi_data):  # noqa: F811
    rollup_daily()
    pot = kpi_data["pot"]
    pot.category = "茶壶"
    pot.save()
    rollup_daily()
    start, end = days("A", "G")
    assert kpi_breakdown(KpiFilter(start, end), "inventory_value", "category", source="rollup") == (
        kpi_breakdown(KpiFilter(start, end), "inventory_value", "category", source="raw")
    )
    assert "茶壶" in set(DailyStockFacts.objects.values_list("category", flat=True))


def test_rebuild_command(kpi_data):  # noqa: F811
    from io import StringIO

    out = StringIO()
    call_command("rollup_rebuild", "--from", "2026-11-02", "--to", "2026-11-08", stdout=out)
    assert "built through 2026-11-08" in out.getvalue()
    for f in filters(kpi_data, *days("A", "G")):
        assert_rollup_equals_raw(f)
    with pytest.raises(CommandError, match="not a date"):
        call_command("rollup_rebuild", "--from", "yesterday")
    with pytest.raises(CommandError, match="after"):
        call_command("rollup_rebuild", "--from", "2026-11-08", "--to", "2026-11-02")


def test_the_job_runs_from_run_due_jobs(kpi_data):  # noqa: F811
    from io import StringIO

    out = StringIO()
    call_command("run_due_jobs", "--only", "rollup-kpis", "rollup-kpis-nightly", stdout=out)
    assert "ok rollup-kpis (analytics.rollup_daily)" in out.getvalue()
    assert RollupState.objects.get(name=rollup.ROLLUP).built_through == date(2026, 11, 8)
    assert_rollup_equals_raw(KpiFilter(*days("A", "G")))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_at_once_build_each_day_once(kpi_data):  # noqa: F811
    results, errors = run_concurrently(lambda i: rollup_daily(), n=4)
    assert errors == []
    assert sum(r["days"] == 7 for r in results) == 1  # one built it, the others caught up
    built = snapshot()
    keys = [row[:3] for row in built["facts"]]
    assert len(keys) == len(set(keys))
    assert_rollup_equals_raw(KpiFilter(*days("A", "G")))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_locks_two_runs_write_a_day_twice(kpi_data, monkeypatch):  # noqa: F811
    # Negative control: what the advisory lock and the state row lock prevent.
    import threading

    RollupState.objects.create(name=rollup.ROLLUP)
    monkeypatch.setattr(rollup, "advisory_lock", lambda key: None)
    monkeypatch.setattr(rollup, "_state", lambda: RollupState.objects.get(name=rollup.ROLLUP))
    both_read = threading.Barrier(2, timeout=20)
    build = rollup._build

    def build_after_both_read(*args):
        both_read.wait()
        return build(*args)

    monkeypatch.setattr(rollup, "_build", build_after_both_read)
    _results, errors = run_concurrently(lambda i: rollup_daily(), n=2)
    assert errors == []
    keys = [row[:3] for row in snapshot()["facts"]]
    assert len(keys) > len(set(keys))


def test_every_kpi_is_in_the_rollup(kpi_data):  # noqa: F811
    rollup_daily()
    start, end = days("A", "G")
    stored = kpi_values(KpiFilter(start, end), source="rollup")
    assert [v.key for v in stored] == KPI_KEYS
    assert all(v.value is not None for v in stored)
