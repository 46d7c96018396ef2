"""The access export (GDPR Art. 15 and 20): everything held about one person, as one JSON
document a machine can read.

It reads the rows erasure would delete (the same selection, `erasure.prepare`), so what a
person can see is exactly what erasing them removes; every table `catalog.PERSONAL` lists
has a section, tables with a `profile_id` column that nobody classified are added under
`other_tables`, and the person's own privacy requests are included.

Except what belongs to someone else (GDPR Art. 15(4)): an event of another person that
carried one of their identifiers (someone else signing in on their laptop) and another
person's imported record holding one are erased with them, but the export shows only that
such an event or record exists, when, and which of their identifiers it carried
(`mentioned_in_others_events`, `mentioned_in_others_records`), never its content.

With field encryption on, the document is read as stored, then every sealed value is opened
and every pseudonym replaced by the identifier it stands for (`plaintext.reveal`, through the
vault), so the person reads the same export in both modes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import orjson

from opencdp.crypto.personal import personal_data
from opencdp.privacy import requests
from opencdp.privacy.catalog import generic, tables
from opencdp.privacy.erasure import prepare, quarantine_condition, stable_key_of
from opencdp.privacy.plaintext import reveal
from opencdp.privacy.subject import Subject
from opencdp.profiles.view import profile_view

FORMAT = "opencdp-access-export/1"


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: JSON columns parsed, times as ISO 8601."""
    cursor = con.execute(sql, params or {})
    description = cursor.description or []
    names = [d[0] for d in description]
    json_columns = {d[0] for d in description if str(d[1]) == "JSON"}
    out = []
    for row in cursor.fetchall():
        item = {}
        for name, value in zip(names, row, strict=True):
            if name in json_columns and isinstance(value, str):
                item[name] = orjson.loads(value)
            elif isinstance(value, datetime | date):
                item[name] = value.isoformat()
            else:
                item[name] = value
        out.append(item)
    return out


def access_document(
    con: duckdb.DuckDBPyConnection, subject: Subject, request_hashes: set[str], *,
    request_id: str, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The export of `subject` (its `request_hashes` find their own privacy requests)."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "request_id": request_id,
        "generated_at": now.isoformat(),
        "subject": {"profile_ids": subject.profile_ids,
                    "identifiers": [{"type": t, "value": v} for t, v in subject.identifiers]},
    }  # fmt: skip
    prepare(con, subject)
    present = tables(con)
    document.update(_profile(con, subject))
    document.update(_events(con, subject))
    document.update(_records(con, subject))
    condition, params = quarantine_condition(subject, con)
    document["quarantine"] = rows(
        con, f"SELECT * FROM quarantine WHERE {condition} ORDER BY quarantine_id", params
    )
    theirs = "profile_id IN (SELECT profile_id FROM _er_profiles)"
    by_profile = f"WHERE {theirs}"
    document["consents"] = rows(con, f"SELECT * FROM profile_consents {by_profile}"
                                     " ORDER BY purpose")  # fmt: skip
    if "consent_ledger" in present:
        document["consent_ledger"] = rows(
            con, "SELECT * FROM consent_ledger WHERE (subject_type, subject_value) IN"
            " (SELECT identifier_type, identifier_value FROM _er_idents)"
            f" OR seq IN ({_OWN_SEQS}) ORDER BY stated_at, statement_id",
        )  # fmt: skip
    document["predictions"] = rows(con, f"SELECT * FROM profile_predictions {by_profile}"
                                        " ORDER BY prediction, scored_at")  # fmt: skip
    document["segments"] = rows(
        con, "SELECT s.name AS segment, m.segment_id, m.profile_id, m.entered_at"
        " FROM segment_members m JOIN segments s USING (segment_id)"
        f" WHERE m.profile_key IN ({_keys(subject)}) AND m.{theirs}"
        " ORDER BY s.name",
    )  # fmt: skip
    document["segment_history"] = rows(
        con, "SELECT s.name AS segment, h.* FROM segment_history h LEFT JOIN segments s"
        f" USING (segment_id) WHERE h.{theirs}"
        " ORDER BY h.changed_at",
    )  # fmt: skip
    document["destinations"] = _destinations(con, subject)
    document["suppressed_profiles"] = rows(con, f"SELECT * FROM suppressed_profiles {by_profile}")
    document["identity"] = _identity(con)
    document["privacy_requests"] = requests.with_subject_hashes(con, request_hashes)
    others = {t: rows(con, f"SELECT * FROM {t} {by_profile}") for t in generic(present)}
    document["other_tables"] = {t: found for t, found in others.items() if found}
    held = section_sizes(document)
    if not any(n for key, n in held.items() if key not in ("privacy_requests", "subject")):
        document["note"] = "no data is held about this identifier"
    revealed: dict[str, Any] = reveal(con, personal_data(con), document)
    return revealed


