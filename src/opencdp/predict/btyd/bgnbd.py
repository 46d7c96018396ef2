"""The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
purchase they drop out with probability p ~ Beta(a, b). The likelihood of (x, t_x, T) is
their equation (6):

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
      + [x>0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

evaluated in logs (the sum by log-add-exp) with its analytic gradient, so the fit is a few
dozen evaluations. Predictions: the conditional expectation (their eq. 10) and P(alive).
In code, T (time since the first purchase) is `age` and t_x is `tx`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from opencdp.predict.btyd.mle import FitFailed, Floats, distinct_rows, maximize
from opencdp.predict.btyd.summary import PurchaseSummary

NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")  # at the fit, on the data it was fitted on
    iterations: int = 0
    seconds: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def probability_alive(self, x: Floats, tx: Floats, age: Floats) -> Floats:
        """P(not dropped out by T) = 1 / (1 + [x>0] · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))."""
        x, tx, age = _arrays(x, tx, age)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = np.log(self.a) - np.log(self.b + x - 1)
            log_odds += (self.r + x) * (np.log(self.alpha + age) - np.log(self.alpha + tx))
        odds = np.where(x > 0, np.exp(np.minimum(log_odds, 700.0)), 0.0)
        out: Floats = 1.0 / (1.0 + odds)
        return out

    def expected_purchases(self, t: float, x: Floats, tx: Floats, age: Floats) -> Floats:
        """E[purchases in (T, T+t] | x, t_x, T] (their eq. 10).

        ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z) is computed in Euler's transformed
        form ((α+T)/(α+T+t))^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay
        small, so frequent buyers do not overflow the series.
        """
        x, tx, age = _arrays(x, tx, age)
        r, alpha, b = self.r, self.alpha, self.b
        # the expression is continuous in a at 1; step off the removable 0/0 there
        a1 = self.a - 1 if abs(self.a - 1) > 1e-8 else 1e-8
        z = t / (alpha + age + t)
        log_decay = a1 * np.log1p(-z) + np.log(hyp2f1(a1 + b - r, a1, a1 + b + x, z))
        numerator = (a1 + b + x) / a1 * -np.expm1(log_decay)
        out: Floats = numerator * self.probability_alive(x, tx, age)
        return out

    def expected_purchases_new(self, t: float) -> float:
        """E[purchases in (0, t]] of a customer just acquired (unconditional, eq. 9)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t)
        tail = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z)
        return float((a + b - 1) / (a - 1) * (1 - tail))

    def customer_log_likelihood(self, x: Floats, tx: Floats, age: Floats) -> Floats:
        return _log_likelihood(np.log(np.array([self.r, self.alpha, self.a, self.b])),
                               *_arrays(x, tx, age))[0]  # fmt: skip


def _arrays(*values: Floats) -> tuple[Floats, ...]:
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def _log_likelihood(theta: Floats, x: Floats, tx: Floats,
                    age: Floats) -> tuple[Floats, Floats]:  # fmt: skip
    """Each customer's log-likelihood and its gradient in log-parameters (4 × n)."""
    r, alpha, a, b = np.exp(theta)
    repeat = x > 0
    la = (gammaln(r + x) - gammaln(r) + r * np.log(alpha)
          + betaln(a, b + x) - betaln(a, b))  # fmt: skip
    l3 = -(r + x) * np.log(alpha + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        l4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
                      - (r + x) * np.log(alpha + tx), -np.inf)  # fmt: skip
    top = np.maximum(l3, l4)
    w3, w4 = np.exp(l3 - top), np.exp(l4 - top)
    total = w3 + w4
    ll = la + top + np.log(total)
    w3, w4 = w3 / total, w4 / total
    bx1 = np.where(repeat, b + x - 1, 1.0)
    d_r = (digamma(r + x) - digamma(r) + np.log(alpha)
           - w3 * np.log(alpha + age) - w4 * np.log(alpha + tx))  # fmt: skip
    d_alpha = r / alpha - w3 * (r + x) / (alpha + age) - w4 * (r + x) / (alpha + tx)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - w4 / bx1
    grad = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return ll, grad


def fit_bgnbd(summary: PurchaseSummary,
              start: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> BGNBD:
    """Maximum-likelihood r, α, a, b from customers' (x, t_x, T).

    Times are rescaled so the oldest customer's age is 10 while fitting (α scales with the
    time unit, the other parameters do not), then α is scaled back.
    """
    if len(summary) == 0 or not np.any(summary.frequency > 0):
        raise FitFailed("the purchase model needs customers with repeat purchases")
    scale = 10.0 / float(np.max(summary.age)) if np.max(summary.age) > 0 else 1.0
    columns, counts = distinct_rows(summary.frequency, summary.recency, summary.age)
    x, tx, age = columns[0], columns[1] * scale, columns[2] * scale
    n = float(np.sum(counts))

    def objective(theta: Floats) -> tuple[float, Floats]:
        ll, grad = _log_likelihood(theta, x, tx, age)
        value = -float(counts @ ll) / n
        if not np.isfinite(value):
            return 1e300, np.zeros_like(theta)
        return value, -(grad @ counts) / n

    found = maximize(objective, np.asarray(start, dtype=np.float64))
    r, alpha, a, b = found.params
    model = BGNBD(float(r), float(alpha / scale), float(a), float(b))
    ll = float(counts @ model.customer_log_likelihood(columns[0], columns[1], columns[2]))
    return BGNBD(model.r, model.alpha, model.a, model.b, ll, found.iterations, found.seconds)
