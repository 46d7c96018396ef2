"""Features of each profile as of a cut-off time, and outcomes after it.

A propensity model learns from the past how features at a cut-off relate to what happened in
the following days, then applies that to features now. Everything a feature reads is an
event with a time before the cut-off — recency, frequency and value of orders (RFM),
engagement (active days, views, carts, e-mail opens and clicks), channels, the trend of
activity (e-mails sent to a person are not their activity) — and the numeric computed
traits defined in the workspace are recomputed over those same events (their stored values
are as of now, so using them would leak the outcome). Nothing at or after the cut-off is
read, so changing later data cannot change the features (tested); that includes merges of
identities made later, which are undone for the cut-off (`attribution`), and outcomes are
counted on today's profile of each row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
from numpy.typing import NDArray

from opencdp.predict.attribution import EVENTS, current_profiles, events_as_of
from opencdp.predict.purchases import AMOUNT_SQL, ORDER_EVENT, floats
from opencdp.profiles.computed.catalog import load_definitions
from opencdp.profiles.computed.sql_parts import RECORDS_SELECT, Relations
from opencdp.profiles.computed.units import generic_units

INTERACTIONS = "('track', 'page', 'screen')"
CART_EVENTS = ("Product Added", "Added to Cart")
_NUMERIC = ("sum", "avg", "min", "max")

# Events a business sends to a person are not the person being active.
PASSIVE_EVENTS = ("Email Sent", "Email Delivered", "Email Bounced", "Push Notification Sent",
                  "SMS Sent")  # fmt: skip
ACTIVE_SQL = f"type IN {INTERACTIONS} AND NOT list_contains($passive, coalesce(event, ''))"

_FEATURES = f"""
WITH e AS (
  SELECT profile_id, "timestamp", event, source_id, properties, {ACTIVE_SQL} AS active
  FROM {{events}} WHERE "timestamp" < $cut AND type IN {INTERACTIONS}
)
SELECT profile_id,
  epoch($cut - max("timestamp") FILTER (WHERE active)) / 86400 AS recency_days,
  epoch($cut - min("timestamp") FILTER (WHERE active)) / 86400 AS tenure_days,
  count(*) FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 7 DAY) AS events_7d,
  count(*) FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 30 DAY) AS events_30d,
  count(*) FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 60 DAY
                   AND "timestamp" < $cut - INTERVAL 30 DAY) AS events_prior_30d,
  count(*) FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 90 DAY) AS events_90d,
  count(*) FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 365 DAY) AS events_365d,
  count(DISTINCT date_trunc('day', "timestamp"))
      FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 30 DAY) AS active_days_30d,
  count(DISTINCT date_trunc('day', "timestamp"))
      FILTER (WHERE active AND "timestamp" >= $cut - INTERVAL 90 DAY) AS active_days_90d,
  count(*) FILTER (WHERE event = $order) AS orders,
  count(*) FILTER (WHERE event = $order AND "timestamp" >= $cut - INTERVAL 90 DAY) AS orders_90d,
  count(*) FILTER (WHERE event = $order AND "timestamp" >= $cut - INTERVAL 365 DAY)
      AS orders_365d,
  coalesce(sum({AMOUNT_SQL}) FILTER (WHERE event = $order), 0) AS revenue,
  coalesce(sum({AMOUNT_SQL}) FILTER (WHERE event = $order
                                     AND "timestamp" >= $cut - INTERVAL 365 DAY), 0)
      AS revenue_365d,
  avg({AMOUNT_SQL}) FILTER (WHERE event = $order) AS average_order_value,
  epoch($cut - max("timestamp") FILTER (WHERE event = $order)) / 86400 AS order_recency_days,
  count(*) FILTER (WHERE event = 'Product Viewed' AND "timestamp" >= $cut - INTERVAL 30 DAY)
      AS product_views_30d,
  count(*) FILTER (WHERE list_contains($carts, event) AND "timestamp" >= $cut - INTERVAL 30 DAY)
      AS cart_adds_30d,
  count(*) FILTER (WHERE event = 'Email Sent' AND "timestamp" >= $cut - INTERVAL 90 DAY)
      AS emails_sent_90d,
  count(*) FILTER (WHERE event = 'Email Opened' AND "timestamp" >= $cut - INTERVAL 90 DAY)
      AS emails_opened_90d,
  count(*) FILTER (WHERE event = 'Email Link Clicked' AND "timestamp" >= $cut - INTERVAL 90 DAY)
      AS emails_clicked_90d,
  count(*) FILTER (WHERE event = 'Email Opened') AS emails_opened,
  count(DISTINCT source_id) FILTER (WHERE active) AS channels
