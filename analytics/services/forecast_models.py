"""The statistics behind the demand forecasts, on plain arrays (no database).

`forecast_series(y, ...)` forecasts one zero-filled demand series (units per
period, oldest first, starting at the first period with demand):

Exponential smoothing (statsmodels ETSModel, additive errors, initial states
estimated with the smoothing parameters, so the AICc of every candidate
counts all its parameters) where the history supports it: at least
`horizon + min_train` periods, with demand in at least MIN_DEMAND_SHARE of
them. The candidates are ETS(A,N,N), ETS(A,Ad,N) (damped trend) and, only
when the training part holds at least two full seasons, ETS(A,N,A) and
ETS(A,Ad,A). Each is fitted on the history without its last `horizon`
periods; the one with the lowest AICc wins, but a seasonal component must
also beat the best non-seasonal candidate in the backtest (lower MAE), and a
trend must beat the same model without it - otherwise the simpler model is
kept. So a flat series does not get seasonality it does not have. The
winner is refitted on the whole history for the forecast and its prediction
interval (statsmodels' analytic ETS intervals).

With less history: seasonal naive (each future period repeats the same
period one season earlier), with the interval y ± z·σ·√⌈k/m⌉ for step k, σ
the RMS of the in-sample seasonal differences. With less than one season and
a period: no forecast.

Backtest (rolling origin, "updating" variant): the parameters fitted on the
first n - h periods are kept; for every origin t = n-h .. n-1 the model's
states are updated with the actual demand up to t (no refit) and it
forecasts the periods t+1 .. min(t+h, n). Seasonal naive forecasts the same
periods from the same origins: ŷ(t+k) = y(t+k - m·⌈k/m⌉). Over all those
(origin, step) pairs:

    MASE = mean |y - ŷ| / Q,   Q = mean over i = m .. n-h-1 of |y(i) - y(i-m)|

(Q: the in-sample MAE of the one-step seasonal-naive forecast on the
training part). The model's and the seasonal-naive MASE share the same
errors' pairs and the same Q, so the model beats seasonal naive exactly when
its MASE is the lower; seasonal naive's MASE is usually near or above 1. No
MASE when the training part is not longer than a season or Q is 0.

Forecasts and bounds are clipped at 0: demand is never negative.
"""

import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

ETS = "ets"
SEASONAL_NAIVE = "seasonal_naive"

# Exponential smoothing only where demand occurs in at least this share of the periods.
MIN_DEMAND_SHARE = 0.25


@dataclass(frozen=True)
class EtsSpec:
    """An additive-error ETS model: trend "N" or "Ad" (damped), seasonality "N" or "A"."""

    trend: str
    seasonal: str
    m: int

    @property
    def label(self) -> str:
        name = f"ETS(A,{self.trend},{self.seasonal})"
        return f"{name} m={self.m}" if self.seasonal == "A" else name


@dataclass(frozen=True)
class SeriesForecast:
    method: str  # ETS or SEASONAL_NAIVE
    label: str
    trend: str
    seasonal: str
    seasonal_periods: int
    quantity: tuple[float, ...]  # one per future period, the first being the current one
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma: float  # RMS of the one-step errors in the history (units per period)
    mase: float | None
    naive_mase: float | None
    history_periods: int
    demand_periods: int


def z_value(level: float) -> float:
    """The standard normal quantile of a two-sided `level` interval (0.95 -> 1.96)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


# --- Backtest ----------------------------------------------------------------------


def _origin_pairs(n: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(origin t, step k) of the rolling-origin backtest over the last `horizon` periods."""
    origins, steps = [], []
    for t in range(n - horizon, n):
        for k in range(1, min(horizon, n - t) + 1):
            origins.append(t)
            steps.append(k)
    return np.array(origins, dtype=int), np.array(steps, dtype=int)


def naive_scale(y_train: np.ndarray, m: int) -> float | None:
    """Q: the in-sample MAE of the one-step seasonal-naive forecast."""
    if len(y_train) <= m:
        return None
    q = float(np.mean(np.abs(y_train[m:] - y_train[:-m])))
    return q if q > 0 else None


def seasonal_naive_backtest(y: np.ndarray, m: int, origins, steps) -> np.ndarray:
    """Seasonal-naive forecasts of y(t+k-1) (0-based) from origins t."""
    source = origins + steps - 1 - m * np.ceil(steps / m).astype(int)
    return y[source]


def _ets_params(result, spec: EtsSpec) -> dict:
    seasonal = spec.seasonal == "A"
    trend = spec.trend == "Ad"
    return {
        "alpha": float(result.smoothing_level),
        "beta": float(result.smoothing_trend) if trend else 0.0,
        "gamma": float(result.smoothing_seasonal) if seasonal else 0.0,
        "phi": float(result.damping_trend) if trend else 1.0,
        "level": float(result.initial_level),
        "slope": float(result.initial_trend) if trend else 0.0,
        "season": [float(s) for s in np.asarray(result.initial_seasonal)] if seasonal else None,
    }


