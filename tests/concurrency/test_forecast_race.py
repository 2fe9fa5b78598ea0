"""The forecast refresh run by several workers at once (PostgreSQL): the same
rows as one run, no error. The negative control shows that without the
advisory lock the workers, each finding no forecast yet, insert the same
ones and only the unique constraints stop the duplicates."""

import threading

import pytest
from django.db import IntegrityError

from analytics.models import ForecastRun, ReorderSuggestion
from analytics.services import forecasting
from analytics.services.forecasting import forecast_refresh
from tests.aftersales.conftest import frozen_clock, shanghai  # noqa: F401
from tests.analytics.test_forecasting import demand, snapshot  # noqa: F401
from tests.concurrency.test_stock_race import run_concurrently
from tests.orders.conftest import world  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 3


def test_workers_at_once_leave_the_rows_of_one_run(demand, frozen_clock):  # noqa: F811
    results, errors = run_concurrently(lambda i: forecast_refresh(), n=WORKERS)
    assert errors == []
    runs, points, suggestions = snapshot()
    keys = [(r[1], r[2], r[3]) for r in runs]
    assert len(keys) == len(set(keys)) == results[0]["forecasts"]
    assert {r["forecasts"] for r in results} == {len(runs)}
    assert len(points) == results[0]["points"]
    assert ReorderSuggestion.objects.count() == len(suggestions) == results[0]["suggestions"]
    forecast_refresh()
    assert snapshot() == (runs, points, suggestions)


def test_negative_control_without_the_lock_the_constraints_stop_duplicates(
    demand,  # noqa: F811
    frozen_clock,  # noqa: F811
    monkeypatch,
):
    # Instead of the lock: every worker waits for the others, then all read
    # "no forecasts yet" and insert.
    together = threading.Barrier(WORKERS)
    monkeypatch.setattr(forecasting, "advisory_lock", lambda key: together.wait(timeout=60))
    results, errors = run_concurrently(lambda i: forecast_refresh(), n=WORKERS)
    assert len(results) == 1
    assert len(errors) == WORKERS - 1
    assert all(isinstance(e, IntegrityError) for e in errors)
    keys = list(ForecastRun.objects.values_list("product_id", "warehouse_id", "granularity"))
    assert len(keys) == len(set(keys))
