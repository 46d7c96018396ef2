"""Customers drawn from the models' own stories, for property tests and job tests."""

from __future__ import annotations

import numpy as np

from opencdp.predict.btyd.summary import PurchaseSummary


def bgnbd_customers(
    rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float,
    age: tuple[float, float] = (20.0, 40.0),
) -> PurchaseSummary:  # fmt: skip
    """n customers: Poisson purchases at λ ~ Gamma(r, α) while alive, p ~ Beta(a, b) dropout
    after each purchase, observed for an age drawn uniformly from `age`."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(*age, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i]) if lam[i] > 0 else np.inf
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return PurchaseSummary.of(x, tx, T)


def gamma_gamma_spend(rng: np.random.Generator, x: np.ndarray, p: float, q: float,
                      gamma: float) -> np.ndarray:  # fmt: skip
    """Mean order value of each customer's x orders: Gamma(p, ν) orders, ν ~ Gamma(q, γ)."""
    nu = rng.gamma(q, 1.0 / gamma, len(x))
    total = rng.gamma(np.maximum(p * x, 1e-9), 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1), np.nan)


def pareto_customers(
    rng: np.random.Generator, n: int, r: float, alpha: float, s: float, beta: float,
    age: tuple[float, float] = (20.0, 40.0),
) -> PurchaseSummary:  # fmt: skip
    """n customers: Poisson purchases at λ ~ Gamma(r, α) during an exponential lifetime with
    rate μ ~ Gamma(s, β); the last of x purchases in (0, end) is end · Beta(x, 1)."""
    lam, mu = rng.gamma(r, 1.0 / alpha, n), rng.gamma(s, 1.0 / beta, n)
    T = rng.uniform(*age, n)
    end = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * end).astype(float)
    tx = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return PurchaseSummary.of(x, tx, T)
