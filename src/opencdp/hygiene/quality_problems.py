"""The top problems: the worst validity, completeness and quarantine findings, ranked.

Each candidate carries `affected` (how many records, events or quarantined rows) and
`share` (that count over what it could have been), and the list is ranked by share, then
by count. Examples are masked (sealed values are opened in Python, never in SQL);
quarantine examples are quarantine ids, which hold no data.
"""

from __future__ import annotations

from typing import Any

import duckdb

from opencdp.hygiene.quality_common import EXAMPLES, dicts, mask, opened, share
from opencdp.hygiene.quality_values import RECORDS

TOP_PROBLEMS = 10


def _candidates(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every finding worth ranking.

    Completeness counts for imported record fields only: event columns and event traits
    are optional by the Segment spec, so their gaps are not problems of the data.
    """
    found: list[dict[str, Any]] = []
    for source in sources:
        where = {"source_id": source["source_id"]}
        for f in source["fields"]:
            at = where | {"field": f["field"], "origin": f["origin"], "role": f["role"]}
            supplied = f["present"] + f["refused"]
            if f["refused"]:
                found.append({"kind": "validity", **at, "affected": f["refused"],
                              "share": share(f["refused"], supplied)})  # fmt: skip
            gap = f["expected"] - f["present"]
            if f["origin"] == RECORDS and gap > 0:
                found.append({"kind": "completeness", **at, "affected": gap,
                              "share": share(gap, f["expected"])})  # fmt: skip
        total = source["records"] + source["events"] + source["quarantine"]["total"]
        for reason in source["quarantine"]["reasons"]:
            examples = [{"quarantine_id": i} for i in reason["examples"]]
            found.append({"kind": "quarantine", **where, "reason": reason["reason"],
                          "affected": reason["count"], "share": share(reason["count"], total),
                          "examples": examples})  # fmt: skip
    return found


def _rank(problem: dict[str, Any]) -> tuple[Any, ...]:
    return (-(problem["share"] or 0), -problem["affected"], problem["kind"],
            problem["source_id"], problem.get("field") or problem.get("reason") or "")  # fmt: skip


def _validity_examples(cur: duckdb.DuckDBPyConnection, p: dict[str, Any]) -> list[dict[str, Any]]:
    """The first refused values, masked (sealed originals are opened in Python first)."""
    rows = dicts(
        cur,
        "SELECT original AS value, problem FROM quality_fixes"
        " WHERE source_id = $s AND origin = $o AND role = $r AND field = $f"
        " AND problem IS NOT NULL ORDER BY rid LIMIT $n",
        {"s": p["source_id"], "o": p["origin"], "r": p["role"], "f": p["field"], "n": EXAMPLES},
    )
    plain = opened(cur, [row["value"] for row in rows])
    return [row | {"value": mask(value)} for row, value in zip(rows, plain, strict=True)]


def _completeness_examples(
    cur: duckdb.DuckDBPyConnection, p: dict[str, Any]
) -> list[dict[str, Any]]:
    """Masked ids of the first records (in stored order) without a usable value in the field.

    No ORDER BY: DuckDB keeps insertion order, so LIMIT stops the scan at the third hit.
    """
    return dicts(
        cur,
        "SELECT quality_mask(record_id) AS record_id FROM source_records WHERE source_id = $s"
        " AND quality_member(CASE WHEN $r = 'identifier' THEN identifiers ELSE traits END, $f)"
        " IS NULL LIMIT $n",
        {"s": p["source_id"], "r": p["role"], "f": p["field"], "n": EXAMPLES},
    )


def top_problems(
    cur: duckdb.DuckDBPyConnection, sources: list[dict[str, Any]], limit: int = TOP_PROBLEMS
) -> list[dict[str, Any]]:
    """The `limit` worst findings across all sources, each with masked examples."""
    ranked = sorted(_candidates(sources), key=_rank)[:limit]
    for problem in ranked:
        if problem["kind"] == "validity":
            problem["examples"] = _validity_examples(cur, problem)
        elif problem["kind"] == "completeness":
            problem["examples"] = _completeness_examples(cur, problem)
    return ranked
