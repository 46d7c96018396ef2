"""Finding a profile from any identifier, or candidates from a fragment of one."""

from __future__ import annotations

from typing import Any

import duckdb

from opencdp.identity.rules import DEFAULT_PRIORITIES
from opencdp.sources.mapping import IDENTIFIER_TYPES

_TYPES = frozenset(IDENTIFIER_TYPES) | frozenset(DEFAULT_PRIORITIES)


def split_identifier(text: str) -> tuple[str | None, str]:
    """`email:ann@mail.co.jp` → ("email", "ann@mail.co.jp"); a bare value has no type."""
    kind, sep, value = text.partition(":")
    if sep and kind in _TYPES and value:
        return kind, value
    return None, text


def find_profile_id(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The profile of `text`: a profile id, `type:value`, or a bare value of any type.

    A bare value that several identifier types share resolves by the strongest type; an
    e-mail is also tried lower-cased, as hygiene stores it.
    """
    text = text.strip()
    if text.startswith("prof_"):
        row = con.execute(
            "SELECT profile_id FROM identity_links WHERE profile_id = ? LIMIT 1", [text]
        ).fetchall()
        return str(row[0][0]) if row else None
    kind, value = split_identifier(text)
    rows = con.execute(
        "SELECT identifier_type, profile_id FROM identity_links"
        " WHERE identifier_value IN (?, ?) AND (?::VARCHAR IS NULL OR identifier_type = ?)",
        [value, value.lower() if "@" in value else value, kind, kind],
    ).fetchall()
    if not rows:
        return None
    rows.sort(key=lambda row: DEFAULT_PRIORITIES.get(row[0], 99))
    return str(rows[0][1])


def search_profiles(
    con: duckdb.DuckDBPyConnection, fragment: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Profiles with an identifier or a name containing `fragment` (case-insensitive)."""
    pattern = "%" + fragment.strip().replace("%", "").replace("_", r"\_") + "%"
    rows = con.execute(
        "WITH hits AS ("
        "  SELECT profile_id, identifier_type AS field, identifier_value AS value"
        "  FROM identity_links WHERE identifier_value ILIKE $p ESCAPE '\\'"
        "  UNION ALL"
        "  SELECT l.profile_id, 'name', r.traits ->> k.key"
        "  FROM source_records r, json_each(r.identifiers) j,"
        "       (SELECT unnest(['name', 'first_name', 'last_name', 'full_name']) AS key) k,"
        "       identity_links l"
        "  WHERE r.traits ->> k.key ILIKE $p ESCAPE '\\'"
        "    AND l.identifier_type = j.key AND l.identifier_value = j.value ->> '$'"
        ")"
        " SELECT profile_id, list(DISTINCT field || ': ' || value ORDER BY field || ': ' || value)"
        " FROM hits GROUP BY profile_id ORDER BY profile_id LIMIT $limit",
        {"p": pattern, "limit": limit},
    ).fetchall()
    return [{"profile_id": pid, "matches": list(matches)} for pid, matches in rows]


def exact_profiles(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """The profile a whole identifier names (as `find_profile_id`), in the shape of search
    hits: for callers who may not search by fragment, since a fragment search answers
    questions about values they see masked."""
    profile_id = find_profile_id(con, text)
    if profile_id is None:
        return []
    kind, value = split_identifier(text.strip())
    if value.startswith("prof_") and kind is None:
        return [{"profile_id": profile_id, "matches": []}]
    rows = con.execute(
        "SELECT DISTINCT identifier_type || ': ' || identifier_value FROM identity_links"
        " WHERE profile_id = ? AND identifier_value IN (?, ?)"
        " AND (?::VARCHAR IS NULL OR identifier_type = ?) ORDER BY 1",
        [profile_id, value, value.lower() if "@" in value else value, kind, kind],
    ).fetchall()
    return [{"profile_id": profile_id, "matches": [r[0] for r in rows]}]
