"""'Buy till you die' models: how often a customer buys while alive (BG/NBD, Pareto/NBD), and
how much they spend per order (Gamma-Gamma); fitted by maximum likelihood on each customer's
(frequency, recency, age) summary."""

from opencdp.predict.btyd.bgnbd import BGNBD, fit_bgnbd
from opencdp.predict.btyd.gamma_gamma import GammaGamma, fit_gamma_gamma
from opencdp.predict.btyd.paretonbd import ParetoNBD, fit_pareto_nbd
from opencdp.predict.btyd.summary import PurchaseSummary, summarize

__all__ = ["BGNBD", "GammaGamma", "ParetoNBD", "PurchaseSummary", "fit_bgnbd",
           "fit_gamma_gamma", "fit_pareto_nbd", "summarize"]  # fmt: skip
