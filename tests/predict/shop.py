"""A small shop with a known story, written straight into `profile_events`.

Customers join over three years, visit at their own rate while they are alive (an
exponential lifetime), view products mostly from their favourite category, sometimes buy
one or two of them, and receive a weekly e-mail that they open with their own probability
while alive. Visits follow the seasons (busier in November–December) so that sales have a
yearly pattern. Everything is drawn from one seed, so a test can rely on the structure:
what people buy next is predictable from what they bought and viewed, churn from recency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

NOW = datetime(2024, 6, 1, tzinfo=UTC)
START = datetime(2021, 6, 1, tzinfo=UTC)
CATEGORIES = ("Grocery", "Home", "Sports", "Electronics", "Fashion", "Beauty", "Pets", "Books")
ITEMS_PER_CATEGORY = 6
PRICES = np.linspace(5.0, 120.0, len(CATEGORIES) * ITEMS_PER_CATEGORY)


def item(category: int, index: int) -> str:
    return f"sku-{category}{index:02d}"  # as `load` writes them


@dataclass(frozen=True)
class Shop:
    rows: pa.Table
    customers: int


def seasonal(day: np.ndarray) -> np.ndarray:
    """Visit intensity by day of year: 1 in spring, up to 1.8 in late November."""
    phase = 2 * np.pi * (day - 330) / 365.25
    return 1.0 + 0.4 * (1 + np.cos(phase))


KINDS = ("page", "view", "order", "sent", "opened")


def build(customers: int = 1500, seed: int = 7, *, now: datetime = NOW,
          start: datetime = START) -> Shop:  # fmt: skip
    """Events as numeric columns (customer, kind, day, items, total, campaign); `load`
    turns them into rows with JSON properties in DuckDB."""
    rng = np.random.default_rng(seed)
    span = (now - start).days
    parts: list[np.ndarray] = []
    category_weight = np.array([0.25, 0.18, 0.14, 0.12, 0.11, 0.09, 0.06, 0.05])
    for c in range(customers):
        joined = rng.uniform(0, span - 20)
        lifetime = rng.exponential(rng.choice([120.0, 400.0, 2000.0], p=[0.35, 0.4, 0.25]))
        end = min(span, joined + lifetime)
        rate, buy, opens = rng.gamma(1.5, 1 / 15.0), rng.beta(2.0, 6.0), rng.beta(2.0, 3.0)
        favourite, second = rng.choice(len(CATEGORIES), 2, p=category_weight)
        # visits: a Poisson process at the peak rate, thinned by season
        n = rng.poisson(rate * 1.8 * (end - joined))
        days = np.sort(rng.uniform(joined, end, n))
        days = days[rng.random(n) < seasonal(days % 365.25 + start.timetuple().tm_yday) / 1.8]
        v = len(days)
        pick = rng.random(v)
        cats = np.where(pick < 0.7, favourite, np.where(
            pick < 0.88, second, rng.choice(len(CATEGORIES), v, p=category_weight)))  # fmt: skip
        views = 1 + rng.integers(0, 3, v)
        first = cats * ITEMS_PER_CATEGORY + rng.integers(0, ITEMS_PER_CATEGORY, v)
        other = cats * ITEMS_PER_CATEGORY + rng.integers(0, ITEMS_PER_CATEGORY, v)
        ordered = rng.random(v) < buy
        two = (rng.random(v) < 0.3) & (views > 1)
        total = (PRICES[first] + np.where(two, PRICES[other], 0)) * rng.uniform(0.8, 1.2, v)
        rows = [_rows(c, 0, days), _rows(c, 1, days + 0.001, first)]
        rows.append(_rows(c, 1, (days + 0.002)[views > 1], other[views > 1]))
        rows.append(_rows(c, 2, (days + 0.01)[ordered], first[ordered],
                          np.where(two, other, -1)[ordered], np.round(total[ordered], 2)))
        weeks = np.arange(np.ceil(joined / 7) * 7, span, 7.0)
        opened = rng.random(len(weeks)) < np.where(weeks < end, opens, 0.03)
        rows.append(_rows(c, 3, weeks, campaign=weeks))
        rows.append(_rows(c, 4, (weeks + 0.2)[opened], campaign=weeks[opened]))
        parts.extend(rows)
    data = np.concatenate(parts)
    data = data[np.argsort(data[:, 2], kind="stable")]
    micros = (start.timestamp() * 1e6 + data[:, 2] * 86400e6).astype(np.int64)
    table = pa.table({
        "customer": pa.array(data[:, 0].astype(np.int64)),
        "kind": pa.array(data[:, 1].astype(np.int64)),
        "ts": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "item1": pa.array(data[:, 3].astype(np.int64)),
        "item2": pa.array(data[:, 4].astype(np.int64)),
        "total": pa.array(data[:, 5]),
        "campaign": pa.array(data[:, 6].astype(np.int64)),
    })  # fmt: skip
    return Shop(table, customers)


def _rows(customer: int, kind: int, days: np.ndarray, item1: np.ndarray | None = None,
          item2: np.ndarray | None = None, total: np.ndarray | None = None,
          campaign: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    n = len(days)
    out = np.full((n, 7), -1.0)
    out[:, 0], out[:, 1], out[:, 2] = customer, kind, days
    for column, values in ((3, item1), (4, item2), (5, total), (6, campaign)):
        if values is not None:
            out[:, column] = values
    return out


_SKU = "'sku-' || ({i} // $per)::VARCHAR || lpad(({i} % $per)::VARCHAR, 2, '0')"
_PRODUCT = ("json_object('product_id', " + _SKU + ", 'category', $categories[{i} // $per + 1])")
_LOAD = f"""
INSERT INTO profile_events (profile_id, seq, source_id, type, event, "timestamp", properties,
                            profile_key)
