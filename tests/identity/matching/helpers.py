"""Small builders shared by the matching tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from opencdp.identity.matching.comparisons import comparison_select, gamma_column
from opencdp.identity.matching.prepare import prepare_records
from opencdp.identity.matching.scratch import Scratch
from opencdp.identity.matching.settings import FIELDS, MatchSettings


def records(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """An Arrow table of person records; absent fields become null columns."""
    columns = ["record_id", "source", *FIELDS]
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})


def levels_of(
    rows: Sequence[dict[str, Any]],
    pairs: Sequence[tuple[int, int]],
    settings: MatchSettings | None = None,
) -> list[dict[str, int]]:
    """Comparison levels of the given (row index, row index) pairs, in that order.

    Record ids are assigned so that `rid` equals the row index.
    """
    settings = settings or MatchSettings()
    numbered = [{**r, "record_id": f"r{i:05d}"} for i, r in enumerate(rows)]
    con = duckdb.connect()
    with Scratch(con) as scratch:
        prepared, _ = prepare_records(con, scratch, records(numbered), settings)
        table = pa.table(
            {
                "pair": list(range(len(pairs))),
                "rid_l": pa.array([p[0] for p in pairs], pa.int32()),
                "rid_r": pa.array([p[1] for p in pairs], pa.int32()),
            }
        )
        sql, params = comparison_select(settings, prepared, scratch.arrow("pairs", table))
        out = con.sql(f"SELECT * FROM ({sql}) ORDER BY pair", params=params).to_arrow_table()
    names = {c.field: gamma_column(c) for c in settings.comparisons}
    return [{f: row[g] for f, g in names.items()} for row in out.to_pylist()]
