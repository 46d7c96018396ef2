"""Next product or category per profile, from purchases (weight 1) and views (`view_weight`).

Validation is a time split: the model sees interactions before `holdout_days` ago and must
rank the items each profile went on to buy for the first time in the holdout, against the
baseline of the most popular items (both leave out what the profile already bought). EASE's
λ is chosen on one half of the holdout profiles and the figures reported on the other half,
so the reported quality is not the one that picked λ. The scoring model is then fitted on all
interactions up to now. Catalogues above `max_items` keep their most bought items.

Writes the top `top` items per profile to `profile_recommendations`, and the prediction
`<name>` with the first item as its label and that item's score as its value.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy import sparse

from opencdp.predict import registry
from opencdp.predict.jobs.common import Read, Write, finish, run_recorded
from opencdp.predict.purchases import ORDER_EVENT, VIEW_EVENT, floats
from opencdp.predict.recommend import (
    ItemModel,
    cooccurrence,
    ease,
    popularity,
    ranking_quality,
    top_items,
)
from opencdp.predict.scores import write_scores
from opencdp.privacy.guard import EXISTING

DEFAULTS: dict[str, Any] = {"by": "product", "top": 10, "holdout_days": 30, "view_weight": 0.25,
                            "exclude_purchased": True, "algorithm": "ease", "max_items": 3000,
                            "event": ORDER_EVENT, "view_event": VIEW_EVENT}  # fmt: skip
L2_GRID = (1.0, 10.0, 50.0, 200.0, 1000.0)
K = 10

_INTERACTIONS = """
WITH raw AS (
    SELECT profile_id, "timestamp" AS ts, 1.0 AS weight, unnest(CASE
        WHEN json_type(properties, '$.products') = 'ARRAY'
        THEN json_extract_string(properties, $many)
        ELSE [coalesce(properties ->> $one, properties ->> $alt)] END) AS item
    FROM profile_events
    WHERE event = $order AND "timestamp" < $end
    UNION ALL
    SELECT profile_id, "timestamp", $view_weight, coalesce(properties ->> $one, properties ->> $alt)
    FROM profile_events
    WHERE event = $view AND "timestamp" < $end
)
SELECT profile_id, item, max(weight) AS weight,
       max(weight) FILTER (WHERE ts < $split) AS weight_before,
       bool_or(weight = 1.0 AND ts >= $split) AS bought_after