def ets_backtest(y: np.ndarray, spec: EtsSpec, params: dict, origins, steps) -> np.ndarray:
    """Forecasts of y(t+k-1) from origins t by the additive ETS recursions with
    fixed parameters, the states updated with the actual demand up to t:

        ŷ(i) = l + φb + s(i-m);  e = y(i) - ŷ(i)
        l ← l + φb + αe;  b ← φb + βe;  s(i) = s(i-m) + γe
        ŷ(t+k) = l(t) + (φ + ... + φ^k) b(t) + s(t + ((k-1) mod m) - m)

    (the same recursions statsmodels' ETSModel fits; checked in the tests)."""
    n = len(y)
    alpha, beta, gamma, phi = params["alpha"], params["beta"], params["gamma"], params["phi"]
    m = spec.m if spec.seasonal == "A" else 1
    level, slope = params["level"], params["slope"]
    season = list(params["season"]) if spec.seasonal == "A" else [0.0]
    levels, slopes = np.empty(n + 1), np.empty(n + 1)
    levels[0], slopes[0] = level, slope
    seasons = np.empty(n + m)
    seasons[:m] = season
    for i in range(n):
        error = y[i] - (level + phi * slope + seasons[i])
        level, slope = level + phi * slope + alpha * error, phi * slope + beta * error
        seasons[i + m] = seasons[i] + gamma * error
        levels[i + 1], slopes[i + 1] = level, slope
    # φ + φ² + ... + φ^k, or k without damping
    damped = steps.astype(float) if phi == 1.0 else phi * (1 - phi**steps) / (1 - phi)
    return levels[origins] + damped * slopes[origins] + seasons[origins + (steps - 1) % m]


# --- Fitting -------------------------------------------------------------------------


