"""Scoring every compared candidate pair in DuckDB, keeping those worth a decision.

Weights are computed in numpy once per distinct comparison pattern and joined back; only
the name-frequency adjustment differs pair by pair and is added in SQL with bound values.
Only pairs at or above the review threshold leave DuckDB (unless asked for all), so a
million records do not turn into tens of millions of Python objects.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from opencdp.identity.matching.comparisons import gamma_column
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.scoring import frequency_terms
from opencdp.identity.matching.scratch import Scratch, quote_identifier


def _pattern_weights(con: duckdb.DuckDBPyConnection, compared: str, model: MatchModel) -> pa.Table:
    comparisons = model.settings.comparisons
    names = [gamma_column(c) for c in comparisons]
    gammas = ", ".join(quote_identifier(n) for n in names)
    rows = con.execute(f"SELECT DISTINCT {gammas} FROM {compared}").fetchall()
    levels = np.array(rows, dtype=np.int64).reshape(-1, len(names))
    m, u = model.arrays()
    fields = np.arange(len(names))
    weights = model.prior_weight + (np.log2(m[fields, levels]) - np.log2(u[fields, levels])).sum(1)
    columns = {n: pa.array(levels[:, i], pa.int8()) for i, n in enumerate(names)}
    return pa.table({**columns, "pattern_weight": pa.array(weights, pa.float64())})


def _frequency_adjustment(model: MatchModel, params: dict[str, object]) -> str:
    """SQL adding log2(u_exact / frequency) to exact name matches, values bound."""
    for c in model.settings.comparisons:
        terms = frequency_terms(model, c.field)
        if terms is not None:
            params.update(tf_top=terms[0], tf_log_u=terms[1], tf_lowest=terms[2])
            column = quote_identifier(gamma_column(c))
            return (
                f"CASE WHEN c.{column} = $tf_top AND c.name_tf > 0"
                " THEN greatest($tf_log_u - log2(c.name_tf), $tf_lowest) ELSE 0 END"
            )
    return "0"


def score_pairs(con: duckdb.DuckDBPyConnection, scratch: Scratch, records: str, compared: str,
                model: MatchModel) -> pa.Table:  # fmt: skip
    """Pairs with record ids, sources, weight, probability, decision and their levels."""
    settings = model.settings
    weights = scratch.arrow("pattern_weights", _pattern_weights(con, compared, model))
    names = [quote_identifier(gamma_column(c)) for c in settings.comparisons]
    params: dict[str, object] = {
        "auto": settings.auto_merge_probability,
        "review": settings.review_probability,
        "keep_all": settings.keep_non_matches,
    }
    adjust = _frequency_adjustment(model, params)
    join = " AND ".join(f"w.{n} = c.{n}" for n in names)
    levels = ", ".join(f"s.{n}" for n in names)
    return con.sql(
        "SELECT l.record_id AS record_id_l, r.record_id AS record_id_r,"
        " l.source AS source_l, r.source AS source_r, s.match_weight, s.match_probability,"
        " CASE WHEN s.match_probability >= $auto THEN 'auto_merge'"
        "  WHEN s.match_probability >= $review THEN 'review' ELSE 'non_match' END AS decision,"
        f" {levels}, s.name_tf"
        " FROM (SELECT *, 1.0 / (1.0 + pow(2.0, -greatest(least(match_weight, 1000), -1000)))"
        "   AS match_probability FROM ("
        f"  SELECT c.*, w.pattern_weight + {adjust} AS match_weight"
        f"  FROM {compared} c JOIN {weights} w ON {join})) s"
        f" JOIN {records} l ON l.rid = s.rid_l JOIN {records} r ON r.rid = s.rid_r"
        " WHERE $keep_all OR s.match_probability >= $review"
        " ORDER BY s.match_weight DESC, record_id_l, record_id_r",
        params=params,
    ).to_arrow_table()