FROM raw WHERE item IS NOT NULL AND item <> ''
GROUP BY profile_id, item
"""


def options_of(given: dict[str, Any]) -> dict[str, Any]:
    options = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown recommend options: {sorted(unknown)}")
    if options["by"] not in ("product", "category"):
        raise ValueError("recommend by 'product' or 'category'")
    if options["algorithm"] not in ("ease", "cooccurrence"):
        raise ValueError("algorithm must be 'ease' or 'cooccurrence'")
    if not 1 <= int(options["top"]) <= 100:
        raise ValueError("top must be between 1 and 100")
    return options


def run(read: Read, write: Write, name: str, given: dict[str, Any],
        now: datetime) -> dict[str, Any]:  # fmt: skip
    options = options_of(given)
    record = registry.ModelRecord(name, "recommend", options["algorithm"], options, now)
    return run_recorded(
        write, record, now, lambda started: _run(read, write, record, options, now, started)
    )


def _run(read: Read, write: Write, record: registry.ModelRecord, options: dict[str, Any],
         now: datetime, started: float) -> dict[str, Any]:  # fmt: skip
    split = now - timedelta(days=float(options["holdout_days"]))
    field = "product_id" if options["by"] == "product" else "category"
    params = {"order": options["event"], "view": options["view_event"], "end": now,
              "split": split, "view_weight": float(options["view_weight"]),
              "many": f"$.products[*].{field}", "one": field,
              "alt": "sku" if field == "product_id" else "category"}  # fmt: skip
    cols = read(lambda con: con.execute(_INTERACTIONS, params).fetchnumpy())
    users, user_index = np.unique(np.asarray(cols["profile_id"], dtype=object),
                                  return_inverse=True)  # fmt: skip
    items, item_index = np.unique(np.asarray(cols["item"], dtype=object), return_inverse=True)
    weight = np.asarray(cols["weight"], dtype=np.float64)
    before = floats(cols["weight_before"])
    after = np.asarray(cols["bought_after"], dtype=bool)
    if len(items) < 2:
        raise ValueError("recommendations need purchases or views of at least two items")
    keep = _top_items(item_index, weight, int(options["max_items"]))
    rows = keep[item_index]
    items, item_index = items[keep], (np.cumsum(keep) - 1)[item_index[rows]]
    user_index, weight, before, after = user_index[rows], weight[rows], before[rows], after[rows]
    shape = (len(users), len(items))
    x_all = _matrix(user_index, item_index, weight, shape)
    x_before = _matrix(user_index, item_index, before, shape)
    bought_before = _matrix(user_index, item_index, (before == 1.0).astype(float), shape)
    bought_all = _matrix(user_index, item_index, (weight == 1.0).astype(float), shape)
    relevant = _matrix(user_index, item_index, (after & (before != 1.0)).astype(float), shape)
    record.metrics, l2 = _evaluate(x_before, bought_before, relevant, options, users)
    model = _fit(x_all, options["algorithm"], l2)
    exclude = bought_all if options["exclude_purchased"] else None
    best, scores = top_items(model.scores, x_all, int(options["top"]), exclude)
    record.parameters = {"items": len(items), "l2": l2, "by": options["by"]}
    record.rows_trained = len(users)
    record.profiles_scored = len(users)
    record.cutoff = split
    name = record.name

    def store(con: duckdb.DuckDBPyConnection) -> None:
        rank = np.tile(np.arange(1, best.shape[1] + 1), len(users))
        flat, ok = best.ravel(), best.ravel() >= 0
        table = pa.table({
            "profile_id": pa.array(np.repeat(users, best.shape[1])[ok].tolist(), pa.string()),
            "rank": pa.array(rank[ok], pa.int32()),
            "item": pa.array(items[flat[ok]].tolist(), pa.string()),
            "score": pa.array(scores.ravel()[ok], pa.float64()),
        })  # fmt: skip
        con.register("_predict_recs", table)
        try:
            con.execute("DELETE FROM profile_recommendations WHERE model_id IN (SELECT model_id"
                        " FROM prediction_models WHERE name = ?)", [name])  # fmt: skip
            # Only profiles that still exist: one erased while the model was fitted stays so.
            con.execute("INSERT INTO profile_recommendations SELECT profile_id, ?, rank, item,"
                        f" score FROM _predict_recs SEMI JOIN {EXISTING} e USING (profile_id)",
                        [record.model_id])  # fmt: skip
        finally:
            con.unregister("_predict_recs")
        first = best[:, 0] >= 0
        labels = [str(items[i]) for i in best[first, 0]]
        write_scores(con, name, users[first], scores[first, 0], scored_at=now, labels=labels)

    return finish(write, record, started, now, store)


def _evaluate(x: sparse.csr_matrix, bought: sparse.csr_matrix, relevant: sparse.csr_matrix,
              options: dict[str, Any],
              users: NDArray[np.object_]) -> tuple[dict[str, Any], float]:  # fmt: skip
    """Model vs most popular on the holdout; λ picked on half the profiles, figures from the
    other half."""
    has_history = np.asarray(x.sum(axis=1)).ravel() > 0
    half = np.array([_stable_half(u) for u in users.tolist()], dtype=bool)
    tune, report = has_history & half, has_history & ~half
    popular = popularity(bought)

    def most_popular(rows: sparse.csr_matrix) -> np.ndarray:
        return np.tile(popular, (rows.shape[0], 1))

    def quality(rank: Any, rows: np.ndarray) -> dict[str, float]:
        picks, _ = top_items(rank, x[rows], K, bought[rows])
        return ranking_quality(picks, relevant[rows], K)

    l2 = 0.0
    if options["algorithm"] == "ease":
        tried = {v: quality(ease(x, v).scores, tune)["ndcg"] for v in L2_GRID}
        finite = {v: q for v, q in tried.items() if np.isfinite(q)}
        l2 = max(finite, key=lambda v: finite[v]) if finite else 200.0
    model = _fit(x, options["algorithm"], l2)
    ours, baseline = quality(model.scores, report), quality(most_popular, report)
    return {"k": K, "holdout_days": float(options["holdout_days"]),
            "profiles_evaluated": ours["profiles"],
            f"recall@{K}": round(ours["recall"], 4), f"ndcg@{K}": round(ours["ndcg"], 4),
            f"popular_recall@{K}": round(baseline["recall"], 4),
            f"popular_ndcg@{K}": round(baseline["ndcg"], 4),
            "validation": "time split; new purchases in the holdout; l2 chosen on half of the"
                          " profiles, figures from the other half"}, l2  # fmt: skip


def _stable_half(profile_id: str) -> bool:
    return sum(profile_id.encode()) % 2 == 0


def _fit(x: sparse.csr_matrix, algorithm: str, l2: float) -> ItemModel:
    return ease(x, l2) if algorithm == "ease" else cooccurrence(x)


def _top_items(item_index: np.ndarray, weight: np.ndarray, limit: int) -> np.ndarray:
    """Which items the model keeps: all, or the `limit` with the most interactions."""
    counts = np.bincount(item_index, weights=weight)
    if len(counts) <= limit:
        return np.ones(len(counts), dtype=bool)
    keep = np.zeros(len(counts), dtype=bool)
    keep[np.argsort(-counts, kind="stable")[:limit]] = True
    return keep


def _matrix(rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
            shape: tuple[int, int]) -> sparse.csr_matrix:  # fmt: skip
    ok = np.isfinite(values) & (values > 0)
    return sparse.csr_matrix((values[ok], (rows[ok], cols[ok])), shape=shape)


