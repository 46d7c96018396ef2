"""Maximum likelihood for the purchase and spend models: the shared machinery.

Every parameter of these models is positive, so the optimiser works on their logarithms
(unconstrained, and the scales of r≈0.2 and α≈10 stop mattering). Customers with the same
summary contribute the same log-likelihood, so identical rows are fitted once with a weight:
a million profiles measured in days collapse to far fewer distinct (x, t_x, T), and the fit
costs what those cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from threadpoolctl import threadpool_limits

Floats = NDArray[np.float64]
Objective = Callable[[Floats], tuple[float, Floats]]


LOG_BOUND = 15.0


class FitFailed(ValueError):
    """The likelihood could not be maximised (too little or degenerate data)."""


@dataclass(frozen=True)
class Maximum:
    """Where the log-likelihood peaked: natural-scale parameters and how it got there."""

    params: Floats
    log_likelihood: float
    iterations: int
    seconds: float


def distinct_rows(*columns: Floats) -> tuple[list[Floats], Floats]:
    """The distinct rows of equal-length columns and how many times each occurs."""
    stacked = np.ascontiguousarray(np.column_stack(columns))
    rows = stacked.view(np.dtype((np.void, stacked.dtype.itemsize * stacked.shape[1])))
    _, first, counts = np.unique(rows.ravel(), return_index=True, return_counts=True)
    unique = stacked[first]
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def maximize(objective: Objective, start: Floats) -> Maximum:
    """Maximise a log-likelihood given as `log_params -> (-LL, -dLL/dlog_params)`.

    L-BFGS-B on log-parameters with the model's own gradient; tolerance tight enough that
    the fitted parameters are stable to well beyond three significant figures. Parameters are
    kept within e^±15 of 1 (on data scaled to ages of about 10), so the line search never
    wanders where the special functions overflow; a parameter that ends on that bound means
    the data cannot identify it (e.g. no heterogeneity in dropout).
    """
    began = time.perf_counter()
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    # L-BFGS-B's tiny BLAS calls only lose from threads (spinning OpenBLAS threads made a
    # CDNOW fit 5x slower on a busy 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        result = optimize.minimize(
            objective, np.log(start), jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
        )  # fmt: skip
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitFailed("the likelihood did not converge; is there enough purchase history?")
    return Maximum(np.exp(result.x), -float(result.fun), int(result.nit),
                   time.perf_counter() - began)  # fmt: skip


def central_gradient(value: Callable[[Floats], float], step: float = 1e-5) -> Objective:
    """An objective whose gradient is taken by central differences (for likelihoods whose
    derivatives involve the Gauss hypergeometric function's parameters)."""

    def objective(theta: Floats) -> tuple[float, Floats]:
        grad = np.empty_like(theta)
        for i in range(len(theta)):
            h = np.zeros_like(theta)
            h[i] = step
            grad[i] = (value(theta + h) - value(theta - h)) / (2 * step)
        return value(theta), grad

    return objective
