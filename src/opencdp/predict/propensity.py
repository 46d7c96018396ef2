"""Propensity classifiers: the probability that a profile does something in the next days.

Two algorithms: gradient-boosted trees (scikit-learn's histogram GBM; missing values are
split on natively, no scaling needed) — the default — and an L2-regularised logistic
regression written here (log-scaled, standardised features with median imputation and
missing-value flags), whose coefficients are easy to read. Both refuse to train on fewer than
100 positive or 100 negative examples: below that, any quality figure is noise.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

MIN_EXAMPLES = 100
# Training runs beside collection (the server's scheduler thread): half the cores at most, so
# OpenMP's spinning threads never crowd out the writer (on 2 cores it slowed a fit 6-fold).
THREADS = max(1, (os.cpu_count() or 2) // 2)
ALGORITHMS = ("gbm", "logistic")
Floats = NDArray[np.float64]


class NotEnoughExamples(ValueError):
    """Too few positive or negative outcomes to train or evaluate a model honestly."""


class Classifier(Protocol):
    algorithm: str

    def predict(self, values: Floats) -> Floats: ...
    def describe(self, names: list[str]) -> dict[str, Any]: ...


def check_examples(y: Floats, what: str) -> None:
    positives = int(np.sum(y > 0.5))
    negatives = int(len(y) - positives)
    if positives < MIN_EXAMPLES or negatives < MIN_EXAMPLES:
        raise NotEnoughExamples(
            f"{what} has {positives} positive and {negatives} negative examples; at least"
            f" {MIN_EXAMPLES} of each are needed (use a longer outcome window, or wait for"
            " more data)")  # fmt: skip


def train(values: Floats, y: Floats, *, algorithm: str = "gbm", seed: int = 0,
          what: str = "the training window") -> Classifier:  # fmt: skip
    """Fit a classifier of `y` (0/1) on `values` (profiles × features, NaN for missing)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}, not {algorithm!r}")
    check_examples(y, what)
    if algorithm == "logistic":
        return Logistic.fit(values, y)
    return Boosted.fit(values, y, seed)


@dataclass
class Boosted:
    model: Any
    columns: NDArray[np.int64]  # features with at least one value in training (binning needs)
    algorithm: str = "gbm"

    @classmethod
    def fit(cls, values: Floats, y: Floats, seed: int) -> Boosted:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        model = HistGradientBoostingClassifier(
            learning_rate=0.06, max_iter=300, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
            n_iter_no_change=20, random_state=seed,
        )  # fmt: skip
        columns = np.flatnonzero(np.any(np.isfinite(values), axis=0))
        with threadpool_limits(limits=THREADS):
            model.fit(values[:, columns], y.astype(np.int64))
        return cls(model, columns)

    def predict(self, values: Floats) -> Floats:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=THREADS):
            out: Floats = self.model.predict_proba(values[:, self.columns])[:, 1]
        return out

    def describe(self, names: list[str]) -> dict[str, Any]:
        return {"trees": int(self.model.n_iter_), "learning_rate": self.model.learning_rate,
                "max_leaf_nodes": self.model.max_leaf_nodes,
                "features": [names[i] for i in self.columns]}  # fmt: skip


@dataclass
class Logistic:
    medians: Floats
    flags: NDArray[np.int64]  # columns that had missing values in training (get a 0/1 flag)
    mean: Floats
    scale: Floats
    coef: Floats
    intercept: float
    algorithm: str = "logistic"
    penalty: float = field(default=1.0)

    @classmethod
    def fit(cls, values: Floats, y: Floats, penalty: float = 1.0) -> Logistic:
        with warnings.catch_warnings():  # a column without any value has median 0
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=0)
        medians = np.nan_to_num(medians, nan=0.0)
        flags = np.flatnonzero(np.any(~np.isfinite(values), axis=0))
        raw = _design(values, medians, flags)
        mean, scale = raw.mean(axis=0), raw.std(axis=0)
        scale[scale == 0] = 1.0
        design = (raw - mean) / scale
        n = len(y)

        def objective(w: Floats) -> tuple[float, Floats]:
            z = design @ w[1:] + w[0]
            # log(1 + e^z) - y z, stably; gradient (sigmoid(z) - y)
            loss = np.logaddexp(0.0, z) - y * z
            residual = _sigmoid(z) - y
            value = float(loss.sum() + 0.5 * penalty * w[1:] @ w[1:]) / n
            grad = np.concatenate([[residual.sum()], design.T @ residual + penalty * w[1:]]) / n
            return value, grad

        found = optimize.minimize(objective, np.zeros(design.shape[1] + 1), jac=True,
                                  method="L-BFGS-B", options={"maxiter": 1000})  # fmt: skip
        return cls(medians, flags, mean, scale, found.x[1:], float(found.x[0]), penalty=penalty)

    def predict(self, values: Floats) -> Floats:
        design = (_design(values, self.medians, self.flags) - self.mean) / self.scale
        return _sigmoid(design @ self.coef + self.intercept)

    def describe(self, names: list[str]) -> dict[str, Any]:
        labels = names + [f"{names[i]} missing" for i in self.flags]
        ranked = sorted(zip(labels, self.coef.tolist(), strict=True), key=lambda c: -abs(c[1]))
        return {"intercept": self.intercept, "penalty": self.penalty,
                "coefficients": {k: round(v, 4) for k, v in ranked}}  # fmt: skip


def _design(values: Floats, medians: Floats, flags: NDArray[np.int64]) -> Floats:
    """log(1+|v|)·sign(v) of each feature (counts and amounts are heavy-tailed), missing →
    the training median, plus a 0/1 column per feature that had missing values."""
    missing = ~np.isfinite(values)
    filled = np.where(missing, medians, values)
    out: Floats = np.column_stack([np.sign(filled) * np.log1p(np.abs(filled)),
                                   missing[:, flags].astype(np.float64)])  # fmt: skip
    return out


def _sigmoid(z: Floats) -> Floats:
    out: Floats = np.exp(-np.logaddexp(0.0, -z))
    return out
