"""The 360° profile: identifiers, golden-record traits with lineage, timeline, merge history.

Everything is read from the identity tables, the event log and the imported records; the
profile is derived, never stored, so it is always as current as identity resolution.
Computed traits, segments, consents and prediction scores come from the tables those stages
keep for every profile.

With field encryption on, identifiers are stored as pseudonyms and personal values as sealed
tokens; the view reads them as stored and, for a caller who may read personal data, opens
them at the edge: identifiers (and those of merges) through the `identifier_values` vault,
traits, timeline data and computed traits token by token. A masked caller gets the stored
forms, which masking hides anyway, and costs no decryption.
"""

from __future__ import annotations

from typing import Any

import duckdb
import orjson

from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.keys import stable_key
from opencdp.profiles.event_order import sorted_through

# An event belongs to the profile it was placed on (`profile_events`, read from its
# profile-ordered copy by key: a few row groups, not the whole log); a record when its own
# `source_record` identifier is on the profile.
_MATCHING_RECORDS = "list_contains($records, r.record_key)"
_OWN_EVENTS = """
SELECT seq, type, event, "timestamp", source_id, traits FROM (
  SELECT * FROM profile_events_by_profile WHERE profile_key = md5_number_upper($profile)
  UNION ALL
  SELECT * FROM profile_events WHERE seq > $sorted AND profile_key = md5_number_upper($profile)
) WHERE profile_id = $profile
"""


# Sealed values differ per statement, so distinct values are counted by equality tag (R6);
# a token without a tag (free text) counts as itself, a plain value as its text.
_DISTINCT_VALUE = (
    "CASE WHEN value ->> '$' LIKE 'enc1:%' AND split_part(value ->> '$', '.', 2) <> ''"
    " THEN 'tag:' || split_part(value ->> '$', '.', 2) ELSE value::VARCHAR END"
)


def profile_view(
    con: duckdb.DuckDBPyConnection,
    profile_id: str,
    *,
    limit: int = 50,
    before: int | None = None,
    event: str | None = None,
    decrypt: bool = True,
) -> dict[str, Any]:
    """The whole profile; the timeline newest first, `limit` items before seq `before`.

    `decrypt=False` (callers without `pii:read`) leaves pseudonyms and tokens as stored."""
    stored = con.execute(
        "SELECT identifier_type, identifier_value FROM identity_links WHERE profile_id = ?"
        " ORDER BY identifier_type, identifier_value",
        [profile_id],
    ).fetchall()
    personal = personal_data(con) if decrypt else None
    plain = _plain_identifiers(con, personal, stored)
    identifiers = sorted((t, plain.get((t, v), v)) for t, v in stored)
    params = _identifier_params(stored)
    own = {"profile": profile_id, "sorted": sorted_through(con)}
    view = {
        "profile_id": profile_id,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "traits": _traits(con, params, own),
        "timeline": _timeline(con, params, own, limit, before, event),
        "merges": _merges(con, profile_id, personal),
        **_derived(con, profile_id),
    }
    return view if personal is None else _opened(personal, view)


def _opened(personal: PersonalData, view: dict[str, Any]) -> dict[str, Any]:
    """The view with every sealed value opened (one key load for all of them)."""
    opened = personal.open_all(
        {key: view[key] for key in ("traits", "timeline", "computed_traits")}
    )
    return {**view, **opened}


def _plain_identifiers(
    con: duckdb.DuckDBPyConnection,
    personal: PersonalData | None,
    stored: list[tuple[str, str]],
) -> dict[tuple[str, str], str]:
    """(type, stored value) → plaintext, from the vault; empty when off or not decrypting."""
    if personal is None or not personal.enabled or not stored:
        return {}
    wanted = sorted({f"{t}:{v}" for t, v in stored})
    rows = con.execute(
        "SELECT identifier, any_value(token) FROM identifier_values"
        " WHERE identifier IN (SELECT unnest($wanted)) GROUP BY identifier",
        {"wanted": wanted},
    ).fetchall()
    personal.warm(token for _, token in rows)
    found: dict[tuple[str, str], str] = {}
    for identifier, token in rows:
        kind, _, value = str(identifier).partition(":")
        found[(kind, value)] = str(personal.open(token))
    return found


def _derived(con: duckdb.DuckDBPyConnection, profile_id: str) -> dict[str, Any]:
    """What later stages keep on the profile: computed traits, segments, consents, scores."""
    row = con.execute("SELECT computed::VARCHAR FROM profiles WHERE profile_id = ?",
                      [profile_id]).fetchone()  # fmt: skip
    segments = con.execute(
        "SELECT s.name, m.entered_at FROM segment_members m JOIN segments s USING (segment_id)"
        " WHERE m.profile_key = md5_number_upper($p) AND m.profile_id = $p ORDER BY s.name",
        {"p": profile_id},
    ).fetchall()
    consents = con.execute(
        "SELECT purpose, granted, stated_at, origin FROM profile_consents WHERE profile_id = ?"
        " ORDER BY purpose",
        [profile_id],
    ).fetchall()
    scores = con.execute(
        "SELECT prediction, arg_max(value, scored_at), arg_max(label, scored_at), max(scored_at)"
        " FROM profile_predictions WHERE profile_id = ? GROUP BY prediction ORDER BY prediction",
        [profile_id],
    ).fetchall()
    return {
        "computed_traits": orjson.loads(row[0]) if row and row[0] else {},
        "segments": [{"name": n, "entered_at": at.isoformat()} for n, at in segments],
        "consents": [
            {"purpose": p, "granted": g, "stated_at": at.isoformat() if at else None, "origin": o}
            for p, g, at, o in consents
        ],
        "predictions": {
            n: {"value": v, "label": la, "scored_at": at.isoformat()} for n, v, la, at in scores
        },
    }


