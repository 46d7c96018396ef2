"""Propensity and churn: the probability of an event (or of no activity) in the next N days.

Two cut-offs, so the reported quality is out-of-time, as the model will be used: with
c1 = now − N and c0 = c1 − N, a model trained on features at c0 and outcomes in [c0, c1) is
evaluated on features at c1 and outcomes in [c1, now) — AUC, log loss, calibration and lift
by decile, and the AUC of ranking by recency alone for comparison. The model that scores is
trained on c1 and its outcomes, then applied to features now. Every profile active in the
lookback before a cut-off is an example; fewer than 100 positives or negatives refuses.

Propensity: outcome = the `event` happened. Churn: outcome = no interaction at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np

from opencdp.predict import registry
from opencdp.predict.features import Features, features_at, outcomes
from opencdp.predict.jobs.common import Read, Write, finish, run_recorded
from opencdp.predict.metrics import auc, classification_report
from opencdp.predict.propensity import ALGORITHMS, NotEnoughExamples, train
from opencdp.predict.purchases import ORDER_EVENT
from opencdp.predict.scores import percentiles, write_scores

DEFAULTS: dict[str, Any] = {"event": ORDER_EVENT, "days": 30, "algorithm": "gbm",
                            "lookback_days": 365, "order_event": ORDER_EVENT}  # fmt: skip


def options_of(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    defaults = dict(DEFAULTS, days=60) if kind == "churn" else DEFAULTS
    options = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown {kind} options: {sorted(unknown)}")
    if kind == "churn":
        options["event"] = None  # churn is the absence of any interaction
    if options["algorithm"] not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}")
    if not 1 <= int(options["days"]) <= 3650 or not 1 <= int(options["lookback_days"]) <= 3650:
        raise ValueError("days and lookback_days must be between 1 and 3650")
    return options


def tier(percentile: float) -> str:
    """The label written with each score: where it ranks among the profiles scored."""
    return "high" if percentile >= 80 else "medium" if percentile >= 50 else "low"


def run(read: Read, write: Write, name: str, kind: str, given: dict[str, Any],
        now: datetime) -> dict[str, Any]:  # fmt: skip
    options = options_of(kind, given)
    record = registry.ModelRecord(name, kind, options["algorithm"], options, now)
    return run_recorded(
        write, record, now, lambda started: _run(read, write, record, kind, options, now, started),
        (NotEnoughExamples, ValueError),
    )


def _run(read: Read, write: Write, record: registry.ModelRecord, kind: str,
         options: dict[str, Any], now: datetime, started: float) -> dict[str, Any]:  # fmt: skip
    days, event = timedelta(days=int(options["days"])), options["event"]
    c1 = now - days
    c0 = c1 - days
    lookback, order = int(options["lookback_days"]), options["order_event"]

    def label(con: duckdb.DuckDBPyConnection, f: Features, end: datetime) -> np.ndarray:
        happened = outcomes(con, f.profile_ids, start=f.cutoff, end=end, event=event)
        return 1.0 - happened if kind == "churn" else happened

    def load(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
        f0 = features_at(con, c0, lookback_days=lookback, order_event=order)
        f1 = features_at(con, c1, lookback_days=lookback, order_event=order)
        current = features_at(con, now, lookback_days=lookback, order_event=order,
                              current=True)
        return f0, label(con, f0, c1), f1, label(con, f1, now), current

    f0, y0, f1, y1, current = read(load)
    what = "the churn outcome" if kind == "churn" else f"'{event}' within {days.days} days"
    seed = 0
    first = train(f0.values, y0, algorithm=options["algorithm"], seed=seed,
                  what=f"{what} after {c0:%Y-%m-%d} (training)")  # fmt: skip
    from opencdp.predict.propensity import check_examples

    check_examples(y1, f"{what} after {c1:%Y-%m-%d} (evaluation)")
    predicted = first.predict(f1.values)
    report = classification_report(y1, predicted)
    recency = f1.values[:, f1.names.index("recency_days")]
    # churn rises with days since last seen; other outcomes fall
    report["recency_baseline_auc"] = round(auc(y1, recency if kind == "churn" else -recency), 4)
    report["validation"] = (f"trained on features at {c0:%Y-%m-%d} with outcomes to"
                            f" {c1:%Y-%m-%d}; evaluated on features at {c1:%Y-%m-%d} with"
                            f" outcomes to {now:%Y-%m-%d}")  # fmt: skip
    final = train(f1.values, y1, algorithm=options["algorithm"], seed=seed,
                  what=f"{what} after {c1:%Y-%m-%d}")  # fmt: skip
    scores = final.predict(current.values) if len(current) else np.zeros(0)
    record.cutoff, record.data_from = c1, c0 - timedelta(days=lookback)
    record.metrics = report
    record.parameters = final.describe(f1.names)
    record.rows_trained, record.profiles_scored = len(f1), len(current)
    labels = [tier(p) for p in percentiles(scores).tolist()]
    ids, name = current.profile_ids, record.name

    def store(con: duckdb.DuckDBPyConnection) -> None:
        write_scores(con, name, ids, scores, scored_at=now, labels=labels)

    return finish(write, record, started, now, store)
