"""Trends and retention lists, computed on demand in SQL over the profile tables.

- Popular, rising and falling products (or categories): purchases in the last `days` against
  the `days` before; rising and falling need at least `min_count` purchases in one of the
  two windows, so a jump from 1 to 3 is not news.
- High-value customers: by the CLV prediction when one is stored, else by revenue in the
  last year.
- Declining engagement: people whose active days in the last `days` fell to at most half of
  their average over the three windows before, among those active on at least `min_days`
  days in that earlier span — the ones a retention campaign can still reach.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from opencdp.predict.features import ACTIVE_SQL, PASSIVE_EVENTS
from opencdp.predict.purchases import AMOUNT_SQL, ORDER_EVENT

_ITEMS = """
WITH bought AS (
    SELECT "timestamp" AS ts, unnest(CASE
        WHEN json_type(properties, '$.products') = 'ARRAY'
        THEN json_extract_string(properties, $many)
        ELSE [properties ->> $one] END) AS item
    FROM profile_events
    WHERE event = $event AND "timestamp" >= $before AND "timestamp" < $now
)
SELECT item, count(*) FILTER (WHERE ts >= $since) AS recent,
       count(*) FILTER (WHERE ts < $since) AS previous
FROM bought WHERE item IS NOT NULL GROUP BY item
"""


def trends(con: duckdb.DuckDBPyConnection, now: datetime, *, by: str = "product",
           days: int = 30, limit: int = 10, min_count: int = 5,
           event: str = ORDER_EVENT) -> dict[str, Any]:  # fmt: skip
    if by not in ("product", "category"):
        raise ValueError("trends by 'product' or 'category'")
    field = "product_id" if by == "product" else "category"
    since = now - timedelta(days=days)
    params = {"event": event, "now": now, "since": since, "before": since - timedelta(days=days),
              "many": f"$.products[*].{field}", "one": field}  # fmt: skip
    rows = con.execute(_ITEMS, params).fetchall()
    items = [{"item": i, "recent": r, "previous": p, "change": r - p,
              "growth": round((r - p) / p, 3) if p else None} for i, r, p in rows]  # fmt: skip
    moving = [x for x in items if max(x["recent"], x["previous"]) >= min_count]
    return {
        "by": by, "days": days, "window_start": since.isoformat(), "window_end": now.isoformat(),
        "popular": sorted(items, key=lambda x: (-x["recent"], x["item"]))[:limit],
        "rising": sorted([x for x in moving if x["change"] > 0],
                         key=lambda x: (-x["change"], x["item"]))[:limit],
        "falling": sorted([x for x in moving if x["change"] < 0],
                          key=lambda x: (x["change"], x["item"]))[:limit],
    }  # fmt: skip


def high_value(con: duckdb.DuckDBPyConnection, now: datetime, *, limit: int = 100,
               prediction: str = "clv", event: str = ORDER_EVENT) -> dict[str, Any]:  # fmt: skip
    scored = con.execute("SELECT count(*) FROM profile_predictions WHERE prediction = ?",
                         [prediction]).fetchone()  # fmt: skip
    if scored and scored[0]:
        rows = con.execute(
            "SELECT profile_id, arg_max(value, scored_at) AS v FROM profile_predictions"
            " WHERE prediction = ? GROUP BY profile_id ORDER BY v DESC, profile_id LIMIT ?",
            [prediction, limit]).fetchall()  # fmt: skip
        basis = f"prediction {prediction}"
    else:
        rows = con.execute(
            f"SELECT profile_id, sum({AMOUNT_SQL}) AS v FROM profile_events WHERE event = ?"
            " AND \"timestamp\" >= ? AND \"timestamp\" < ? GROUP BY profile_id"
            " HAVING v IS NOT NULL ORDER BY v DESC, profile_id LIMIT ?",
            [event, now - timedelta(days=365), now, limit]).fetchall()  # fmt: skip
        basis = "revenue in the last 365 days"
    return {"basis": basis,
            "profiles": [{"profile_id": p, "value": round(v, 2)} for p, v in rows]}  # fmt: skip


_DECLINING = f"""
SELECT profile_id,
       count(DISTINCT date_trunc('day', "timestamp")) FILTER (WHERE "timestamp" >= $since)
           AS recent_days,
       count(DISTINCT date_trunc('day', "timestamp")) FILTER (WHERE "timestamp" < $since)
           AS earlier_days
FROM profile_events
WHERE {ACTIVE_SQL} AND "timestamp" >= $start AND "timestamp" < $now
GROUP BY profile_id
HAVING earlier_days >= $min_days AND recent_days <= earlier_days / 3.0 / 2
ORDER BY recent_days / (earlier_days / 3.0), earlier_days DESC, profile_id
LIMIT $limit
"""


def declining(con: duckdb.DuckDBPyConnection, now: datetime, *, days: int = 30,
              limit: int = 100, min_days: int = 3) -> dict[str, Any]:  # fmt: skip
    since = now - timedelta(days=days)
    rows = con.execute(_DECLINING, {"since": since, "start": since - timedelta(days=3 * days),
                                    "now": now, "min_days": min_days, "limit": limit,
                                    "passive": list(PASSIVE_EVENTS)}).fetchall()  # fmt: skip
    return {"days": days, "profiles": [
        {"profile_id": p, "active_days_recent": recent,
         "active_days_before_average": round(earlier / 3.0, 2)} for p, recent, earlier in rows]}