FROM e
GROUP BY profile_id
HAVING max("timestamp") FILTER (WHERE active) >= $active_since
ORDER BY profile_id
"""


@dataclass(frozen=True)
class Features:
    """One row per profile active in the lookback before the cut-off."""

    profile_ids: NDArray[np.object_]
    names: list[str]
    values: NDArray[np.float64]  # profiles × names; NaN where a value does not exist
    cutoff: datetime

    def __len__(self) -> int:
        return len(self.profile_ids)


def features_at(con: duckdb.DuckDBPyConnection, cutoff: datetime, *, lookback_days: int = 365,
                order_event: str = ORDER_EVENT, traits: bool = True,
                current: bool = False) -> Features:  # fmt: skip
    """Features of every profile with an interaction in the `lookback_days` before `cutoff`,
    each event on its profile as of `cutoff` (`current`: on today's profiles, for scoring)."""
    events = EVENTS if current else events_as_of(con, cutoff)
    params = {"cut": cutoff, "active_since": cutoff - timedelta(days=lookback_days),
              "order": order_event, "carts": list(CART_EVENTS),
              "passive": list(PASSIVE_EVENTS)}  # fmt: skip
    cols = con.execute(_FEATURES.format(events=events), params).fetchnumpy()
    ids = np.asarray(cols.pop("profile_id"), dtype=object)
    names = list(cols)
    empty = np.zeros((0, len(names)))
    values = np.column_stack([floats(cols[n]) for n in names]) if ids.size else empty
    prior = values[:, names.index("events_prior_30d")]
    recent = values[:, names.index("events_30d")]
    names.append("events_trend")
    values = np.column_stack([values, (recent + 1) / (prior + 1)])
    if traits:
        trait_names, trait_values = _computed_traits_at(con, cutoff, ids, events)
        names += trait_names
        values = np.column_stack([values, trait_values]) if trait_names else values
    return Features(ids, names, values, cutoff)


def outcomes(con: duckdb.DuckDBPyConnection, profile_ids: NDArray[np.object_], *,
             start: datetime, end: datetime,
             event: str | None) -> NDArray[np.float64]:  # fmt: skip
    """1.0 for each listed profile with the event in [start, end); with no event, any activity
    of the person (interactions, not e-mails sent to them). Profiles merged away since the
    cut-off take the outcome of the profile that absorbed them."""
    params: dict[str, object] = {"start": start, "end": end}
    if event is not None:
        condition, params["event"] = "event = $event", event
    else:
        condition, params["passive"] = ACTIVE_SQL, list(PASSIVE_EVENTS)
    found = con.execute(
        f'SELECT DISTINCT profile_id FROM profile_events WHERE {condition}'
        f' AND "timestamp" >= $start AND "timestamp" < $end', params,
    ).fetchnumpy()["profile_id"]  # fmt: skip
    now = current_profiles(con, profile_ids)
    return np.isin(now, np.asarray(found, dtype=object)).astype(np.float64)


def _computed_traits_at(
    con: duckdb.DuckDBPyConnection, cutoff: datetime, ids: NDArray[np.object_], events: str,
) -> tuple[list[str], NDArray[np.float64]]:
    """The workspace's numeric computed traits recomputed over what existed before `cutoff`:
    events before it, and imported records last updated before it."""
    traits = [(n, d) for n, d in load_definitions(con) if d.builtin is None and (
        d.aggregate in ("count", "distinct_count")
        or (d.aggregate in _NUMERIC and d.value_type == "number"))]  # fmt: skip
    if not traits or not ids.size:
        return [], np.zeros((len(ids), 0))
    stamp = cutoff.isoformat()
    con.execute(f"CREATE OR REPLACE TEMP VIEW _predict_events AS SELECT * FROM {events}"
                f" WHERE \"timestamp\" < TIMESTAMPTZ '{stamp}'")  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP VIEW _predict_records AS SELECT * FROM"
                f" ({RECORDS_SELECT}) WHERE \"timestamp\" < TIMESTAMPTZ '{stamp}'")  # fmt: skip
    relations = Relations(events="_predict_events", records="_predict_records")
    out = np.full((len(ids), len(traits)), np.nan)
    index = {name: i for i, (name, _) in enumerate(traits)}
    for unit, params in generic_units(traits, relations, cutoff):
        cols = con.execute(unit.select.sql("duckdb"), params.values).fetchnumpy()
        found = np.asarray(cols["profile_id"], dtype=object)
        at = np.searchsorted(ids, found)  # ids are sorted (ORDER BY profile_id)
        hit = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == found)
        for column in unit.columns:
            out[at[hit], index[column.name]] = floats(cols[column.value])[hit]
    return [f"trait.{name}" for name, _ in traits], out


