"""The data-quality report: how complete, valid, unique, consistent and fresh each source is.

`quality_report` returns plain JSON-ready data for the CLI (`opencdp quality`) and the API;
`format_report` renders it as a terminal table. All figures are computed by DuckDB over
the stored JSON columns (a million records take seconds), on a private cursor inside one
read transaction: the figures describe one consistent snapshot, and the working tables
vanish when the report is done. No value of the data leaves DuckDB unmasked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.hygiene.quality_common import install_macros
from opencdp.hygiene.quality_consistency import LINK_IDENTIFIERS, consistency
from opencdp.hygiene.quality_fields import fields_by_source
from opencdp.hygiene.quality_format import format_report
from opencdp.hygiene.quality_problems import top_problems
from opencdp.hygiene.quality_sources import freshness, quarantine_reasons, source_counts
from opencdp.hygiene.quality_values import build_fixes, build_record_values, load_mappings

__all__ = ["LINK_IDENTIFIERS", "format_report", "quality_report"]


def _source_section(
    counts: dict[str, Any],
    fields: list[dict[str, Any]],
    reasons: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """One source's part of the report."""
    return {
        "source_id": counts["source_id"], "name": counts["name"],
        "records": counts["records"], "events": counts["events"],
        "freshness": freshness(counts, now),
        "quarantine": {"total": counts["quarantined"], "pending": counts["pending"],
                       "reasons": reasons},
        "fields": fields,
    }  # fmt: skip


def _report(
    cur: duckdb.DuckDBPyConnection, source_id: str | None, now: datetime, links: list[str]
) -> dict[str, Any]:
    install_macros(cur)
    counts = source_counts(cur, source_id)
    mapped = load_mappings(cur, source_id)
    build_record_values(cur, source_id, links)
    build_fixes(cur, source_id)
    fields = fields_by_source(cur, source_id, counts, mapped)
    reasons = quarantine_reasons(cur, source_id)
    sources = [
        _source_section(c | {"source_id": s}, fields.get(s, []), reasons.get(s, []), now)
        for s, c in counts.items()
    ]
    return {
        "generated_at": now.isoformat(),
        "source_id": source_id,
        "sources": sources,
        "consistency": consistency(cur, links, source_id),
        "top_problems": top_problems(cur, sources),
    }


def _utc(now: datetime | None) -> datetime:
    """`now` as an aware UTC time; naive times are taken to be UTC already."""
    if now is None:
        return datetime.now(UTC)
    return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)


def quality_report(
    con: duckdb.DuckDBPyConnection,
    *,
    source_id: str | None = None,
    now: datetime | None = None,
    link_identifiers: Sequence[str] = LINK_IDENTIFIERS,
) -> dict[str, Any]:
    """The data-quality report of every source, or of `source_id` only.

    `now` (default: the current time; naive means UTC) is what freshness is measured
    against. `link_identifiers` are the identifier types that mean the same customer in
    every source, for the consistency check.
    """
    cur = con.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            return _report(cur, source_id, _utc(now), list(link_identifiers))
        finally:
            cur.execute("ROLLBACK")
    finally:
        cur.close()
