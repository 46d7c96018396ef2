"""One linkage run: prepare, block, compare, fit (unless a model is given), score."""

from __future__ import annotations

import duckdb

from opencdp.identity.matching.blocking import candidate_pairs
from opencdp.identity.matching.comparisons import comparison_select
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.prepare import Records, prepare_records
from opencdp.identity.matching.result import MatchResult
from opencdp.identity.matching.scored_pairs import score_pairs
from opencdp.identity.matching.scratch import Scratch
from opencdp.identity.matching.settings import MatchSettings
from opencdp.identity.matching.training import fit_model


def match_records(
    con: duckdb.DuckDBPyConnection,
    records: Records,
    settings: MatchSettings | None = None,
    *,
    model: MatchModel | None = None,
) -> MatchResult:
    """Find records of the same person among `records` (Arrow table, relation or view name).

    Without `model`, u is learnt from random pairs and m and λ by EM on the candidates;
    with one, its settings and probabilities are used as they are (no refit).
    """
    if model is not None and settings is not None and settings != model.settings:
        raise ValueError("pass settings or a model, not both: a model carries its settings")
    settings = model.settings if model is not None else settings or MatchSettings()
    with Scratch(con) as scratch:
        prepared, n_records = prepare_records(con, scratch, records, settings)
        pairs, reports = candidate_pairs(con, scratch, prepared, settings)
        sql, params = comparison_select(settings, prepared, pairs)
        compared = scratch.table("compared", sql, params)
        if model is None:
            model = fit_model(con, scratch, prepared, n_records, compared, settings)
        scored = score_pairs(con, scratch, prepared, compared, model)
        n_pairs = con.execute(f"SELECT count(*) FROM {compared}").fetchall()[0][0]
    return MatchResult(scored, model, int(n_pairs), reports)


def score_records(
    con: duckdb.DuckDBPyConnection, records: Records, model: MatchModel
) -> MatchResult:
    """Score `records` with a fitted (e.g. loaded) model, without refitting."""
    return match_records(con, records, model=model)
