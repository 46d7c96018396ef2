"""BG/NBD, Pareto/NBD and Gamma-Gamma on CDNOW: opencdp's fit next to `lifetimes`.

Usage: .venv/bin/python bench/predict/lifetimes_peer.py [--repeat 5]

Both read the CDNOW sample that `lifetimes` ships: opencdp summarises the transactions itself
(weeks 1–39), lifetimes fits the summary it ships (cdnow_customers_summary*.csv, the same
numbers). Prints each model's parameters from both, the published ones, and the median fit
time of each with the ratio (target: opencdp no slower).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.report import machine

from opencdp.predict.btyd import fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd
from tests.predict.cdnow import cdnow

PUBLISHED = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "pareto_nbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import lifetimes
    from lifetimes.datasets import (
        load_cdnow_summary,
        load_cdnow_summary_data_with_monetary_value,
    )

    data = cdnow().calibration
    summary = load_cdnow_summary(index_col=[0])
    money = load_cdnow_summary_data_with_monetary_value()
    repeat_buyers = money[money["frequency"] > 0]
    ours = {
        "bgnbd": lambda: fit_bgnbd(data).params,
        "pareto_nbd": lambda: fit_pareto_nbd(data).params,
        "gamma_gamma": lambda: fit_gamma_gamma(data).params,
    }

    def peer_bgnbd():
        f = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        return dict(f.params_)

    def peer_pareto():
        f = lifetimes.ParetoNBDFitter().fit(summary["frequency"], summary["recency"],
                                            summary["T"])  # fmt: skip
        return dict(f.params_)

    def peer_gg():
        f = lifetimes.GammaGammaFitter().fit(repeat_buyers["frequency"],
                                             repeat_buyers["monetary_value"])  # fmt: skip
        found = dict(f.params_)
        return {"p": found["p"], "q": found["q"], "gamma": found["v"]}

    peers = {"bgnbd": peer_bgnbd, "pareto_nbd": peer_pareto, "gamma_gamma": peer_gg}
    report = {"machine": machine(), "lifetimes": lifetimes.__version__, "models": {}}
    for name, fit in ours.items():
        mine, mine_s = timed(fit, args.repeat)
        theirs, theirs_s = timed(peers[name], args.repeat)
        report["models"][name] = {
            "published": PUBLISHED[name],
            "opencdp": {k: round(v, 4) for k, v in mine.items()},
            "lifetimes": {k: round(float(v), 4) for k, v in theirs.items()},
            "opencdp_seconds": round(mine_s, 4), "lifetimes_seconds": round(theirs_s, 4),
            "time_ratio_opencdp_to_lifetimes": round(mine_s / theirs_s, 3),
        }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
