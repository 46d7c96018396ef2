"""Sales forecasts per week or month: a smooth yearly season, and a damped local trend
(Holt's exponential smoothing) on the seasonally adjusted series.

On the log scale (when every value is positive, so seasons scale with the level) the season
is K harmonics of the year, Σ_k (c_k cos 2πkt/m + d_k sin 2πkt/m) with m = 52.18 weeks or
12 months, estimated by least squares together with a straight line: a smooth season needs
few parameters, where one free value per week would copy last year's noise. The series less
its season then follows Holt's level ℓ and trend b with damping φ (α, β, φ chosen by
one-step-ahead squared error), so the forecast follows where sales are now rather than the
average slope of the whole history.

Quality is an honest holdout: the last `horizon` periods are forecast from the ones before
and scored by MAPE against the seasonal-naive forecast (each period equals the same period a
season earlier), which a useful model must beat. Without a full season plus a quarter of
history there is no seasonal part, and the baseline is the last value (naive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

Floats = NDArray[np.float64]
HARMONICS = {52: 3, 12: 4}


@dataclass(frozen=True)
class SeasonalTrend:
    season: Floats  # cos/sin coefficients of the harmonics
    period: int | None  # None: no seasonal part
    log: bool
    n: int  # periods fitted on; forecasts continue at t = n, n+1, ...
    level: float
    trend: float
    alpha: float
    beta: float
    phi: float
    residual_sd: float  # of one-step errors, on the fitted scale

    def _centre(self, horizon: int) -> Floats:
        steps = np.arange(1, horizon + 1)
        t = (self.n - 1 + steps).astype(np.float64)
        damped = np.cumsum(self.phi ** steps)
        out: Floats = self.level + damped * self.trend + _seasonal(t, self.period) @ self.season
        return out

    def forecast(self, horizon: int) -> Floats:
        return _unscale(self._centre(horizon), self.log)

    def interval(self, horizon: int, z: float = 1.64) -> tuple[Floats, Floats]:
        """A rough 90 % band: the one-step error, growing with the square root of the step."""
        centre = self._centre(horizon)
        width = z * self.residual_sd * np.sqrt(np.arange(1, horizon + 1))
        low, high = _unscale(centre - width, self.log), _unscale(centre + width, self.log)
        return np.maximum(low, 0.0), high

    @property
    def params(self) -> dict[str, object]:
        return {"harmonics": len(self.season) // 2, "period": self.period,
                "alpha": round(self.alpha, 4), "beta": round(self.beta, 4),
                "phi": round(self.phi, 4), "log_scale": self.log}  # fmt: skip


def _seasonal(t: Floats, period: int | None) -> Floats:
    if not period:
        return np.zeros((len(t), 0))
    length = 52.1775 if period == 52 else float(period)
    columns = []
    for k in range(1, HARMONICS.get(period, 3) + 1):
        angle = 2 * np.pi * k * t / length
        columns += [np.cos(angle), np.sin(angle)]
    return np.column_stack(columns)


def _unscale(values: Floats, log: bool) -> Floats:
    out: Floats = np.expm1(values) if log else values
    return out


def _holt(y: Floats, alpha: float, beta: float, phi: float) -> tuple[float, float, Floats]:
    """Damped-trend smoothing; the final level and trend, and the one-step errors."""
    level, trend = float(y[0]), float(y[1] - y[0])
    errors = np.empty(len(y) - 1)
    for i in range(1, len(y)):
        predicted = level + phi * trend
        errors[i - 1] = y[i] - predicted
        new_level = alpha * y[i] + (1 - alpha) * predicted
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return level, trend, errors


def fit(series: ArrayLike, period: int | None) -> SeasonalTrend:
    """Fit to a series of at least 4 periods (a season needs a year and a quarter)."""
    y_raw = np.asarray(series, dtype=np.float64)
    if len(y_raw) < 4:
        raise ValueError("a forecast needs at least 4 periods of history")
    if period is not None and len(y_raw) < period + period // 4 + 2:
        period = None
    log = bool(np.all(y_raw > 0))
    y = np.log1p(y_raw) if log else y_raw
    t = np.arange(len(y), dtype=np.float64)
    seasonal = _seasonal(t, period)
    design = np.column_stack([np.ones_like(t), t, seasonal])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    season = np.asarray(coef[2:], dtype=np.float64)
    adjusted = y - seasonal @ season

    def sse(theta: Floats) -> float:
        errors = _holt(adjusted, *theta)[2]
        return float(errors @ errors)

    found = optimize.minimize(sse, np.array([0.3, 0.05, 0.9]), method="L-BFGS-B",
                              bounds=[(0.01, 1.0), (0.0, 1.0), (0.8, 0.98)])  # fmt: skip
    alpha, beta, phi = (float(v) for v in found.x)
    level, trend, errors = _holt(adjusted, alpha, beta, phi)
    return SeasonalTrend(season, period, log, len(y), level, trend, alpha, beta, phi,
                         float(np.std(errors)))  # fmt: skip


def seasonal_naive(history: ArrayLike, horizon: int, period: int | None) -> Floats:
    """Each future period equals the same period one season earlier (or the last value)."""
    y = np.asarray(history, dtype=np.float64)
    if not period or len(y) < period:
        return np.full(horizon, y[-1])
    out: Floats = np.array([y[len(y) - period + (h % period)] for h in range(horizon)])
    return out


def mape(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Mean absolute percentage error over the periods with a non-zero actual value."""
    a, p = np.asarray(actual, np.float64), np.asarray(predicted, np.float64)
    nonzero = a != 0
    if not np.any(nonzero):
        return float("nan")
    return float(np.mean(np.abs(a[nonzero] - p[nonzero]) / np.abs(a[nonzero])))


@dataclass(frozen=True)
class Backtest:
    mape: float
    baseline_mape: float
    predicted: Floats
    baseline: Floats


def backtest(series: ArrayLike, horizon: int, period: int | None) -> Backtest:
    """Forecast the last `horizon` periods from the ones before them."""
    y = np.asarray(series, dtype=np.float64)
    train, test = y[:-horizon], y[-horizon:]
    model = fit(train, period)
    predicted = model.forecast(horizon)
    baseline = seasonal_naive(train, horizon, model.period)
    return Backtest(mape(test, predicted), mape(test, baseline), predicted, baseline)
