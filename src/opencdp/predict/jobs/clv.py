"""Lifetime value: purchase model (BG/NBD or Pareto/NBD) + Gamma-Gamma spend, per buyer.

Validation mirrors the published CDNOW studies: the models are fitted on purchases before a
cut-off (`holdout_days` before now) and their expected purchases in the holdout compared
with what each buyer actually did (correlation, mean absolute error, total). The models that
score are then refitted on everything up to now. Time is measured in days.

Writes, for every profile with at least one order: `<name>` (CLV over `horizon_days`,
discounted monthly at `discount` a year), `<name>_alive` (probability of not having
churned), `<name>_purchases` (expected purchases in the next `purchase_days`) and
`<name>_order_value` (expected value of an order), each with its `_percentile`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np

from opencdp.predict import registry
from opencdp.predict.btyd import (
    BGNBD,
    ParetoNBD,
    PurchaseSummary,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
)
from opencdp.predict.btyd.clv import discounted_value
from opencdp.predict.btyd.mle import FitFailed
from opencdp.predict.jobs.common import Read, Write, finish, round_floats, run_recorded
from opencdp.predict.purchases import ORDER_EVENT, purchase_counts, purchase_summaries
from opencdp.predict.scores import write_scores

DEFAULTS: dict[str, Any] = {"model": "bgnbd", "horizon_days": 365, "discount": 0.1,
                            "margin": 1.0, "purchase_days": 90, "holdout_days": 90,
                            "event": ORDER_EVENT}  # fmt: skip
PurchaseModel = BGNBD | ParetoNBD
MODELS: dict[str, Callable[[PurchaseSummary], PurchaseModel]] = {
    "bgnbd": fit_bgnbd, "pareto_nbd": fit_pareto_nbd}  # fmt: skip
DAYS_PER_YEAR = 365.25
MIN_REPEAT_BUYERS = 20


def options_of(given: dict[str, Any]) -> dict[str, Any]:
    options = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown CLV options: {sorted(unknown)}")
    if options["model"] not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, not {options['model']!r}")
    for key in ("horizon_days", "purchase_days", "holdout_days"):
        if not float(options[key]) > 0:
            raise ValueError(f"{key} must be positive")
    return options


def run(read: Read, write: Write, name: str, given: dict[str, Any],
        now: datetime) -> dict[str, Any]:  # fmt: skip
    options = options_of(given)
    record = registry.ModelRecord(name, "clv", f"{options['model']}+gamma_gamma", options, now)
    return run_recorded(
        write, record, now, lambda started: _run(read, write, record, options, now, started),
        (FitFailed, ValueError),
    )


def _run(read: Read, write: Write, record: registry.ModelRecord, options: dict[str, Any],
         now: datetime, started: float) -> dict[str, Any]:  # fmt: skip
    event, fit = options["event"], MODELS[options["model"]]
    cutoff = now - timedelta(days=float(options["holdout_days"]))

    def load(con: duckdb.DuckDBPyConnection) -> tuple[Any, Any, Any]:
        calibration = purchase_summaries(con, end=cutoff, event=event)
        actual = purchase_counts(con, calibration.profile_ids, start=cutoff, end=now, event=event)
        return calibration, actual, purchase_summaries(con, end=now, event=event, current=True)

    calibration, actual, current = read(load)
    s = current.summary
    if int(np.sum(s.frequency > 0)) < MIN_REPEAT_BUYERS:
        raise FitFailed(f"CLV needs at least {MIN_REPEAT_BUYERS} customers with repeat purchases"
                        f" ('{event}' on two different days); found {int(np.sum(s.frequency > 0))}")
    record.metrics["holdout"] = _holdout(fit, calibration.summary, actual, options)
    purchases = fit(s)
    spend = fit_gamma_gamma(s)
    order_value = spend.expected_spend(s.frequency, s.spend)
    horizon = float(options["horizon_days"])
    clv = discounted_value(
        lambda t: purchases.expected_purchases(t, s.frequency, s.recency, s.age), order_value,
        horizon=horizon, steps=max(1, round(horizon / (DAYS_PER_YEAR / 12))),
        annual_discount=float(options["discount"]), units_per_year=DAYS_PER_YEAR,
        margin=float(options["margin"]),
    )  # fmt: skip
    alive = purchases.probability_alive(s.frequency, s.recency, s.age)
    expected = purchases.expected_purchases(float(options["purchase_days"]), s.frequency,
                                            s.recency, s.age)  # fmt: skip
    record.parameters = {"purchases": round_floats(purchases.params),
                         "spend": round_floats(spend.params),
                         "log_likelihood": round(purchases.log_likelihood, 3),
                         "time_unit": "day"}  # fmt: skip
    record.metrics.update({
        "buyers": len(s), "repeat_buyers": int(np.sum(s.frequency > 0)),
        "frequency_spend_correlation": round(spend.frequency_spend_correlation, 4),
        "mean_clv": round(float(np.mean(clv)), 2), "total_clv": round(float(np.sum(clv)), 2),
        "mean_alive": round(float(np.mean(alive)), 4),
    })  # fmt: skip
    record.rows_trained = len(s)
    record.profiles_scored = len(s)
    ids, name = current.profile_ids, record.name

    def store(con: duckdb.DuckDBPyConnection) -> None:
        for suffix, values in (("", clv), ("_alive", alive), ("_purchases", expected),
                               ("_order_value", order_value)):  # fmt: skip
            write_scores(con, name + suffix, ids, values, scored_at=now)

    return finish(write, record, started, now, store)


def _holdout(fit: Callable[[PurchaseSummary], PurchaseModel], calibration: PurchaseSummary,
             actual: np.ndarray,
             options: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Fit before the cut-off, predict the holdout, compare with what buyers did."""
    if int(np.sum(calibration.frequency > 0)) < MIN_REPEAT_BUYERS:
        return {"skipped": f"fewer than {MIN_REPEAT_BUYERS} repeat buyers before the cut-off"}
    model = fit(calibration)
    predicted = model.expected_purchases(float(options["holdout_days"]), calibration.frequency,
                                         calibration.recency, calibration.age)  # fmt: skip
    correlation = float(np.corrcoef(predicted, actual)[0, 1]) if np.std(actual) > 0 else None
    return {"days": float(options["holdout_days"]), "buyers": len(calibration),
            "correlation": None if correlation is None else round(correlation, 4),
            "mean_absolute_error": round(float(np.mean(np.abs(predicted - actual))), 4),
            "predicted_purchases": round(float(predicted.sum()), 1),
            "actual_purchases": float(actual.sum())}  # fmt: skip
