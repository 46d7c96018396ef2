"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987; the likelihood as in
Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related expressions").

While alive a customer buys at rate λ ~ Gamma(r, α); their lifetime is exponential with
rate μ ~ Gamma(s, β). With A0 the integral of the dropout density over (t_x, T],

    L = Γ(r+x) α^r β^s / Γ(r) · ( 1 / ((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A0 )

    A0 = F(t_x) - F(T),   F(y) = 2F1(r+s+x, s+1; r+s+x+1; (α-β)/(α+y)) / (α+y)^(r+s+x)  (α ≥ β)
                           F(y) = 2F1(r+s+x, r+x; r+s+x+1; (β-α)/(β+y)) / (β+y)^(r+s+x)  (α < β)

Every term is kept in logs, and 2F1 is evaluated here (`_log_hyp2f1`: a series for z <= 0.75,
the trapezoid rule on its integral nearer 1) rather than by scipy, whose series took minutes
on frequent buyers with z near 1, so neither they nor unidentified parameters stall a fit.
The gradient is taken by central differences (the hypergeometric function's derivatives in
its parameters have no closed form). In code T is `age`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

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


_SERIES_Z = 0.75
_SERIES_BANDS = (0.1, 0.3, 0.5, _SERIES_Z)
_BLOCK = 8192
_STEP = 0.25  # trapezoid step in log u (0.4 would lose four digits)


def _log_hyp2f1(a: Floats, b: Floats, z: Floats, d: Floats) -> Floats:
    """log 2F1(a, b; a+1; z) for a, b > 0, a+1-b > 0 and 0 <= z < 1, given d = 1 - z computed
    without cancellation. Accurate (checked against mpmath) and cheap:

    - z <= 0.75: the Euler transform (1-z)^(1-b) Σ (a+1-b)_n/(a+1)_n z^n, whose terms are
      positive and shrink by at least z each, summed to 1e-16 (at most 130 terms, often 10);
    - nearer 1: a·∫ e^(-au) (d + z(1-e^(-u)))^(-b) du over u = e^v by the trapezoid rule,
      spectrally accurate for this smooth, fast-decaying integrand whatever the scales
      d/(zb) and 1/a (~1e-15 here), where scipy's series needs minutes for hundreds of
      purchases.
    """
    out = np.empty(z.shape)
    below = 0.0
    # rows in bands of z (the series' length follows the band's largest z), a block at a
    # time so the terms × rows temporaries stay small for a million customers
    for top, evaluate in (*((t, _log_series) for t in _SERIES_BANDS), (1.0, _log_trapezoid)):
        band = np.flatnonzero((z > below) & (z <= top)) if below > 0 else np.flatnonzero(z <= top)
        for start in range(0, len(band), _BLOCK):
            rows = band[start:start + _BLOCK]
            out[rows] = evaluate(a[rows], b[rows], z[rows], d[rows])
        below = top
    return out


def _log_series(a: Floats, b: Floats, z: Floats, d: Floats) -> Floats:
    top = float(np.max(z, initial=0.0))
    terms = 1 if top == 0 else min(130, int(np.ceil(np.log(1e-17) / np.log(top))) + 1)
    n = np.arange(terms - 1)[:, None]
    ratios = (a + 1 - b + n) / (a + 1 + n) * z
    total = 1.0 + np.sum(np.cumprod(ratios, axis=0), axis=0)
    out: Floats = (1 - b) * np.log(d) + np.log(total)
    return out


def _log_trapezoid(a: Floats, b: Floats, z: Floats, d: Floats) -> Floats:
    # In v = log u the integrand grows like e^v (flat in u) up to u ~ min(d/(zb), 1/a), then
    # e^-au kills it beyond `high`. The trapezoid rule on the whole line is spectrally
    # accurate; the nodes below `low` (e^-18 further down) are summed in closed form as the
    # geometric series they are, f(low)/(e^step - 1).
    inner = np.minimum(np.minimum(d / (z * b), 1.0 / a), 1.0)
    low = np.log(inner) - 18.0
    high = np.log((38.0 - np.log(a * inner)) / a)
    points = int(np.ceil(np.max(high - low) / _STEP)) + 1
    v = low + (high - low) * np.linspace(0.0, 1.0, points)[:, None]
    u = np.exp(v)
    log_h = v - a * u - b * np.log(d - z * np.expm1(-u))
    peak = np.max(log_h, axis=0)
    h = np.exp(log_h - peak)
    step = (high - low) / (points - 1)
    total = step * (np.sum(h, axis=0) - h[-1] / 2 + h[0] / np.expm1(step))
    out: Floats = np.log(a) + peak + np.log(total)
    return out


def _log_f(y: Floats, x: Floats, r: float, alpha: float, s: float, beta: float) -> Floats:
    """log F(y) of the module docstring."""
    a = r + s + x
    if alpha >= beta:
        b, base, other = np.full_like(x, s + 1), alpha + y, beta + y
    else:
        b, base, other = r + x, beta + y, alpha + y
    z, d = (base - other) / base, other / base
    a, b, z, d = np.broadcast_arrays(a, b, z, d)
    out: Floats = _log_hyp2f1(a, b, z, d) - a * np.log(base)
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