def _keys(subject: Subject) -> str:
    return ", ".join(str(stable_key_of(p)) for p in subject.profile_ids) or "NULL"


def _profile(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, Any]:
    """The golden record, identifiers, traits with where each value came from, computed
    traits with their positions, and the merges that made the profile."""
    profile_id = subject.profile_id
    golden = rows(con, "SELECT * FROM profiles WHERE profile_id IN"
                       " (SELECT profile_id FROM _er_profiles)")  # fmt: skip
    view = profile_view(con, profile_id, limit=1) if profile_id and golden else {}
    positions = rows(con, "SELECT * FROM computed_trait_positions WHERE profile_id IN"
                          " (SELECT profile_id FROM _er_profiles) ORDER BY name")  # fmt: skip
    return {
        "profile": golden[0] if golden else None,
        "identifiers": rows(con, "SELECT * FROM identity_links WHERE profile_id IN"
                                 " (SELECT profile_id FROM _er_profiles) OR (identifier_type,"
                                 " identifier_value) IN (SELECT identifier_type,"
                                 " identifier_value FROM _er_idents)"
                                 " ORDER BY identifier_type, identifier_value"),
        "traits": view.get("traits", {}),
        "computed_traits": {"values": golden[0]["computed"] if golden else None,
                            "positions": positions},
    }  # fmt: skip


_OWN_SEQS = "SELECT seq FROM _er_seqs EXCEPT SELECT seq FROM _er_foreign"


def _events(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, Any]:
    """Every event of theirs as stored, with the profile it was placed on; of other people's
    events that carried one of their identifiers, only that fact (see the module)."""
    events = rows(con, f"SELECT * FROM events WHERE seq IN ({_OWN_SEQS}) ORDER BY seq")
    placed = dict(con.execute(
        f"SELECT seq, any_value(profile_id) FROM profile_events WHERE seq IN ({_OWN_SEQS})"
        " GROUP BY seq").fetchall())  # fmt: skip
    for event in events:
        event["profile_id"] = placed.get(event["seq"])
    theirs = set(subject.texts)
    others = [{"seq": seq, "timestamp": when.isoformat(),
               "carried": sorted(theirs.intersection(identifiers or []))}
              for seq, when, identifiers in con.execute(
                  'SELECT seq, "timestamp", identifiers FROM events'
                  " WHERE seq IN (SELECT seq FROM _er_foreign) ORDER BY seq").fetchall()]
    return {"events": events, "mentioned_in_others_events": others}  # fmt: skip


