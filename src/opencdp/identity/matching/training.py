"""Fitting a model: u from random pairs, then m and λ by EM over the candidate pairs.

Random pairs agree exactly on an e-mail or a phone mostly because they *are* one person,
so the shares they show are not yet u: after each fit of m and λ (`sessions.py`), the
expected matches are taken out of them and m and λ fitted again, a few rounds. λ is the
prior that two records are one person, over all record pairs; pairs blocking never proposed
count as non-matches (blocking is assumed to keep nearly every true match).
"""

from __future__ import annotations

import duckdb
import numpy as np
import numpy.typing as npt

from opencdp.identity.matching.chance import estimate_u
from opencdp.identity.matching.comparisons import gamma_column, level_labels
from opencdp.identity.matching.em import Levels, Probabilities, normalise_levels
from opencdp.identity.matching.model import MatchModel
from opencdp.identity.matching.scratch import Scratch, quote_identifier
from opencdp.identity.matching.sessions import fit_sessions
from opencdp.identity.matching.settings import MatchSettings

ROUNDS = 3
"""Fits of m and λ; after each but the last, u is cleared of the matches in random pairs."""


def level_counts_of(settings: MatchSettings) -> npt.NDArray[np.int64]:
    """Number of levels (with "missing") of each comparison, in settings order."""
    return np.array([len(level_labels(c)) for c in settings.comparisons], dtype=np.int64)


def comparison_patterns(
    con: duckdb.DuckDBPyConnection, settings: MatchSettings, compared: str
) -> tuple[Levels, npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Distinct (levels, rule_mask) of the compared candidate pairs with their counts."""
    gammas = ", ".join(quote_identifier(gamma_column(c)) for c in settings.comparisons)
    rows = con.execute(
        f"SELECT {gammas}, rule_mask, count(*) FROM {compared} GROUP BY ALL"
    ).fetchall()
    table = np.array(rows, dtype=np.int64).reshape(-1, len(settings.comparisons) + 2)
    return table[:, :-2], table[:, -2], table[:, -1].astype(np.float64)


def without_matches(observed: Probabilities, m: Probabilities, prior: float,
                    n_levels: npt.NDArray[np.int64]) -> Probabilities:  # fmt: skip
    """u of non-matches from the level shares of random pairs, which include matches:
    u = (observed − λ·m) / (1 − λ), kept above 1% of the observed share against a poor λ.
    """
    cleared = np.maximum((observed - prior * m) / (1.0 - prior), observed * 0.01)
    return normalise_levels(cleared, n_levels)


def fit_model(
    con: duckdb.DuckDBPyConnection,
    scratch: Scratch,
    records: str,
    n_records: int,
    compared: str,
    settings: MatchSettings,
) -> MatchModel:
    """Learn u from random pairs, then m and λ by EM over the compared candidate pairs."""
    n_levels = level_counts_of(settings)
    observed = estimate_u(con, scratch, records, settings, n_levels)
    levels, masks, counts = comparison_patterns(con, settings, compared)
    all_pairs = _all_pairs(con, records, n_records, settings)
    u, iterations = observed, 0
    for round_ in range(ROUNDS):
        fit = fit_sessions(levels, masks, counts, n_levels, u, all_pairs, settings)
        iterations += fit.iterations
        if round_ < ROUNDS - 1:
            u = without_matches(observed, fit.m, fit.prior, n_levels)
    fields = [c.field for c in settings.comparisons]
    return MatchModel(
        settings=settings,
        m={f: tuple(float(x) for x in fit.m[i, : n_levels[i]]) for i, f in enumerate(fields)},
        u={f: tuple(float(x) for x in u[i, : n_levels[i]]) for i, f in enumerate(fields)},
        match_probability=fit.prior,
        iterations=iterations,
        converged=fit.converged,
        untrained=tuple(f for f, ok in zip(fields, fit.trained, strict=True) if not ok),
        notes=fit.notes,
    )


def _all_pairs(con: duckdb.DuckDBPyConnection, records: str, n_records: int,
               settings: MatchSettings) -> float:  # fmt: skip
    """Record pairs the prior is a share of: across sources only, when linking so."""
    if not settings.link_only_across_sources:
        return max(n_records * (n_records - 1) / 2.0, 1.0)
    same = con.execute(
        f"SELECT sum(c * c)::DOUBLE FROM (SELECT count(*) c FROM {records} GROUP BY source)"
    ).fetchall()[0][0]
    return max((n_records * n_records - float(same)) / 2.0, 1.0)
