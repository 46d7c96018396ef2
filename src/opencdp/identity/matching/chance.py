"""u: how often two different people's records agree on a field by chance.

Measured on random record pairs (a seeded sample, so a refit gives the same model), except
for exact agreement: it is rare (two strangers share a phone number once in millions of
pairs) and a sample would mostly see it zero times, so its share is computed exactly from
value frequencies — Σ c·(c−1) / N·(N−1) over the values of the field.
"""

from __future__ import annotations

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opencdp.identity.matching.comparisons import comparison_select, gamma_column
from opencdp.identity.matching.em import Probabilities, level_counts, normalise_levels
from opencdp.identity.matching.scratch import Scratch, quote_identifier
from opencdp.identity.matching.settings import Comparison, MatchSettings

_VALUE = {"name": "nm_sorted", "birth_date": "birth_date", "location": "address"}


class NoRandomPairs(ValueError):
    """Too few records (or, linking across sources, a single source) to learn u from."""


def sample_pairs(sources: npt.NDArray[np.int64], settings: MatchSettings) -> pa.Table:
    """Seeded random pairs (rid_l < rid_r) of distinct records, of different sources if asked."""
    rng = np.random.default_rng(settings.seed)
    n, wanted = len(sources), settings.u_sample_pairs
    left = rng.integers(0, n, wanted * 3) if n > 1 else np.zeros(0, np.int64)
    right = rng.integers(0, n, len(left))
    keep = left != right
    if settings.link_only_across_sources:
        keep &= sources[left] != sources[right]
    left, right = left[keep][:wanted], right[keep][:wanted]
    if len(left) == 0:
        raise NoRandomPairs("no random pairs of distinct records to learn u from")
    return pa.table(
        {
            "rid_l": np.minimum(left, right).astype(np.int32),
            "rid_r": np.maximum(left, right).astype(np.int32),
        }
    )


def exact_share(
    con: duckdb.DuckDBPyConnection, records: str, comparison: Comparison, across: bool
) -> float | None:
    """Chance that two records with the field present agree exactly (None: never present)."""
    value = quote_identifier(_VALUE.get(comparison.field, comparison.field))
    row = con.execute(
        "SELECT sum(n * n - CASE WHEN $across THEN same ELSE n END)::DOUBLE,"
        " sum(n)::DOUBLE FROM (SELECT sum(c) AS n, sum(c * c) AS same"
        f" FROM (SELECT {value} AS v, source, count(*) AS c FROM {records}"
        f"  WHERE {value} IS NOT NULL GROUP BY ALL) GROUP BY v)",
        {"across": across},
    ).fetchall()[0]
    agreeing, total = row
    if not total:
        return None
    per_source = (
        con.execute(
            f"SELECT sum(c * c)::DOUBLE FROM (SELECT count(*) AS c FROM {records}"
            f" WHERE {value} IS NOT NULL GROUP BY source)"
        ).fetchall()[0][0]
        if across
        else total
    )
    pairs = total * total - per_source
    return float(agreeing / pairs) if pairs > 0 else None


def estimate_u(
    con: duckdb.DuckDBPyConnection,
    scratch: Scratch,
    records: str,
    settings: MatchSettings,
    n_levels: npt.NDArray[np.int64],
) -> Probabilities:
    """(fields × levels) u probabilities from random pairs and exact value frequencies."""
    sources = con.execute(
        f"SELECT dense_rank() OVER (ORDER BY source) FROM {records} ORDER BY rid"
    ).fetchnumpy()
    codes = np.asarray(next(iter(sources.values())), dtype=np.int64)
    pairs = scratch.arrow("random_pairs", sample_pairs(codes, settings))
    sql, params = comparison_select(settings, records, pairs)
    gammas = ", ".join(quote_identifier(gamma_column(c)) for c in settings.comparisons)
    grouped = con.execute(f"SELECT {gammas}, count(*) FROM ({sql}) GROUP BY ALL", params).fetchall()
    array = np.array(grouped, dtype=np.int64).reshape(-1, len(settings.comparisons) + 1)
    width = int(n_levels.max())
    counts = level_counts(array[:, :-1], array[:, -1].astype(np.float64), width)
    for f, comparison in enumerate(settings.comparisons):
        top = int(n_levels[f]) - 1
        share = exact_share(con, records, comparison, settings.link_only_across_sources)
        below = counts[f, 1:top]
        if share is None or below.sum() == 0:
            continue
        below = np.maximum(below, 0.5)  # a level never seen by chance is rare, not impossible
        counts[f, 1:top] = below / below.sum() * (1.0 - share)
        counts[f, top] = share
    return normalise_levels(counts, n_levels)
