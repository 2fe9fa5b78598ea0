"""Demand forecasts and reorder suggestions: the nightly refresh, and
applying a suggestion to its product.

`forecast_refresh()` (job analytics.forecast_refresh):

1. History: units ordered per product, per warehouse and for all warehouses,
   per local day over the last ANALYTICS_FORECAST_HISTORY_DAYS (see
   analytics.selectors.forecasts for what counts and where), summed into
   complete months, ISO weeks and days. Each series starts at its first
   period with demand, zero-filled from there to the last complete period.
2. One forecast per series and granularity, each fitted on its own (a week
   is not derived from the days: each level gets its own seasonality - a
   week of days, a year of weeks or of months - and its own backtest):
   exponential smoothing where the history supports it, else seasonal naive
   (analytics.services.forecast_models). The forecast starts with the
   current period and runs ANALYTICS_FORECAST_HORIZONS periods.
3. A reorder suggestion per (product, warehouse) and for all warehouses,
   from the finest granularity forecast by a model (day, then week, then
   month; seasonal naive only when no level has a model): the forecast
   spread evenly over the days of each period from today on, σ per day =
   σ per period / √(days per period) (independent days), then
   forecast_models.reorder_numbers with the product's lead time,
   ANALYTICS_SERVICE_LEVEL and ANALYTICS_REORDER_REVIEW_DAYS.

Fitting happens outside any transaction; the results are written in one
transaction under an advisory lock, through the natural keys (a run per
product, warehouse and granularity; a suggestion per product and
warehouse): rows are updated in place, new ones added and those no longer
forecast deleted, so a second run - or two at once - leaves the same rows.
Keeping it fast: one pair of aggregate queries for the whole history, ETS
only for series with enough demand (statsmodels fits take milliseconds),
seasonal naive (no fit) for the rest.
"""

import logging
import math
import time as clock
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import ForecastPoint, ForecastRun, Granularity, ReorderSuggestion
from analytics.selectors.forecasts import (
    GRANULARITIES,
    PERIOD_DAYS,
    SEASON,
    bucket,
    complete_periods,
    demand_by_day,
    future_periods,
    history_since,
    period_days,
)
from analytics.services.forecast_models import (
    ETS,
    SeriesForecast,
    forecast_series,
    reorder_numbers,
)
from erp.core.db import advisory_lock
from erp.core.errors import DomainError
from inventory.models import Product, Warehouse

log = logging.getLogger(__name__)

LOCK_KEY = "analytics:forecast_refresh"
# Periods a series needs besides the backtest's holdout before a model is fitted.
MIN_TRAIN = {Granularity.DAY: 56, Granularity.WEEK: 26, Granularity.MONTH: 12}
# The reorder suggestion reads the finest level with a model.
SOURCE_ORDER = (Granularity.DAY, Granularity.WEEK, Granularity.MONTH)

RUN_FIELDS = [
    "method",
    "model_label",
    "trend",
    "seasonal",
    "seasonal_periods",
    "history_start",
    "history_end",
    "history_periods",
    "demand_periods",
    "horizon",
    "sigma",
    "mase",
    "naive_mase",
    "generated_at",
]
SUGGESTION_FIELDS = [
    "run",
    "lead_time_days",
    "review_days",
    "service_level",
    "daily_demand",
    "lead_time_demand",
    "safety_stock",
    "reorder_point",
    "reorder_quantity",
    "generated_at",
]


@dataclass
class _Result:
    key: tuple[int, int | None]
    granularity: str
    forecast: SeriesForecast
    history_start: date
    history_end: date
    periods: list[date]  # starts of the forecast periods


def _decimal(value: float | None, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(float(value))).quantize(Decimal(places), rounding=ROUND_HALF_UP)


# --- Fitting -------------------------------------------------------------------------


