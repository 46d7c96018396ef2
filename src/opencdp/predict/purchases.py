"""What the models read from the profile tables: purchases, their values, items bought or
viewed, summarised in DuckDB so that a million profiles come back as a few numpy columns.

An order is an event named like the built-in computed traits' (`Order Completed` unless
asked otherwise), valued like them: `total`, else `revenue`, else `price` × `quantity`.
Items are the order's `products[].product_id` (or `sku`), or a single `product_id` / `sku`
property (as on `Product Viewed`); categories the same way from `category`. Every query
takes a time window [start, end): nothing at or after `end` is read, which is what keeps
a model trained for a cut-off from seeing its own outcome; for the same reason summaries up to
a cut-off put each order on its profile as of then (`attribution`: later merges undone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
from numpy.typing import NDArray

from opencdp.predict.attribution import EVENTS, current_profiles, events_as_of
from opencdp.predict.btyd.summary import PurchaseSummary

ORDER_EVENT = "Order Completed"
VIEW_EVENT = "Product Viewed"
AMOUNT_SQL = (
    "coalesce(TRY_CAST(properties ->> 'total' AS DOUBLE),"
    " TRY_CAST(properties ->> 'revenue' AS DOUBLE),"
    " TRY_CAST(properties ->> 'price' AS DOUBLE) * TRY_CAST(properties ->> 'quantity' AS DOUBLE))"
)

# Purchases per profile and UTC day (same-day orders are one purchase, values summed), then
# the models' (x, t_x, T) in days and the mean value of the repeat days.
_SUMMARY = f"""
WITH days AS (
    SELECT profile_id, date_trunc('day', "timestamp")::DATE AS day,
           sum(coalesce({AMOUNT_SQL}, 0)) AS value
    FROM {{events}}
    WHERE event = $event AND "timestamp" >= $start AND "timestamp" < $end
    GROUP BY ALL
)
SELECT profile_id,
       count(*) - 1 AS x,
       date_diff('day', min(day), max(day)) AS tx,
       date_diff('day', min(day), $end_day) AS age,
       CASE WHEN count(*) > 1 THEN (sum(value) - arg_min(value, day)) / (count(*) - 1) END
           AS spend
FROM days GROUP BY profile_id ORDER BY profile_id
"""

_COUNTS = """
SELECT profile_id, count(DISTINCT date_trunc('day', "timestamp")) AS n
FROM profile_events
WHERE event = $event AND "timestamp" >= $start AND "timestamp" < $end
GROUP BY profile_id
"""


@dataclass(frozen=True)
class ProfileSummaries:
    """Purchase summaries in days, with the profile of each row."""

    profile_ids: NDArray[np.object_]
    summary: PurchaseSummary


def purchase_summaries(con: duckdb.DuckDBPyConnection, *, end: datetime,
                       start: datetime | None = None,
                       event: str = ORDER_EVENT,
                       current: bool = False) -> ProfileSummaries:  # fmt: skip
    """Every buyer's (x, t_x, T, mean repeat spend) from orders in [start, end), in days, on
    their profiles as of `end` (`current`: today's profiles, for scoring)."""
    events = EVENTS if current else events_as_of(con, end)
    params = {"event": event, "start": start or datetime(1970, 1, 1, tzinfo=end.tzinfo),
              "end": end, "end_day": end.date()}  # fmt: skip
    cols = con.execute(_SUMMARY.format(events=events), params).fetchnumpy()
    summary = PurchaseSummary.of(
        np.asarray(cols["x"], dtype=np.float64), np.asarray(cols["tx"], dtype=np.float64),
        np.asarray(cols["age"], dtype=np.float64), floats(cols["spend"]),
    )  # fmt: skip
    return ProfileSummaries(np.asarray(cols["profile_id"], dtype=object), summary)


def purchase_counts(con: duckdb.DuckDBPyConnection, profile_ids: NDArray[np.object_], *,
                    start: datetime, end: datetime,
                    event: str = ORDER_EVENT) -> NDArray[np.float64]:  # fmt: skip
    """Purchase days of each listed profile in [start, end) (the holdout outcome), counted on
    today's profile of each (a profile merged away since counts what absorbed it bought)."""
    cols = con.execute(_COUNTS, {"event": event, "start": start, "end": end}).fetchnumpy()
    found = dict(zip(cols["profile_id"].tolist(), cols["n"].tolist(), strict=True))
    now = current_profiles(con, profile_ids).tolist()
    return np.array([found.get(p, 0) for p in now], dtype=np.float64)


def floats(column: object) -> NDArray[np.float64]:
    """A fetched numeric column, NULLs (a masked array) as NaN."""
    out: NDArray[np.float64] = np.ma.filled(np.ma.asarray(column, dtype=np.float64), np.nan)
    return out