def _identifier_params(identifiers: list[tuple[str, str]]) -> dict[str, list[Any]]:
    records = [value.partition(":") for t, value in identifiers if t == "source_record"]
    return {
        "records": [stable_key(source_id, record_id) for source_id, _, record_id in records],
    }


def _traits(
    con: duckdb.DuckDBPyConnection, params: dict[str, list[Any]], own: dict[str, Any]
) -> dict[str, Any]:
    """Golden record, most recent value wins; each value says where and when it came from."""
    rows = con.execute(
        f"WITH own AS ({_OWN_EVENTS}), candidates AS ("
        "  SELECT t.key AS trait, t.value AS value, e.\"timestamp\" AS seen_at, e.source_id,"
        "         'event' AS origin, e.seq::VARCHAR AS origin_id"
        "  FROM own e, json_each(e.traits) t WHERE e.type = 'identify' AND e.traits IS NOT NULL"
        "  UNION ALL"
        "  SELECT t.key, t.value, r.updated_at, r.source_id, 'record', r.record_id"
        f"  FROM source_records r, json_each(r.traits) t WHERE {_MATCHING_RECORDS}"
        ")"
        " SELECT trait, arg_max(value, seen_at)::VARCHAR, max(seen_at),"
        "  arg_max(source_id, seen_at), arg_max(origin, seen_at), arg_max(origin_id, seen_at),"
        f"  count(DISTINCT {_DISTINCT_VALUE})"
        " FROM candidates GROUP BY trait ORDER BY trait",
        {**own, "records": params["records"]},
    ).fetchall()
    message_ids = _message_ids(con, [int(r[5]) for r in rows if r[4] == "event"])
    return {
        trait: {
            "value": orjson.loads(value),
            "rule": "most_recent",
            "source_id": source_id,
            "origin": origin,
            "origin_id": message_ids.get(origin_id, origin_id) if origin == "event" else origin_id,
            "at": at.isoformat(),
            "distinct_values": distinct,
        }
        for trait, value, at, source_id, origin, origin_id, distinct in rows
    }


def _message_ids(con: duckdb.DuckDBPyConnection, seqs: list[int]) -> dict[str, str]:
    """messageId of each event seq (a literal list of our own integers: the log is stored in
    seq order, so DuckDB reads only the row groups that hold them)."""
    if not seqs:
        return {}
    listed = ", ".join(str(int(seq)) for seq in sorted(set(seqs)))
    rows = con.execute(f"SELECT seq, message_id FROM events WHERE seq IN ({listed})").fetchall()
    return {str(seq): message_id for seq, message_id in rows}


def _timeline(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, list[Any]],
    own: dict[str, Any],
    limit: int,
    before: int | None,
    event: str | None,
) -> dict[str, Any]:
    page = {"event": event, "before": before, "limit": limit + 1}
    seqs = [r[0] for r in con.execute(
        f"SELECT seq FROM ({_OWN_EVENTS}) WHERE ($event::VARCHAR IS NULL OR event = $event"
        " OR type = $event) AND ($before::BIGINT IS NULL OR seq < $before)"
        " ORDER BY seq DESC LIMIT $limit", {**own, **page}).fetchall()]  # fmt: skip
    listed = ", ".join(str(int(seq)) for seq in seqs) or "NULL"
    rows = con.execute(
        "SELECT * FROM ("
        "  SELECT e.seq, 'event' AS kind, e.source_id, e.type, e.event, e.name,"
        "         e.\"timestamp\" AS seen_at, e.properties::VARCHAR AS data"
        f"  FROM events e WHERE e.seq IN ({listed})"
        "  UNION ALL"
        "  SELECT r.seq, 'record', r.source_id, 'record', NULL, r.record_id, r.updated_at,"
        "         r.traits::VARCHAR"
        f"  FROM source_records r WHERE {_MATCHING_RECORDS}"
        "    AND ($event::VARCHAR IS NULL OR $event = 'record')"
        ") WHERE ($before::BIGINT IS NULL OR seq < $before)"
        " ORDER BY seq DESC LIMIT $limit",
        {"records": params["records"], **page},
    ).fetchall()
    items = [
        {"seq": seq, "kind": kind, "source_id": source_id, "type": kind_type, "event": name_e,
         "name": name, "at": at.isoformat(), "data": orjson.loads(data) if data else None}
        for seq, kind, source_id, kind_type, name_e, name, at, data in rows[:limit]
    ]  # fmt: skip
    more = len(rows) > limit
    return {"items": items, "next_before": items[-1]["seq"] if more and items else None}


def _merges(
    con: duckdb.DuckDBPyConnection, profile_id: str, personal: PersonalData | None = None
) -> list[dict[str, Any]]:
    """Every merge that built this profile, oldest first, with its cause.

    The profile's lineage: the profiles it absorbed, the ones those absorbed, and so on.
    """
    rows = con.execute(
        "WITH RECURSIVE lineage(profile_id) AS ("
        "  SELECT ?::VARCHAR UNION"
        "  SELECT m.absorbed FROM identity_merges m JOIN lineage l ON m.survivor = l.profile_id"
        ")"
        " SELECT survivor, absorbed, identifier_type, identifier_value, origin, seq, rule"
        " FROM identity_merges WHERE survivor IN (SELECT profile_id FROM lineage) ORDER BY seq",
        [profile_id],
    ).fetchall()
    plain = _plain_identifiers(con, personal, [(r[2], r[3]) for r in rows])
    return [
        {"survivor": survivor, "absorbed": absorbed, "rule": rule,
         "identifier": {"type": kind, "value": plain.get((kind, value), value)},
         "origin": origin, "seq": seq}
        for survivor, absorbed, kind, value, origin, seq, rule in rows
    ]  # fmt: skip