def forecasts_compute(*, today: date) -> list[_Result]:
    """Every forecast (no writes): active products, active warehouses."""
    since = history_since(today)
    demand = demand_by_day(since=since, until=today)
    products = set(Product.objects.filter(active=True).values_list("pk", flat=True))
    warehouses = set(Warehouse.objects.filter(active=True).values_list("pk", flat=True))
    calendars = {g: complete_periods(since, today, g) for g in GRANULARITIES}
    horizons = settings.ANALYTICS_FORECAST_HORIZONS
    results = []
    for key in sorted(demand, key=lambda k: (k[0], k[1] is not None, k[1] or 0)):
        product_id, warehouse_id = key
        if product_id not in products:
            continue
        if warehouse_id is not None and warehouse_id not in warehouses:
            continue
        for granularity in GRANULARITIES:
            starts = calendars[granularity]
            values = bucket(demand[key], starts, granularity)
            first = next((i for i, units in enumerate(values) if units), None)
            if first is None:
                continue
            forecast = forecast_series(
                values[first:],
                m=SEASON[granularity],
                horizon=horizons[granularity],
                min_train=MIN_TRAIN[granularity],
                level=settings.ANALYTICS_FORECAST_INTERVAL,
            )
            if forecast is None:
                continue
            results.append(
                _Result(
                    key=key,
                    granularity=granularity,
                    forecast=forecast,
                    history_start=starts[first],
                    history_end=starts[-1],
                    periods=future_periods(today, granularity, horizons[granularity]),
                )
            )
    return results


def daily_forecast(points: list[tuple[date, float]], granularity: str, today: date) -> list[float]:
    """The forecast as units a day from today on: each period's units spread
    evenly over its days (of the current period, only those from today)."""
    daily: list[float] = []
    for start, units in points:
        days = period_days(start, granularity)
        rate = float(units) / days
        first = max((today - start).days, 0)
        daily.extend([rate] * max(days - first, 0))
    return daily


def _suggest(results: list[_Result], products: dict[int, Product], today: date) -> list[dict]:
    by_key: dict = {}
    for result in results:
        by_key.setdefault(result.key, {})[result.granularity] = result
    suggestions = []
    for key, levels in by_key.items():
        source = next(
            (levels[g] for g in SOURCE_ORDER if g in levels and levels[g].forecast.method == ETS),
            None,
        ) or next(levels[g] for g in SOURCE_ORDER if g in levels)
        product = products[key[0]]
        forecast = source.forecast
        numbers = reorder_numbers(
            daily=daily_forecast(
                list(zip(source.periods, forecast.quantity, strict=True)),
                source.granularity,
                today,
            ),
            lead_time_days=product.lead_time_days,
            review_days=settings.ANALYTICS_REORDER_REVIEW_DAYS,
            sigma_daily=forecast.sigma / math.sqrt(PERIOD_DAYS[source.granularity]),
            service_level=settings.ANALYTICS_SERVICE_LEVEL,
        )
        suggestions.append(
            {
                "key": key,
                "source": (key, source.granularity),
                "lead_time_days": product.lead_time_days,
                "review_days": settings.ANALYTICS_REORDER_REVIEW_DAYS,
                "service_level": _decimal(settings.ANALYTICS_SERVICE_LEVEL, "0.0001"),
                "daily_demand": _decimal(numbers.daily_demand, "0.0001"),
                "lead_time_demand": _decimal(numbers.lead_time_demand, "0.01"),
                "safety_stock": _decimal(numbers.safety_stock, "0.01"),
                "reorder_point": numbers.reorder_point,
                "reorder_quantity": numbers.reorder_quantity,
            }
        )
    return suggestions


# --- Writing -------------------------------------------------------------------------


def _run_values(result: _Result, now: datetime) -> dict:
    forecast = result.forecast
    return {
        "method": forecast.method,
        "model_label": forecast.label,
        "trend": forecast.trend,
        "seasonal": forecast.seasonal,
        "seasonal_periods": forecast.seasonal_periods,
        "history_start": result.history_start,
        "history_end": result.history_end,
        "history_periods": forecast.history_periods,
        "demand_periods": forecast.demand_periods,
        "horizon": len(result.periods),
        "sigma": _decimal(forecast.sigma, "0.0001"),
        "mase": _decimal(forecast.mase, "0.0001"),
        "naive_mase": _decimal(forecast.naive_mase, "0.0001"),
        "generated_at": now,
    }


def _upsert(model, existing: dict, wanted: dict, fields: list[str]) -> dict:
    """Update the rows of `existing` (key -> row) to `wanted` (key -> field
    values), create the missing ones, delete the rest; key -> saved row."""
    changed, created = [], []
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            row = model(**_key_fields(model, key), **values)
            created.append(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
        existing[key] = row
    stale = [row.pk for key, row in existing.items() if key not in wanted]
    for start in range(0, len(stale), 500):
        model.objects.filter(pk__in=stale[start : start + 500]).delete()
    if changed:
        model.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=500)
    if created:
        model.objects.bulk_create(created, batch_size=500)
    return {key: row for key, row in existing.items() if key in wanted}


