"""Which profile each imported record resolved to, for scoring and for the user's own checks."""

from __future__ import annotations

from typing import Any

import duckdb


def record_clusters(con: duckdb.DuckDBPyConnection, source: str | None) -> list[dict[str, Any]]:
    """Source name, record id and profile id of every imported record (its `source_record`
    identifier is linked to exactly the profile the record resolved to)."""
    rows = con.execute(
        "SELECT s.name, r.record_id, l.profile_id"
        " FROM source_records r JOIN sources s ON s.source_id = r.source_id"
        " LEFT JOIN identity_links l ON l.identifier_type = 'source_record'"
        "   AND l.identifier_value = r.source_id || ':' || r.record_id"
        " WHERE ($source::VARCHAR IS NULL OR s.name = $source)"
        " ORDER BY s.name, r.record_id",
        {"source": source},
    ).fetchall()
    return [{"source": name, "record_id": record_id, "profile_id": profile_id}
            for name, record_id, profile_id in rows]  # fmt: skip


def identity_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute(
        "SELECT (SELECT count(DISTINCT profile_id) FROM identity_links),"
        " (SELECT count(*) FROM identity_links), (SELECT count(*) FROM identity_merges),"
        " (SELECT count(*) FROM identity_violations)"
    ).fetchall()[0]
    return dict(zip(("profiles", "identifiers", "merges", "violations"), row, strict=True))
