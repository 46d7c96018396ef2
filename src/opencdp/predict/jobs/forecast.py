"""Sales forecast per week or month: revenue (or orders) of the order event, with an honest
holdout against the seasonal-naive forecast, recorded in the registry (no per-profile
scores). Periods are UTC weeks (Monday) or calendar months; the running period, incomplete,
is left out, and so is the first one (history rarely starts on its first day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from opencdp.predict import registry
from opencdp.predict.forecast import backtest, fit
from opencdp.predict.jobs.common import Read, Write, finish, run_recorded
from opencdp.predict.purchases import AMOUNT_SQL, ORDER_EVENT

DEFAULTS: dict[str, Any] = {"period": "week", "horizon": None, "measure": "revenue",
                            "event": ORDER_EVENT}  # fmt: skip
SEASON = {"week": 52, "month": 12}
HORIZON = {"week": 8, "month": 3}

_SERIES = f"""
WITH p AS (
    SELECT date_trunc($period, "timestamp") AS period, count(*) AS orders,
           coalesce(sum({AMOUNT_SQL}), 0) AS revenue
    FROM profile_events WHERE event = $event AND "timestamp" < $now GROUP BY 1
), span AS (
    SELECT min(period) AS first, date_trunc($period, $now::TIMESTAMPTZ) AS running FROM p
)
SELECT g.period, coalesce(p.orders, 0) AS orders, coalesce(p.revenue, 0) AS revenue
FROM span, generate_series(span.first, span.running, ('1 ' || $period)::INTERVAL) AS g(period)
LEFT JOIN p ON p.period = g.period
WHERE g.period > span.first AND g.period < span.running
ORDER BY g.period
"""


def options_of(given: dict[str, Any]) -> dict[str, Any]:
    options = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown forecast options: {sorted(unknown)}")
    if options["period"] not in SEASON:
        raise ValueError("period must be 'week' or 'month'")
    if options["measure"] not in ("revenue", "orders"):
        raise ValueError("measure must be 'revenue' or 'orders'")
    options["horizon"] = int(options["horizon"] or HORIZON[options["period"]])
    if not 1 <= options["horizon"] <= 104:
        raise ValueError("horizon must be between 1 and 104 periods")
    return options


def run(read: Read, write: Write, name: str, given: dict[str, Any],
        now: datetime) -> dict[str, Any]:  # fmt: skip
    options = options_of(given)
    record = registry.ModelRecord(name, "forecast", "seasonal_trend", options, now)
    return run_recorded(
        write, record, now, lambda started: _run(read, write, record, options, now, started)
    )


def _run(read: Read, write: Write, record: registry.ModelRecord, options: dict[str, Any],
         now: datetime, started: float) -> dict[str, Any]:  # fmt: skip
    period, horizon = options["period"], options["horizon"]
    rows = read(lambda con: con.execute(_SERIES, {"period": period, "event": options["event"],
                                                  "now": now}).fetchall())  # fmt: skip
    periods = [r[0] for r in rows]
    y = np.array([r[2] if options["measure"] == "revenue" else r[1] for r in rows], dtype=float)
    if len(y) < horizon + 4:
        raise ValueError(f"a {period}ly forecast with a {horizon}-{period} holdout needs at"
                         f" least {horizon + 4} complete {period}s of orders; found {len(y)}")
    test = backtest(y, horizon, SEASON[period])
    model = fit(y, SEASON[period])
    ahead = model.forecast(horizon)
    low, high = model.interval(horizon)
    step = np.timedelta64(1, "W") if period == "week" else None
    future = _next_periods(periods[-1], horizon, period, step)
    record.parameters = model.params
    record.data_from = periods[0]
    record.cutoff = periods[-horizon]
    record.rows_trained = len(y)
    record.metrics = {
        "mape": round(test.mape, 4), "seasonal_naive_mape": round(test.baseline_mape, 4),
        "baseline": "seasonal naive" if model.period else "naive (less than two seasons)",
        "beats_baseline": bool(test.mape < test.baseline_mape),
        "holdout": [{"period": p.isoformat(), "actual": round(float(a), 2),
                     "forecast": round(float(f), 2), "baseline": round(float(b), 2)}
                    for p, a, f, b in zip(periods[-horizon:], y[-horizon:], test.predicted,
                                          test.baseline, strict=True)],
        "forecast": [{"period": p, "value": round(float(v), 2), "low": round(float(lo), 2),
                      "high": round(float(hi), 2)}
                     for p, v, lo, hi in zip(future, ahead, low, high, strict=True)],
        "history": [{"period": p.isoformat(), "value": round(float(v), 2)}
                    for p, v in zip(periods, y, strict=True)],
    }  # fmt: skip
    return finish(write, record, started, now, lambda con: None)


def _next_periods(last: datetime, horizon: int, period: str, step: object) -> list[str]:
    out = []
    current = last
    for _ in range(horizon):
        if period == "week":
            current = current + np.timedelta64(7, "D").astype(object)
        else:
            month = current.month % 12 + 1
            current = current.replace(year=current.year + (current.month == 12), month=month)
        out.append(current.isoformat())
    del step
    return out
