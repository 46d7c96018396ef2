"""How good a probability is: discrimination (AUC), accuracy (log loss, Brier), calibration by
decile and lift — each computed on outcomes the model was not trained on."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

EPS = 1e-15


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve: P(a random positive scores above a random negative), ties
    counting half (the Mann-Whitney U statistic over n₁·n₀)."""
    y, p = np.asarray(y, dtype=bool), np.asarray(p, dtype=np.float64)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(y: ArrayLike, p: ArrayLike) -> float:
    y, p = np.asarray(y, dtype=np.float64), np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def brier(y: ArrayLike, p: ArrayLike) -> float:
    return float(np.mean((np.asarray(p, np.float64) - np.asarray(y, np.float64)) ** 2))


def deciles(p: ArrayLike) -> np.ndarray:
    """Decile of each score, 10 = highest tenth (equal-sized groups by rank; ties by order)."""
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    out = np.empty(len(p), dtype=np.int64)
    out[order] = 10 - (np.arange(len(p)) * 10 // max(len(p), 1))
    return out


def calibration(y: ArrayLike, p: ArrayLike) -> list[dict[str, Any]]:
    """Per decile (10 first): profiles, mean predicted probability, observed rate, lift over
    the base rate, and cumulative lift (the top k deciles together)."""
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    base = float(y.mean()) if len(y) else float("nan")
    groups = deciles(p)
    rows: list[dict[str, Any]] = []
    hits = count = 0.0
    for d in range(10, 0, -1):
        inside = groups == d
        n = int(inside.sum())
        if n == 0:
            continue
        rate = float(y[inside].mean())
        hits, count = hits + float(y[inside].sum()), count + n
        rows.append({"decile": d, "profiles": n,
                     "predicted": round(float(p[inside].mean()), 4), "observed": round(rate, 4),
                     "lift": round(rate / base, 3) if base > 0 else None,
                     "cumulative_lift": round(hits / count / base, 3) if base > 0 else None,
                     })  # fmt: skip
    return rows


def classification_report(y: ArrayLike, p: ArrayLike) -> dict[str, Any]:
    """Every figure a propensity model reports, JSON-ready."""
    y = np.asarray(y, dtype=np.float64)
    table = calibration(y, p)
    return {
        "auc": round(auc(y, p), 4),
        "log_loss": round(log_loss(y, p), 4),
        "brier": round(brier(y, p), 4),
        "base_rate": round(float(y.mean()), 4),
        "positives": int(y.sum()),
        "negatives": int(len(y) - y.sum()),
        "top_decile_lift": table[0]["lift"] if table else None,
        "calibration": table,
    }