SELECT profile_id, base + row_number() OVER (ORDER BY ts), $source,
       CASE kind WHEN 0 THEN 'page' ELSE 'track' END,
       ['Page Viewed', 'Product Viewed', 'Order Completed', 'Email Sent', 'Email Opened'][kind + 1],
       ts,
       CASE kind
         WHEN 0 THEN json_object('path', '/')
         WHEN 1 THEN {_PRODUCT.format(i="item1")}
         WHEN 2 THEN json_object('total', total, 'currency', 'USD', 'products',
             CASE WHEN item2 < 0 THEN json_array({_PRODUCT.format(i="item1")})
                  ELSE json_array({_PRODUCT.format(i="item1")}, {_PRODUCT.format(i="item2")})
             END)
         ELSE json_object('campaign_id', 'c' || campaign::VARCHAR) END,
       md5_number_upper(profile_id)
FROM (SELECT *, 'prof_' || lpad(customer::VARCHAR, 5, '0') AS profile_id,
             (SELECT coalesce(max(seq), 0) FROM profile_events) AS base FROM _shop)
"""


def load(con: duckdb.DuckDBPyConnection, shop: Shop, source: str = "web") -> None:
    """Append the shop's events to profile_events (as the profile stage would store them)."""
    con.register("_shop", shop.rows)
    try:
        con.execute(_LOAD, {"source": source, "categories": list(CATEGORIES),
                            "per": ITEMS_PER_CATEGORY})  # fmt: skip
        con.execute(
            "INSERT INTO profiles (profile_id, traits, first_seen, last_seen, updated_at)"
            " SELECT profile_id, json_object('email', profile_id || '@shop.example'),"
            " min(\"timestamp\"), max(\"timestamp\"), max(\"timestamp\") FROM profile_events"
            " WHERE profile_id NOT IN (SELECT profile_id FROM profiles) GROUP BY profile_id")
        con.execute(
            "INSERT INTO identity_links SELECT 'email', traits ->> 'email', profile_id"
            " FROM profiles WHERE profile_id NOT IN (SELECT profile_id FROM identity_links)")
    finally:
        con.unregister("_shop")
