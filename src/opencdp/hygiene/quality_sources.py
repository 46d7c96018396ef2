"""Per-source figures: how much data, how fresh, and what was quarantined and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.hygiene.quality_common import EXAMPLES, IN_SCOPE, dicts

# Quarantine reasons listed per source.
_REASONS_PER_SOURCE = 5
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def _merge(found: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        found.setdefault(row["source_id"], {"name": row["source_id"]}).update(row)


def source_counts(
    cur: duckdb.DuckDBPyConnection, source_id: str | None
) -> dict[str, dict[str, Any]]:
    """Every source in scope (registered or holding data) with its counts and newest times."""
    params = {"source": source_id}
    found: dict[str, dict[str, Any]] = {}
    _merge(found, dicts(cur, f"SELECT source_id, name FROM sources WHERE {IN_SCOPE}", params))
    _merge(found, dicts(
        cur,
        "SELECT source_id, count(*) AS records, epoch(max(updated_at)) AS newest_record"
        f" FROM source_records WHERE {IN_SCOPE} GROUP BY source_id", params,
    ))  # fmt: skip
    _merge(found, dicts(
        cur,
        "SELECT source_id, count(*) AS events,"
        " count(*) FILTER (WHERE type = 'track') AS track_events,"
        " count(*) FILTER (WHERE type = 'identify') AS identify_events,"
        f" epoch(max(received_at)) AS newest_event FROM events WHERE {IN_SCOPE}"
        " GROUP BY source_id", params,
    ))  # fmt: skip
    _merge(found, dicts(
        cur,
        "SELECT source_id, count(*) AS quarantined,"
        " count(*) FILTER (WHERE status = 'pending') AS pending"
        f" FROM quarantine WHERE {IN_SCOPE} GROUP BY source_id", params,
    ))  # fmt: skip
    defaults = {
        "records": 0,
        "events": 0,
        "track_events": 0,
        "identify_events": 0,
        "quarantined": 0,
        "pending": 0,
        "newest_record": None,
        "newest_event": None,
    }
    return {s: defaults | found[s] for s in sorted(found)}  # fmt: skip


def human_age(seconds: float) -> str:
    """`3 days`, `1 hour`, `just now`: the largest whole unit, for people reading a table."""
    if seconds < 1:
        return "just now"
    for unit, size in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "just now"


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch is not None else None


def freshness(counts: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Age of the newest record or event: now − max(records' updated_at, events' received_at)."""
    times = [t for t in (counts["newest_record"], counts["newest_event"]) if t is not None]
    newest = max(times) if times else None
    age = round(now.timestamp() - newest, 3) if newest is not None else None
    return {
        "newest": _iso(newest), "newest_record": _iso(counts["newest_record"]),
        "newest_event": _iso(counts["newest_event"]), "age_seconds": age,
        "age": human_age(age) if age is not None else None,
    }  # fmt: skip


def quarantine_reasons(
    cur: duckdb.DuckDBPyConnection, source_id: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The most frequent quarantine reasons per source, with example quarantine ids.

    An import row refused for several reasons (`a; b`) counts once under each.
    """
    rows = dicts(
        cur,
        "WITH split AS (SELECT source_id, quarantine_id, status, unnest(CASE WHEN"
        "  stage = 'import' THEN string_split(reason, '; ') ELSE [reason] END) AS reason"
        f"  FROM quarantine WHERE {IN_SCOPE})"
        " SELECT source_id, reason, count(*) AS count,"
        " count(*) FILTER (WHERE status = 'pending') AS pending,"
        " list(quarantine_id ORDER BY quarantine_id)[1:$n] AS examples"
        " FROM split GROUP BY source_id, reason QUALIFY row_number() OVER"
        " (PARTITION BY source_id ORDER BY count(*) DESC, reason) <= $top"
        " ORDER BY source_id, count DESC, reason",
        {"source": source_id, "n": EXAMPLES, "top": _REASONS_PER_SOURCE},
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.pop("source_id"), []).append(row)
    return found
