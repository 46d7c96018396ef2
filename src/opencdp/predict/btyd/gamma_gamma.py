"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
curves"; Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

Each order's value is Gamma(p, ν) around the customer's own level, and ν ~ Gamma(q, γ)
across customers. The mean z̄ of a customer's x repeat orders then has the density

    f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · x^(px) · z̄^(px-1) / (γ + x z̄)^(px+q)

fitted on repeat buyers (x > 0) with its analytic gradient. The expected value of a
customer's future orders weighs the population mean pγ/(q-1) against their own mean by how
many orders they made. The model assumes spend is independent of how often one buys; the
fit reports the correlation of the two so that this can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from opencdp.predict.btyd.mle import FitFailed, Floats, distinct_rows, maximize
from opencdp.predict.btyd.summary import PurchaseSummary

NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    frequency_spend_correlation: float = float("nan")  # should be near 0 for the model to hold
    iterations: int = 0
    seconds: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean(self) -> float:
        """Expected order value of a customer with no repeat orders yet: pγ/(q-1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, x: Floats, spend: Floats) -> Floats:
        """E[value of an order | x repeat orders with mean `spend`] (NaN spend counts as none)."""
        x = np.asarray(x, dtype=np.float64)
        m = np.nan_to_num(np.asarray(spend, dtype=np.float64), nan=0.0)
        m = np.where(x > 0, m, 0.0)
        out: Floats = (self.gamma + x * m) * self.p / (self.p * x + self.q - 1)
        return out

    def customer_log_likelihood(self, x: Floats, spend: Floats) -> Floats:
        theta = np.log(np.array([self.p, self.q, self.gamma]))
        return _log_likelihood(theta, np.asarray(x, np.float64), np.asarray(spend, np.float64))[0]


def _log_likelihood(theta: Floats, x: Floats, m: Floats) -> tuple[Floats, Floats]:
    p, q, g = np.exp(theta)
    px = p * x
    gxm = g + x * m
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gxm))  # fmt: skip
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - np.log(gxm))
    d_q = psi - digamma(q) + np.log(g) - np.log(gxm)
    d_g = q / g - (px + q) / gxm
    return ll, np.stack([d_p * p, d_q * q, d_g * g])


def fit_gamma_gamma(summary: PurchaseSummary,
                    start: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> GammaGamma:
    """Maximum-likelihood p, q, γ from the repeat buyers' order counts and mean order values.

    Values are rescaled to a mean of 1 while fitting (γ scales with the currency unit, p and q
    do not), then γ is scaled back.
    """
    repeat = summary.repeat_buyers()
    ok = np.isfinite(repeat.spend) & (repeat.spend > 0)
    x, m = repeat.frequency[ok], repeat.spend[ok]
    if len(x) < 2:
        raise FitFailed("the spend model needs repeat buyers with positive order values")
    scale = 1.0 / float(np.mean(m))
    (ux, um), counts = distinct_rows(x, m)
    n = float(np.sum(counts))
    scaled = um * scale

    def objective(theta: Floats) -> tuple[float, Floats]:
        ll, grad = _log_likelihood(theta, ux, scaled)
        value = -float(counts @ ll) / n
        if not np.isfinite(value):
            return 1e300, np.zeros_like(theta)
        return value, -(grad @ counts) / n

    found = maximize(objective, np.asarray(start, dtype=np.float64))
    p, q, g = (float(v) for v in found.params)
    model = GammaGamma(p, q, g / scale)
    ll = float(counts @ model.customer_log_likelihood(ux, um))
    corr = float(np.corrcoef(x, m)[0, 1]) if len(x) > 2 and np.std(x) > 0 else float("nan")
    return GammaGamma(p, q, g / scale, ll, corr, found.iterations, found.seconds)