def _records(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, Any]:
    """Their imported records; of records that identity placed on someone else but that
    hold one of their identifiers, only that fact, the source and when."""
    foreign = (
        "(source_id || ':' || record_id) IN (SELECT identifier_value FROM identity_links"
        " WHERE identifier_type = 'source_record' AND profile_id NOT IN"
        " (SELECT profile_id FROM _er_profiles))"
    )  # fmt: skip
    listed = "(source_id, record_key) IN (SELECT source_id, record_key FROM _er_records)"
    theirs = set(subject.texts)
    records = rows(con, f"SELECT * FROM source_records WHERE {listed} AND NOT {foreign}"
                        " ORDER BY seq")  # fmt: skip
    others = []
    for source_id, updated_at, identifiers in con.execute(
        f"SELECT source_id, updated_at, identifiers::VARCHAR FROM source_records WHERE {listed}"
        f" AND {foreign} ORDER BY seq"
    ).fetchall():  # fmt: skip
        held = orjson.loads(identifiers) if identifiers else {}
        carried = sorted(theirs.intersection(f"{k}:{v}" for k, v in held.items()))
        others.append({"source_id": source_id, "updated_at": updated_at.isoformat(),
                       "carried": carried})  # fmt: skip
    return {"records": records, "mentioned_in_others_records": others}


def _destinations(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, Any]:
    held = rows(
        con, "SELECT d.name AS destination, d.kind, d.purpose, s.profile_id, s.sent_at"
        " FROM destination_state s JOIN destinations d USING (destination_id)"
        " WHERE s.profile_id IN (SELECT profile_id FROM _er_profiles) ORDER BY d.name",
    )  # fmt: skip
    letters = []
    ids = set(subject.profile_ids)
    for letter in rows(con, "SELECT l.letter_id, d.name AS destination, l.status, l.failed_at,"
                            " l.members, l.body FROM destination_dead_letters l JOIN destinations"
                            " d USING (destination_id) ORDER BY l.failed_at"):  # fmt: skip
        mine = [m for m in letter["members"] if m[0] in ids]
        if mine:
            body = orjson.loads(personal_data(con).open(letter["body"]))  # sealed when on
            sent = [m for group in body.values() if isinstance(group, list) for m in group
                    if isinstance(m, dict) and m.get("profile_id") in ids]  # fmt: skip
            letters.append({"letter_id": letter["letter_id"], "destination":
                            letter["destination"], "status": letter["status"],
                            "failed_at": letter["failed_at"], "members": mine,
                            "undelivered": sent})  # fmt: skip
    return {"held_by": held, "undelivered": letters}


def _identity(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    profiles = "(SELECT profile_id FROM _er_profiles)"
    idents = "(SELECT identifier_type, identifier_value FROM _er_idents)"
    origins = "(SELECT origin FROM _er_origins)"
    records = "(SELECT source_id || ':' || record_id FROM _er_records)"
    return {
        "merges": rows(con, f"SELECT * FROM identity_merges WHERE survivor IN {profiles} OR"
                            f" absorbed IN {profiles} OR (identifier_type, identifier_value) IN"
                            f" {idents} OR origin IN {origins} ORDER BY seq"),
        "refused_identifiers": rows(con, f"SELECT * FROM identity_violations WHERE profile_id IN"
                                         f" {profiles} OR (identifier_type, identifier_value) IN"
                                         f" {idents} OR origin IN {origins} ORDER BY seq"),
        "record_matches": rows(con, f"SELECT * FROM identity_matches WHERE record_l IN {records}"
                                    f" OR record_r IN {records} ORDER BY proposed_at"),
        "unmerged": rows(con, f"SELECT * FROM identity_unmerged WHERE origin IN {origins}"),
    }  # fmt: skip


def section_sizes(document: dict[str, Any]) -> dict[str, int]:
    """How many items each section holds (the receipt of an access request)."""
    sizes = {}
    for key, value in document.items():
        if isinstance(value, list):
            sizes[key] = len(value)
        elif key in ("profile", "traits"):
            sizes[key] = len(value or {}) if key == "traits" else int(value is not None)
        elif isinstance(value, dict) and key != "subject":
            sizes[key] = sum(len(v) for v in value.values() if isinstance(v, list | dict))
    return sizes
