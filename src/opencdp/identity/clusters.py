"""Which profile each imported record resolved to, for scoring and for the user's own checks."""

from __future__ import annotations

from typing import Any

import duckdb

from opencdp.identity.rules import DEFAULT_PRIORITIES

# A record's profile is that of its strongest linked identifier, as in the graph.
_PRIORITY = " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in DEFAULT_PRIORITIES.items())


def record_clusters(con: duckdb.DuckDBPyConnection, source: str | None) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT s.name, r.record_id,"
        f" arg_min(l.profile_id, CASE l.identifier_type {_PRIORITY} ELSE 10 END)"
        " FROM source_records r JOIN sources s ON s.source_id = r.source_id"
        " LEFT JOIN json_each(r.identifiers) j ON true"
        " LEFT JOIN identity_links l"
        "   ON l.identifier_type = j.key AND l.identifier_value = j.value ->> '$'"
        " WHERE ($source::VARCHAR IS NULL OR s.name = $source)"
        " GROUP BY ALL ORDER BY s.name, r.record_id",
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
