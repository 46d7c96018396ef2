"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987; the likelihood as in
Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related expressions").

While alive a customer buys at rate λ ~ Gamma(r, α); their lifetime is exponential with
rate μ ~ Gamma(s, β). With A0 the integral of the dropout density over (t_x, T],

    L = Γ(r+x) α^r β^s / Γ(r) · ( 1 / ((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0 )

    A0 = F(t_x) - F(T),   F(y) = 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+y)) / (α+y)^(r+s+x)  (α ≥ β)
                           F(y) = 2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+y)) / (β+y)^(r+s+x)  (α < β)

Every term is kept in logs; where scipy's 2F1 series overflows or fails (hundreds of
purchases, z near 1) its Euler integral is taken by quadrature instead, so frequent buyers do
not break the fit. The gradient is taken by central differences (the hypergeometric
function's derivatives in its parameters have no closed form). In code T is `age`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1, logsumexp

from opencdp.predict.btyd.mle import FitFailed, Floats, central_gradient, distinct_rows, maximize
from opencdp.predict.btyd.summary import PurchaseSummary

NAMES = ("r", "alpha", "s", "beta")


@dataclass(frozen=True)
class ParetoNBD:
    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")
    iterations: int = 0
    seconds: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    def _theta(self) -> Floats:
        out: Floats = np.log(np.array([self.r, self.alpha, self.s, self.beta]))
        return out

    def probability_alive(self, x: Floats, tx: Floats, age: Floats) -> Floats:
        """P(alive at T | x, t_x, T): the first term of the likelihood over the whole."""
        _, alive_term, total = _terms(self._theta(), *_arrays(x, tx, age))
        out: Floats = np.exp(alive_term - total)
        return out

    def expected_purchases(self, t: float, x: Floats, tx: Floats, age: Floats) -> Floats:
        """E[purchases in (T, T+t] | x, t_x, T] =
        (r+x)(β+T) / ((α+T)(s-1)) · (1 - ((β+T)/(β+T+t))^(s-1)) · P(alive)."""
        x, tx, age = _arrays(x, tx, age)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        log_ratio = np.log(beta + age) - np.log(beta + age + t)
        # (1 - q^(s-1)) / (s-1), whose limit at s = 1 is -log q
        horizon = -log_ratio if abs(s - 1) < 1e-9 else -np.expm1((s - 1) * log_ratio) / (s - 1)
        out: Floats = (r + x) * (beta + age) / (alpha + age) * horizon * self.probability_alive(
            x, tx, age)
        return out

    def expected_purchases_new(self, t: float) -> float:
        """E[purchases in (0, t]] of a customer just acquired."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        if abs(s - 1) < 1e-9:
            return float(r * beta / alpha * np.log((beta + t) / beta))
        return float(r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1)))

    def customer_log_likelihood(self, x: Floats, tx: Floats, age: Floats) -> Floats:
        base, _, total = _terms(self._theta(), *_arrays(x, tx, age))
        out: Floats = base + total
        return out


def _arrays(*values: Floats) -> tuple[Floats, ...]:
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def _log_hyp2f1(c: Floats, b: Floats | float, z: Floats) -> Floats:
    """log 2F1(c-1, b; c; z) for 0 <= z < 1: scipy's series (accurate to ~1e-10 here), and
    where it overflows or fails (many purchases with z near 1) the Euler integral
    (c-1) ∫ (1-ε)^(c-2) (1-z+zε)^(-b) dε, taken in logs over log ε by Gauss-Legendre."""
    c, z = np.broadcast_arrays(np.asarray(c, np.float64), np.asarray(z, np.float64))
    b = np.broadcast_to(np.asarray(b, np.float64), c.shape)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out: Floats = np.log(hyp2f1(c - 1, b, c, z))
    bad = ~np.isfinite(out)
    if np.any(bad):
        out = out.copy()
        out[bad] = _log_hyp2f1_integral(c[bad], b[bad], z[bad])
    return out


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(200)


def _log_hyp2f1_integral(c: Floats, b: Floats, z: Floats) -> Floats:
    low = np.minimum(np.log((1 - z) / z), -np.log(c)) - 40.0
    v = low[None, :] * (1 - _NODES[:, None]) / 2
    e = np.exp(v)
    with np.errstate(divide="ignore"):
        integrand = v + (c - 2) * np.log1p(-e) - b * np.log((1 - z) + z * e)
    total = logsumexp(integrand + np.log(_WEIGHTS)[:, None], axis=0)
    out: Floats = np.log(c - 1) + np.log(-low / 2) + total
    return out


def _log_f(y: Floats, x: Floats, r: float, alpha: float, s: float, beta: float) -> Floats:
    """log F(y) of the module docstring."""
    c = r + s + x + 1
    b: Floats | float
    if alpha >= beta:
        b, base = s + 1, alpha + y
        z = (alpha - beta) / base
    else:
        b, base = r + x, beta + y
        z = (beta - alpha) / base
    out: Floats = _log_hyp2f1(c, b, z) - (c - 1) * np.log(base)
    return out


def _terms(theta: Floats, x: Floats, tx: Floats, age: Floats) -> tuple[Floats, Floats, Floats]:
    """(log of the common factor, log of the alive term, log of the bracket) per customer."""
    r, alpha, s, beta = np.exp(theta)
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    f_tx, f_age = _log_f(tx, x, r, alpha, s, beta), _log_f(age, x, r, alpha, s, beta)
    with np.errstate(divide="ignore"):
        log_a0 = f_tx + np.log(-np.expm1(np.minimum(f_age - f_tx, 0.0)))
    dead = np.log(s) - np.log(r + s + x) + log_a0
    return base, alive, np.logaddexp(alive, dead)


def fit_pareto_nbd(summary: PurchaseSummary,
                   start: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> ParetoNBD:
    """Maximum-likelihood r, α, s, β (times rescaled to an oldest age of 10 while fitting)."""
    if len(summary) == 0 or not np.any(summary.frequency > 0):
        raise FitFailed("the purchase model needs customers with repeat purchases")
    scale = 10.0 / float(np.max(summary.age)) if np.max(summary.age) > 0 else 1.0
    columns, counts = distinct_rows(summary.frequency, summary.recency, summary.age)
    x, tx, age = columns[0], columns[1] * scale, columns[2] * scale
    n = float(np.sum(counts))

    def value(theta: Floats) -> float:
        base, _, total = _terms(theta, x, tx, age)
        out = -float(counts @ (base + total)) / n
        return out if np.isfinite(out) else 1e300

    found = maximize(central_gradient(value), np.asarray(start, dtype=np.float64))
    r, alpha, s, beta = (float(v) for v in found.params)
    model = ParetoNBD(r, alpha / scale, s, beta / scale)
    ll = float(counts @ model.customer_log_likelihood(columns[0], columns[1], columns[2]))
    return ParetoNBD(model.r, model.alpha, model.s, model.beta, ll, found.iterations,
                     found.seconds)  # fmt: skip
