"""Retention policies: data past its age is deleted, by source and/or event.

A policy names a maximum age and optionally a source and an event (an event name such as
"Page Viewed", or a type such as "page" or "identify"). Applying it deletes the matching
events whose time is older than the age, with their copies in the profile tables, and — for
a policy without an event filter — the source's imported records not updated for that long.
The golden records and consents of the people concerned are derived again from what is
left and computed traits and segments follow. Identity links stay (they are what the
remaining data resolves by); the consent ledger stays (it is the proof of consent).
The scheduler applies every policy periodically; `opencdp privacy retention apply` now.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from opencdp.collect.sources import get_source
from opencdp.privacy.rederive import rederive_profiles
from opencdp.profiles.materialize import ProfileChanges, cursor

if TYPE_CHECKING:
    from opencdp.workspace import Workspace

_AGE = re.compile(r"^\s*(\d+)\s*(d|w|m|y)?\s*$", re.IGNORECASE)
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class RetentionPolicyNotFound(LookupError):
    """No retention policy has this name."""


def parse_age(text: str | int) -> int:
    """Days in `90`, `90d`, `12w`, `6m` (30 days) or `2y` (365 days)."""
    match = _AGE.match(str(text))
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"max age {text!r}: give a positive number of days, e.g. 90d, 12w, 2y")
    return int(match.group(1)) * _DAYS[(match.group(2) or "d").lower()]


def set_policy(
    con: duckdb.DuckDBPyConnection, name: str, max_age: str | int, *,
    source: str | None = None, event: str | None = None, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Create or replace policy `name`."""
    if not name.strip():
        raise ValueError("a retention policy needs a name")
    days = parse_age(max_age)
    source_id = get_source(con, source).source_id if source else None
    con.execute(
        "INSERT INTO retention_policies (name, source_id, event, max_age_days, created_at,"
        " updated_at) VALUES ($n, $s, $e, $d, $now, $now) ON CONFLICT (name) DO UPDATE SET"
        " source_id = excluded.source_id, event = excluded.event,"
        " max_age_days = excluded.max_age_days, updated_at = excluded.updated_at",
        {"n": name.strip(), "s": source_id, "e": event or None, "d": days, "now": now},
    )
    return get_policy(con, name.strip())


def get_policy(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    found = [p for p in list_policies(con) if p["name"] == name]
    if not found:
        raise RetentionPolicyNotFound(f"no retention policy named {name!r}")
    return found[0]


def list_policies(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT r.name, s.name, r.event, r.max_age_days, r.created_at, r.updated_at,"
        " r.last_applied_at, r.last_result::VARCHAR FROM retention_policies r"
        " LEFT JOIN sources s USING (source_id) ORDER BY r.name"
    ).fetchall()
    return [
        {"name": n, "source": s, "event": e, "max_age_days": d, "created_at": c.isoformat(),
         "updated_at": u.isoformat(), "last_applied_at": a.isoformat() if a else None,
         "last_result": orjson.loads(r) if r else None}
        for n, s, e, d, c, u, a, r in rows
    ]  # fmt: skip


def delete_policy(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    policy = get_policy(con, name)
    con.execute("DELETE FROM retention_policies WHERE name = ?", [name])
    return policy


def apply_policies(
    workspace: Workspace, now: datetime, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """Apply the policies (all, or `names`) now; one result per policy with counts."""

    def run(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], list[str], int]:
        policies = con.execute(
            "SELECT name, source_id, event, max_age_days FROM retention_policies ORDER BY name"
        ).fetchall()
        wanted = set(names) if names is not None else None
        if wanted is not None and (missing := wanted - {p[0] for p in policies}):
            raise RetentionPolicyNotFound(f"no retention policy named {sorted(missing)[0]!r}")
        results, touched = [], set()
        for name, source_id, event, days in policies:
            if wanted is not None and name not in wanted:
                continue
            counts, profiles = _apply(con, source_id, event, now - timedelta(days=days))
            touched |= profiles
            con.execute("UPDATE retention_policies SET last_applied_at = ?, last_result = ?"
                        " WHERE name = ?", [now, orjson.dumps(counts).decode(), name])  # fmt: skip
            results.append({"name": name, **counts})
        rederive_profiles(con, sorted(touched))
        return results, sorted(touched), cursor(con)

    results, touched, through = workspace.profiles.exclusive(lambda: workspace.write(run))
    if touched:  # computed traits and segments follow the rewritten profiles
        changes = ProfileChanges(through, through, touched=touched)
        for listener in workspace.profiles.listeners:
            listener(changes)
    return results


def _apply(
    con: duckdb.DuckDBPyConnection, source_id: str | None, event: str | None, cutoff: datetime
) -> tuple[dict[str, Any], set[str]]:
    params = {"source": source_id, "event": event, "cutoff": cutoff}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ret_seqs AS SELECT seq FROM events"
        ' WHERE "timestamp" < $cutoff AND ($source::VARCHAR IS NULL OR source_id = $source)'
        " AND ($event::VARCHAR IS NULL OR event = $event OR type = $event)", params,
    )  # fmt: skip
    touched = {row[0] for row in con.execute(
        "SELECT DISTINCT profile_id FROM profile_events WHERE seq IN (SELECT seq FROM _ret_seqs)"
    ).fetchall()}  # fmt: skip
    counts: dict[str, Any] = {"cutoff": cutoff.isoformat()}
    where = "seq IN (SELECT seq FROM _ret_seqs)"
    for table in ("events", "profile_events", "profile_events_by_profile"):
        counts[table] = _deleted(con, f"DELETE FROM {table} WHERE {where}")
    counts["source_records"] = 0
    if event is None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _ret_records AS SELECT source_id || ':' || record_id"
            " AS record FROM source_records WHERE updated_at < $cutoff"
            " AND ($source::VARCHAR IS NULL OR source_id = $source)",
            {"source": source_id, "cutoff": cutoff},
        )
        touched |= {row[0] for row in con.execute(
            "SELECT DISTINCT profile_id FROM identity_links WHERE identifier_type ="
            " 'source_record' AND identifier_value IN (SELECT record FROM _ret_records)"
        ).fetchall()}  # fmt: skip
        counts["source_records"] = _deleted(
            con, "DELETE FROM source_records WHERE source_id || ':' || record_id IN"
            " (SELECT record FROM _ret_records)",
        )  # fmt: skip
        con.execute("DROP TABLE _ret_records")
    con.execute("DROP TABLE _ret_seqs")
    counts["profiles_rederived"] = len(touched)
    return counts, touched


def _deleted(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
