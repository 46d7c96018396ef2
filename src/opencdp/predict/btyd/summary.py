"""A customer's purchase history reduced to what the purchase models read.

The models see each customer as (x, t_x, T): x repeat purchases, the last of them t_x after
the first purchase, and T elapsed between the first purchase and the end of the observed
window; the spend model adds the mean value of the repeat purchases. Purchases within one
period (a day, by default) count as one purchase with their values summed, as in the CDNOW
studies; the first purchase is not a repeat and its value is left out of the mean, since it
is known to differ (Fader, Hardie & Lee 2005).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class PurchaseSummary:
    """Per customer, in model time units: repeat purchases, recency, age; mean repeat spend
    (NaN for a customer without repeat purchases, or when no values were given)."""

    frequency: Floats
    recency: Floats
    age: Floats
    spend: Floats

    def __post_init__(self) -> None:
        n = len(self.frequency)
        if not (len(self.recency) == len(self.age) == len(self.spend) == n):
            raise ValueError("frequency, recency, age and spend must have one value per customer")
        if n and (np.any(self.frequency < 0) or np.any(self.recency < 0)
                  or np.any(self.recency > self.age + 1e-9)):  # fmt: skip
            raise ValueError("need 0 <= recency <= age and frequency >= 0 for every customer")
        if n and np.any((self.frequency == 0) & (self.recency != 0)):
            raise ValueError("a customer without repeat purchases has recency 0")

    def __len__(self) -> int:
        return len(self.frequency)

    @classmethod
    def of(cls, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike,
           spend: ArrayLike | None = None) -> PurchaseSummary:  # fmt: skip
        x = np.asarray(frequency, dtype=np.float64)
        m = np.full(len(x), np.nan) if spend is None else np.asarray(spend, dtype=np.float64)
        return cls(x, np.asarray(recency, dtype=np.float64), np.asarray(age, dtype=np.float64), m)

    def repeat_buyers(self) -> PurchaseSummary:
        """Only customers with at least one repeat purchase (what the spend model fits on)."""
        keep = self.frequency > 0
        return PurchaseSummary(self.frequency[keep], self.recency[keep], self.age[keep],
                               self.spend[keep])  # fmt: skip


def summarize(customer: ArrayLike, when: ArrayLike, value: ArrayLike | None = None, *,
              end: float, unit: float = 1.0,
              period: float = 1.0) -> tuple[NDArray[np.int64], PurchaseSummary]:  # fmt: skip
    """Summarise transactions (customer id, time, value) observed up to `end` (inclusive).

    Times are numbers on one clock (e.g. days); `period` is the length of the buckets that
    merge same-period purchases, `unit` the length of one model time unit (7 for weeks when
    times are days). Returns the customer ids (sorted) and their summaries.
    """
    ids = np.asarray(customer, dtype=np.int64)
    t = np.asarray(when, dtype=np.float64)
    v = np.zeros(len(t)) if value is None else np.asarray(value, dtype=np.float64)
    keep = t <= end
    ids, t, v = ids[keep], t[keep], v[keep]
    if len(ids) == 0:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.int64), PurchaseSummary(empty, empty, empty, empty)
    bucket = np.floor(t / period)
    order = np.lexsort((bucket, ids))
    ids, bucket, v = ids[order], bucket[order], v[order]
    new = np.ones(len(ids), dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (bucket[1:] != bucket[:-1])
    starts = np.flatnonzero(new)
    p_ids, p_bucket, p_value = ids[starts], bucket[starts], np.add.reduceat(v, starts)
    first_of = np.ones(len(p_ids), dtype=bool)
    first_of[1:] = p_ids[1:] != p_ids[:-1]
    c_starts = np.flatnonzero(first_of)
    counts = np.diff(np.append(c_starts, len(p_ids)))
    first_time = p_bucket[c_starts] * period
    last_time = p_bucket[c_starts + counts - 1] * period
    repeat_value = np.where(first_of, 0.0, p_value)
    sums = np.add.reduceat(repeat_value, c_starts)
    x = (counts - 1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        spend = np.where(x > 0, sums / np.maximum(x, 1), np.nan)
    if value is None:
        spend = np.full(len(x), np.nan)
    summary = PurchaseSummary(x, (last_time - first_time) / unit,
                              (max(end, 0.0) - first_time) / unit, spend)  # fmt: skip
    return p_ids[c_starts], summary


def count_purchases(customer: ArrayLike, when: ArrayLike, ids: NDArray[np.int64], *,
                    start: float, end: float, period: float = 1.0) -> Floats:  # fmt: skip
    """Purchases (periods with a purchase) of each customer in `ids` with start < time <= end:
    the holdout outcome the models' predictions are compared with."""
    c = np.asarray(customer, dtype=np.int64)
    t = np.asarray(when, dtype=np.float64)
    keep = (t > start) & (t <= end)
    pairs = np.unique(np.stack([c[keep], np.floor(t[keep] / period).astype(np.int64)]), axis=1)
    found, counts = np.unique(pairs[0], return_counts=True)
    out = np.zeros(len(ids))
    position = np.searchsorted(found, ids)
    hit = (position < len(found)) & (found[np.minimum(position, len(found) - 1)] == ids)
    out[hit] = counts[position[hit]]
    return out