def _ets_fit(y: np.ndarray, spec: EtsSpec):
    """The fitted statsmodels results, or None if the fit fails or is degenerate."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = spec.seasonal == "A"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETSModel(
                # A Series: statsmodels 0.15's prediction intervals need an index.
                pd.Series(y, dtype=float),
                error="add",
                trend="add" if spec.trend == "Ad" else None,
                damped_trend=spec.trend == "Ad",
                seasonal="add" if seasonal else None,
                seasonal_periods=spec.m if seasonal else None,
                initialization_method="estimated",
            )
            result = model.fit(disp=False)
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
        return None
    if not np.all(np.isfinite(np.asarray(result.params, dtype=float))):
        return None
    return result


def _aicc(result) -> float:
    value = float(result.aicc)
    return value if math.isfinite(value) else math.inf


def _clip(values) -> tuple[float, ...]:
    return tuple(max(float(v), 0.0) for v in values)


def _seasonal_naive(
    y: np.ndarray, *, m: int, horizon: int, level: float, demand: int
) -> SeriesForecast:
    n = len(y)
    steps = np.arange(1, horizon + 1)
    point = y[n - m + (steps - 1) % m]
    sigma = float(np.sqrt(np.mean((y[m:] - y[:-m]) ** 2)))
    spread = z_value(level) * sigma * np.sqrt(np.ceil(steps / m))
    mase = None
    n_train = n - horizon
    scale = naive_scale(y[:n_train], m) if n_train > 0 else None
    if scale is not None:
        origins, k = _origin_pairs(n, horizon)
        actual = y[origins + k - 1]
        mase = float(np.mean(np.abs(actual - seasonal_naive_backtest(y, m, origins, k)))) / scale
    return SeriesForecast(
        method=SEASONAL_NAIVE,
        label=f"seasonal naive m={m}",
        trend="N",
        seasonal="N",
        seasonal_periods=m,
        quantity=_clip(point),
        lower=_clip(point - spread),
        upper=_clip(point + spread),
        sigma=sigma,
        mase=mase,
        naive_mase=mase,
        history_periods=n,
        demand_periods=demand,
    )


def choose_ets(y_train: np.ndarray, *, m: int, horizon: int, y: np.ndarray):
    """The candidate chosen on the training part (see the module's docstring):
    (spec, train result, {spec: backtest MAE}), or None if even ETS(A,N,N) fails."""
    candidates = [EtsSpec("N", "N", m), EtsSpec("Ad", "N", m)]
    if m > 1 and len(y_train) >= 2 * m:
        candidates += [EtsSpec("N", "A", m), EtsSpec("Ad", "A", m)]
    fits = {spec: result for spec in candidates if (result := _ets_fit(y_train, spec))}
    if EtsSpec("N", "N", m) not in fits:
        return None
    origins, steps = _origin_pairs(len(y), horizon)
    actual = y[origins + steps - 1]
    maes: dict[EtsSpec, float] = {}

    def mae(spec: EtsSpec) -> float:
        if spec not in maes:
            forecast = ets_backtest(y, spec, _ets_params(fits[spec], spec), origins, steps)
            maes[spec] = float(np.mean(np.abs(actual - forecast)))
        return maes[spec]

    chosen = min(fits, key=lambda spec: _aicc(fits[spec]))
    if chosen.seasonal == "A":
        plain = min((s for s in fits if s.seasonal == "N"), key=lambda s: _aicc(fits[s]))
        if mae(chosen) >= mae(plain):
            chosen = plain
    if chosen.trend == "Ad":
        simpler = EtsSpec("N", chosen.seasonal, m)
        if simpler in fits and mae(chosen) >= mae(simpler):
            chosen = simpler
    mae(chosen)
    return chosen, fits[chosen], maes


def forecast_series(
    y,
    *,
    m: int,
    horizon: int,
    min_train: int,
    level: float = 0.95,
) -> SeriesForecast | None:
    """Forecast `horizon` periods after the series `y` (see the module's docstring)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    demand = int(np.count_nonzero(y))
    if n <= m or demand == 0:
        return None
    if n < horizon + min_train or demand < MIN_DEMAND_SHARE * n:
        return _seasonal_naive(y, m=m, horizon=horizon, level=level, demand=demand)
    n_train = n - horizon
    chosen = choose_ets(y[:n_train], m=m, horizon=horizon, y=y)
    if chosen is None:
        return _seasonal_naive(y, m=m, horizon=horizon, level=level, demand=demand)
    spec, _train, maes = chosen
    result = _ets_fit(y, spec)
    if result is None:
        return _seasonal_naive(y, m=m, horizon=horizon, level=level, demand=demand)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = result.get_prediction(start=n, end=n + horizon - 1).summary_frame(alpha=1 - level)
    point = frame["mean"].to_numpy()
    lower, upper = frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
    if not (np.all(np.isfinite(point)) and np.all(np.isfinite(lower + upper))):
        return _seasonal_naive(y, m=m, horizon=horizon, level=level, demand=demand)
    scale = naive_scale(y[:n_train], m)
    mase = naive_mase = None
    if scale is not None:
        origins, steps = _origin_pairs(n, horizon)
        naive = seasonal_naive_backtest(y, m, origins, steps)
        naive_mase = float(np.mean(np.abs(y[origins + steps - 1] - naive))) / scale
        mase = maes[spec] / scale
    return SeriesForecast(
        method=ETS,
        label=spec.label,
        trend=spec.trend,
        seasonal=spec.seasonal,
        seasonal_periods=spec.m if spec.seasonal == "A" else 1,
        quantity=_clip(point),
        lower=_clip(lower),
        upper=_clip(upper),
        sigma=float(np.sqrt(np.mean(np.asarray(result.resid, dtype=float) ** 2))),
        mase=mase,
        naive_mase=naive_mase,
        history_periods=n,
        demand_periods=demand,
    )


# --- Reorder arithmetic --------------------------------------------------------------


@dataclass(frozen=True)
class ReorderNumbers:
    daily_demand: float
    lead_time_demand: float
    safety_stock: float
    reorder_point: int
    reorder_quantity: int


def _sum_days(daily: list[float], days: int) -> float:
    """Demand over the next `days` days; past the forecast the last day's rate goes on."""
    if days <= 0 or not daily:
        return 0.0
    covered = daily[:days]
    return float(sum(covered)) + (days - len(covered)) * float(daily[-1])


def _ceil(value: float) -> int:
    # round first: 46.000000001 from floating point is 46 units, not 47
    return max(math.ceil(round(value, 6)), 0)


def reorder_numbers(
    *,
    daily: list[float],
    lead_time_days: int,
    review_days: int,
    sigma_daily: float,
    service_level: float,
) -> ReorderNumbers:
    """The reorder point and quantity from a daily demand forecast (units a
    day from today on):

    demand over lead time  D = forecast units over the next L days (L = lead time)
    safety stock          SS = z(service level) × σ_day × √L   (z one-sided: 95% -> 1.645)
    reorder point         ROP = ⌈D + SS⌉
    reorder quantity      Q = ⌈forecast units over the next R days⌉ (R = review period),
                          at least 1 when ROP > 0
    daily demand          D / L (the first day's forecast when L = 0)
    """
    z = NormalDist().inv_cdf(service_level)
    lead_demand = _sum_days(daily, lead_time_days)
    safety = z * sigma_daily * math.sqrt(lead_time_days)
    point = _ceil(lead_demand + safety)
    quantity = _ceil(_sum_days(daily, review_days))
    if point > 0:
        quantity = max(quantity, 1)
    daily_demand = lead_demand / lead_time_days if lead_time_days else _sum_days(daily, 1)
    return ReorderNumbers(
        daily_demand=daily_demand,
        lead_time_demand=lead_demand,
        safety_stock=safety,
        reorder_point=point,
        reorder_quantity=quantity,
    )