def _key_fields(model, key) -> dict:
    if model is ForecastRun:
        (product_id, warehouse_id), granularity = key
        return {"product_id": product_id, "warehouse_id": warehouse_id, "granularity": granularity}
    product_id, warehouse_id = key
    return {"product_id": product_id, "warehouse_id": warehouse_id}


@transaction.atomic
def forecasts_save(*, results: list[_Result], suggestions: list[dict], now: datetime) -> dict:
    """Write the forecasts and suggestions in place of the previous ones."""
    advisory_lock(LOCK_KEY)
    runs_before = {
        ((run.product_id, run.warehouse_id), run.granularity): run
        for run in ForecastRun.objects.all()
    }
    for run in runs_before.values():
        run.updated_at = now
    runs = _upsert(
        ForecastRun,
        runs_before,
        {(r.key, r.granularity): _run_values(r, now) for r in results},
        RUN_FIELDS,
    )
    # Every run left is one of this refresh: its periods are written afresh.
    ForecastPoint.objects.all().delete()
    points = []
    for result in results:
        run = runs[(result.key, result.granularity)]
        forecast = result.forecast
        for start, quantity, lower, upper in zip(
            result.periods, forecast.quantity, forecast.lower, forecast.upper, strict=True
        ):
            points.append(
                ForecastPoint(
                    run=run,
                    period_start=start,
                    quantity=_decimal(quantity, "0.01"),
                    lower=min(_decimal(lower, "0.01"), _decimal(quantity, "0.01")),
                    upper=max(_decimal(upper, "0.01"), _decimal(quantity, "0.01")),
                )
            )
    ForecastPoint.objects.bulk_create(points, batch_size=1000)
    suggestions_before = {
        (s.product_id, s.warehouse_id): s for s in ReorderSuggestion.objects.all()
    }
    for suggestion in suggestions_before.values():
        suggestion.updated_at = now
    wanted = {}
    for values in suggestions:
        values = dict(values)
        key, source = values.pop("key"), values.pop("source")
        wanted[key] = {**values, "run": runs[source], "generated_at": now}
    saved = _upsert(ReorderSuggestion, suggestions_before, wanted, SUGGESTION_FIELDS)
    return {"forecasts": len(runs), "points": len(points), "suggestions": len(saved)}


def forecast_refresh(*, now: datetime | None = None) -> dict:
    """Refit every forecast and reorder suggestion (see the module's docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    started = clock.monotonic()
    results = forecasts_compute(today=today)
    products = Product.objects.in_bulk({r.key[0] for r in results})
    suggestions = _suggest(results, products, today)
    counts = forecasts_save(results=results, suggestions=suggestions, now=now)
    counts["models"] = sum(1 for r in results if r.forecast.method == ETS)
    counts["seconds"] = round(clock.monotonic() - started, 1)
    log.info("forecast refresh: %s", counts)
    return counts


# --- Applying a suggestion -----------------------------------------------------------


class SuggestionStale(DomainError):
    status_code = 409
    code = "suggestion_stale"


@transaction.atomic
def reorder_suggestion_apply(*, suggestion: ReorderSuggestion, actor=None) -> Product:
    """Set the product's reorder point, safety stock and reorder quantity to
    the suggestion's. The product keeps one set for all its warehouses (the
    low-stock scan compares it with each warehouse's available stock), so
    applying one warehouse's suggestion sets them for every warehouse. The
    change is kept in the product's history, with the actor and the reason."""
    from simple_history.utils import update_change_reason

    from inventory.services import product_update

    suggestion = (
        ReorderSuggestion.objects.select_for_update(of=("self",))
        .select_related("product", "warehouse")
        .filter(pk=suggestion.pk)
        .first()
    )
    if suggestion is None:
        raise SuggestionStale(
            _("This suggestion was replaced by a newer forecast; reload the page.")
        )
    product = suggestion.product
    changes = {
        "reorder_point": suggestion.reorder_point,
        "safety_stock": math.ceil(suggestion.safety_stock),
        "reorder_quantity": suggestion.reorder_quantity,
    }
    changed = any(getattr(product, name) != value for name, value in changes.items())
    product = product_update(product=product, **changes)
    if changed:
        where = suggestion.warehouse.code if suggestion.warehouse_id else _("all warehouses")
        latest = product.history.order_by("-history_id").first()
        if latest is not None and actor is not None and latest.history_user_id is None:
            latest.history_user = actor
            latest.save(update_fields=["history_user"])
        update_change_reason(
            product,
            _("Reorder suggestion applied (%(where)s, forecast of %(when)s)")
            % {
                "where": where,
                "when": timezone.localtime(suggestion.generated_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return product
