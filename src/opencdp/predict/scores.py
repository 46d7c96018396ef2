"""Writing scores where segments and the 360° view read them: `profile_predictions`.

Each run replaces the prediction's rows, so the table holds one current score per profile
and prediction (the registry keeps the history of models, not of scores). Next to each score
goes its percentile among the profiles scored in the same run, as the prediction
`<name>_percentile` (0–100), so a segment can say either `prediction("churn") > 0.7` or
`prediction("churn_percentile") >= 90`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.stats import rankdata

from opencdp.privacy.guard import EXISTING

PERCENTILE_SUFFIX = "_percentile"


def percentiles(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The share of scored profiles (in %) whose value is at most each value."""
    if len(values) == 0:
        return np.zeros(0)
    out: NDArray[np.float64] = np.round(rankdata(values, method="max") / len(values) * 100, 2)
    return out


def write_scores(con: duckdb.DuckDBPyConnection, name: str, profile_ids: NDArray[np.object_],
                 values: NDArray[np.float64], *, scored_at: datetime,
                 labels: Sequence[str | None] | None = None) -> int:  # fmt: skip
    """Replace prediction `name` and `<name>_percentile` with these scores; returns rows."""
    finite = np.isfinite(values)
    ids, vals = profile_ids[finite], values[finite]
    table = pa.table({
        "profile_id": pa.array(ids.tolist(), pa.string()),
        "value": pa.array(vals, pa.float64()),
        "label": pa.nulls(len(ids), pa.string()) if labels is None else pa.array(
            [labels[int(i)] for i in np.flatnonzero(finite)], pa.string()),
        "percentile": pa.array(percentiles(vals), pa.float64()),
    })  # fmt: skip
    rank = name + PERCENTILE_SUFFIX
    con.register("_predict_scores", table)
    try:
        con.execute("DELETE FROM profile_predictions WHERE prediction IN (?, ?)", [name, rank])
        # Only profiles that still exist: one erased while the model was fitted stays erased.
        con.execute("INSERT INTO profile_predictions SELECT profile_id, $name, value, label, $at"
                    f" FROM _predict_scores SEMI JOIN {EXISTING} e USING (profile_id)",
                    {"name": name, "at": scored_at})  # fmt: skip
        con.execute("INSERT INTO profile_predictions SELECT profile_id, $name, percentile, NULL,"
                    f" $at FROM _predict_scores SEMI JOIN {EXISTING} e USING (profile_id)",
                    {"name": rank, "at": scored_at})  # fmt: skip
    finally:
        con.unregister("_predict_scores")
    return len(ids)


def remove_scores(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("DELETE FROM profile_predictions WHERE prediction IN (?, ?)",
                [name, name + PERCENTILE_SUFFIX])  # fmt: skip
