"""Customer lifetime value over a horizon: expected purchases × expected order value,
discounted.

The horizon is cut into equal steps (months, by default in the job); the purchases a model
expects within each step are valued at the customer's expected order value and discounted
from the step's end at the annual rate, so CLV = m · Σ_k (E[X(t_k)] - E[X(t_(k-1))]) ·
(1+d)^(-t_k/year) · margin. The same sum serves BG/NBD and Pareto/NBD, which differ only in
E[X(t)].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from opencdp.predict.btyd.mle import Floats


def discounted_value(expected_purchases: Callable[[float], Floats], order_value: Floats, *,
                     horizon: float, steps: int, annual_discount: float,
                     units_per_year: float, margin: float = 1.0) -> Floats:  # fmt: skip
    """CLV per customer; `expected_purchases(t)` gives each customer's E[X(t)] in model units."""
    if horizon <= 0 or steps < 1:
        raise ValueError("the CLV horizon and its number of steps must be positive")
    if annual_discount <= -1:
        raise ValueError("the discount rate must be above -100%")
    value = np.zeros(len(np.asarray(order_value)))
    previous = np.zeros_like(value)
    for k in range(1, steps + 1):
        t = horizon * k / steps
        current = expected_purchases(t)
        value += (current - previous) * (1 + annual_discount) ** (-t / units_per_year)
        previous = current
    out: Floats = margin * np.asarray(order_value, dtype=np.float64) * value
    return out
