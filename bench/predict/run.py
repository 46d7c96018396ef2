"""Fitting and scoring lifetime value for 1,000,000 profiles (issue 7: under 60 s).

Usage: .venv/bin/python bench/predict/run.py [--profiles 1000000] [--skip-store]

1. Models alone: purchase histories of N customers drawn from BG/NBD (r=0.25, α=4 days·7,
   a=0.8, b=2.5; ages 30–730 days; spend from Gamma-Gamma) and measured in whole days as the
   SQL summary produces them; times the BG/NBD fit, the Gamma-Gamma fit and scoring every
   customer (P(alive), expected purchases in 90 days, expected order value, 12-month
   discounted CLV), and separately the Pareto/NBD fit.
2. End to end in a workspace: the same histories written as `Order Completed` events into
   `profile_events` of a fresh data directory (one event per purchase day, first purchase
   included), then `opencdp predict clv` as the server runs it: summary in DuckDB, both fits,
   the holdout validation, scoring and writing 8 predictions per profile (4 scores with their
   percentiles) to `profile_predictions`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.report import machine

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.predict.btyd import PurchaseSummary, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd
from opencdp.predict.btyd.clv import discounted_value
from opencdp.workspace import Workspace

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def histories(n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    """Per customer: repeat purchases x, recency and age in whole days, mean repeat spend."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.25, 1 / 28.0, n)  # α = 28 days
    p = rng.beta(0.8, 2.5, n)
    age = rng.integers(30, 731, n).astype(float)
    possible = rng.poisson(lam * age)  # repeat purchases if nobody dropped out
    alive_for = rng.geometric(p)  # drops out after this many repeat purchases
    x = np.minimum(possible, alive_for)
    # the x-th of `possible` uniform times on (0, age)
    frac = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(possible - x + 1, 1)), 0.0)
    recency = np.minimum(np.floor(frac * age), age)
    x = np.where(recency > 0, x, 0).astype(float)  # same-day repeats merge into the first day
    nu = rng.gamma(3.7, 1 / 15.0, n)
    spend = np.where(x > 0, rng.gamma(np.maximum(6.0 * x, 1e-9), 1 / nu) / np.maximum(x, 1),
                     np.nan)  # fmt: skip
    return x, recency, age, spend


def models_alone(n: int) -> dict[str, float]:
    x, recency, age, spend = histories(n)
    out: dict[str, float] = {}
    start = time.perf_counter()
    s = PurchaseSummary.of(x, recency, age, spend)
    bg = fit_bgnbd(s)
    out["bgnbd_fit_s"] = time.perf_counter() - start
    t = time.perf_counter()
    gg = fit_gamma_gamma(s)
    out["gamma_gamma_fit_s"] = time.perf_counter() - t
    t = time.perf_counter()
    bg.probability_alive(s.frequency, s.recency, s.age)
    bg.expected_purchases(90.0, s.frequency, s.recency, s.age)
    value = gg.expected_spend(s.frequency, s.spend)
    discounted_value(lambda h: bg.expected_purchases(h, s.frequency, s.recency, s.age), value,
                     horizon=365.0, steps=12, annual_discount=0.1, units_per_year=365.25)
    out["scoring_s"] = time.perf_counter() - t
    out["fit_and_score_s"] = time.perf_counter() - start
    t = time.perf_counter()
    pn = fit_pareto_nbd(s)
    out["pareto_nbd_fit_s"] = time.perf_counter() - t
    out["distinct_summaries"] = float(len(np.unique(np.column_stack([x, recency, age]), axis=0)))
    out["bgnbd"] = bg.params  # type: ignore[assignment]
    out["pareto_nbd"] = pn.params  # type: ignore[assignment]
    out["gamma_gamma"] = gg.params  # type: ignore[assignment]
    return out


def store(admin: Admin, n: int) -> int:
    """One Order Completed event per purchase day: the first at NOW - age, the last repeat at
    recency days later, the others between."""
    x, recency, age, spend = histories(n)
    rng = np.random.default_rng(2)
    customer = np.repeat(np.arange(n), (x + 1).astype(int))
    first = np.repeat(age, (x + 1).astype(int))
    k = np.arange(len(customer)) - np.repeat(np.cumsum(x + 1) - (x + 1), (x + 1).astype(int))
    last = np.repeat(recency, (x + 1).astype(int))
    count = np.repeat(x, (x + 1).astype(int))
    offset = np.where(k == 0, 0.0, np.where(k == count, last,
                      np.floor(rng.uniform(1, np.maximum(last, 2)))))  # fmt: skip
    days_ago = first - offset
    value = np.repeat(np.nan_to_num(spend, nan=30.0), (x + 1).astype(int))
    micros = int(NOW.timestamp() * 1e6) - (days_ago * 86400e6).astype(np.int64) - 3600 * 10**6
    table = pa.table({
        "customer": pa.array(customer), "ts": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "total": pa.array(np.round(value * rng.uniform(0.8, 1.2, len(value)), 2)),
    })  # fmt: skip

    def load(con: object) -> None:
        con.register("_orders", table)  # type: ignore[attr-defined]
        con.execute(  # type: ignore[attr-defined]
            "INSERT INTO profile_events (profile_id, seq, source_id, type, event, \"timestamp\","
            " properties, profile_key) SELECT 'prof_' || lpad(customer::VARCHAR, 8, '0'),"
            " row_number() OVER (), 'shop', 'track', 'Order Completed', ts,"
            " json_object('total', total), md5_number_upper('prof_' ||"
            " lpad(customer::VARCHAR, 8, '0')) FROM _orders ORDER BY ts")  # fmt: skip

    admin.ws.write(load)
    return len(customer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--skip-store", action="store_true", help="Only the models alone.")
    args = parser.parse_args()
    report: dict[str, object] = {"machine": machine(), "profiles": args.profiles}
    report["models_alone"] = models_alone(args.profiles)
    print(json.dumps(report, indent=2, default=str), flush=True)
    if args.skip_store:
        return
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(env={}, data_dir=Path(folder) / "data")
        with Workspace(settings) as ws:
            admin = Admin(ws)
            t = time.perf_counter()
            events = store(admin, args.profiles)
            loaded = time.perf_counter() - t
            t = time.perf_counter()
            model = admin.train_prediction("clv", as_of=NOW.isoformat())
            job = time.perf_counter() - t
            rows = ws.read(lambda con: con.execute(
                "SELECT count(*) FROM profile_predictions").fetchone()[0])  # fmt: skip
    report["end_to_end"] = {
        "order_events": events, "load_s": round(loaded, 1), "clv_job_s": round(job, 1),
        "profiles_scored": model["profiles_scored"], "prediction_rows": rows,
        "holdout": model["metrics"]["holdout"], "parameters": model["parameters"],
    }  # fmt: skip
    print(json.dumps(report["end_to_end"], indent=2, default=str))


if __name__ == "__main__":
    main()
