"""Erasing one person from the database, in one write transaction.

What is theirs: the events placed on their profiles and every event listing one of their
identifiers (an event of someone else that carried their identifier, refused by a rule,
carries their data too), their imported records (their `source_record` identifiers, and any
record whose identifier columns hold one of their identifiers), quarantined messages and
rows mentioning an identifier, the profile tables, identity history, segment memberships and
history, what destinations hold and pending deliveries. Each table is deleted from by key
where it has one (64-bit profile keys, record keys, seqs), so a person among millions costs
a few scans of integer columns. Other people whose events were deleted have their golden
record derived again; segment counts are corrected.

The same transaction stores the keyed hashes of their identifiers as suppressed, so nothing
can arrive between the deletion and the suppression.

With field encryption on, the same transaction also finds the data keys to destroy once it
has committed (`shred`: before the rows go) and deletes their identifiers' sealed plaintexts
from the vault; identifiers are pseudonyms, so the quarantine (payloads as received) is
searched with the plaintexts the vault gives back.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import orjson

from opencdp.crypto.personal import personal_data
from opencdp.crypto.tokens import SHREDDED, is_token
from opencdp.crypto.tokens import subject_of as token_subject
from opencdp.keys import stable_key
from opencdp.privacy import shred
from opencdp.privacy.catalog import generic, tables
from opencdp.privacy.plaintext import plain_identifiers
from opencdp.privacy.rederive import rederive_profiles
from opencdp.privacy.subject import Subject
from opencdp.profiles.event_order import sorted_through
from opencdp.profiles.materialize import cursor

_TEMP = ("_er_profiles", "_er_idents", "_er_records", "_er_seqs", "_er_origins", "_er_elsewhere",
         "_er_foreign")
_LITERAL = 5000  # seqs up to this many go into the SQL as a literal list


def prepare(con: duckdb.DuckDBPyConnection, subject: Subject) -> None:
    """Temporary tables naming what is theirs: profiles, identifiers, records, seqs, origins
    (and, of the seqs, the events of other people that carried one of their identifiers).

    Shared by erasure and the access export, so both see exactly the same rows.

    Found by key, never by scanning the log: an event carrying one of their identifiers is
    placed on the profile of its first linked identifier, so it is on their profile, or on
    another profile whose identifier was seen with one of theirs, and then identity recorded
    the refusal (`identity_violations`, at its first occurrence). Those profiles' events are
    read by key and checked; only what was committed after the profile stage's cursor (not
    placed yet) is scanned. Records likewise: theirs by `source_record` link, those of the
    same other profiles checked, the unresolved tail scanned.
    """
    ids = subject.profile_ids
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _er_profiles AS SELECT p AS profile_id,"
        " md5_number_upper(p) AS profile_key FROM unnest($ids::VARCHAR[]) t(p)", {"ids": ids}
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _er_idents AS SELECT *, identifier_type || ':'"
        " || identifier_value AS ident FROM (SELECT unnest($t::VARCHAR[]) AS identifier_type,"
        " unnest($v::VARCHAR[]) AS identifier_value)",
        {"t": [t for t, _ in subject.identifiers], "v": [v for _, v in subject.identifiers]},
    )
    placed = cursor(con)  # events and records after it are on no profile yet
    others = _other_profiles(con)
    records = subject.records
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _er_records AS SELECT unnest($s::VARCHAR[]) AS source_id,"
        " unnest($r::VARCHAR[]) AS record_id, unnest($k::UBIGINT[]) AS record_key",
        {"s": [s for s, _ in records], "r": [r for _, r in records],
         "k": [stable_key(s, r) for s, r in records]},
    )  # fmt: skip
    if subject.identifiers:
        _records_holding_identifiers(con, others, placed)
    sorted_ = sorted_through(con)
    seqs = [seq for seq, _ in _placed_on(con, ids, sorted_)]
    own = set(seqs)
    candidates = dict(_placed_on(con, others, sorted_))  # seq → profile key
    texts = subject.texts
    elsewhere: set[str] = set()
    if candidates and texts:  # other people's events that carry one of their identifiers
        carried = [row[0] for row in con.execute(
            f"SELECT seq FROM events WHERE seq IN ({_literal(candidates)})"
            " AND list_has_any(identifiers, $idents::VARCHAR[])", {"idents": texts}).fetchall()]
        seqs += carried
        by_key = {stable_key_of(p): p for p in others}
        elsewhere = {by_key[candidates[seq]] for seq in carried}
    con.execute("CREATE OR REPLACE TEMP TABLE _er_elsewhere AS SELECT unnest($p::VARCHAR[])"
                " AS profile_id", {"p": sorted(elsewhere)})  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE _er_foreign AS SELECT unnest($s::BIGINT[])"
                " AS seq", {"s": sorted(set(seqs) - own)})  # fmt: skip
    if texts:  # not placed on any profile yet
        seqs += [row[0] for row in con.execute(
            "SELECT seq FROM events WHERE seq > $placed"
            " AND list_has_any(identifiers, $idents::VARCHAR[])",
            {"placed": placed, "idents": texts}).fetchall()]  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE _er_seqs AS SELECT DISTINCT unnest($s::BIGINT[])"
                " AS seq ORDER BY seq", {"s": seqs})  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _er_origins AS"
        " SELECT 'event:' || seq AS origin FROM _er_seqs"
        " UNION SELECT 'record:' || source_id || ':' || record_id FROM _er_records"
        " UNION SELECT 'match:' || record_l || '|' || record_r FROM identity_matches"
        "  WHERE record_l IN (SELECT source_id || ':' || record_id FROM _er_records)"
        "     OR record_r IN (SELECT source_id || ':' || record_id FROM _er_records)"
    )


def _placed_on(
    con: duckdb.DuckDBPyConnection, profile_ids: list[str], sorted_: int
) -> list[tuple[int, int]]:
    """(seq, profile key) of the events placed on these profiles (read by key from the
    profile-ordered copy, plus the unordered tail), in a query of its own: DuckDB prunes row
    groups by the literal keys, where one query joining everything would scan."""
    if not profile_ids:
        return []
    keys = _literal(stable_key_of(p) for p in profile_ids)
    rows = con.execute(
        f"SELECT seq, profile_key FROM profile_events_by_profile WHERE profile_key IN ({keys})"
        " UNION ALL SELECT seq, profile_key FROM profile_events WHERE seq > ?"
        f" AND profile_key IN ({keys})",
        [sorted_],
    ).fetchall()
    return [(int(seq), int(key)) for seq, key in rows]


def _other_profiles(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Other people's profiles that may hold an event or record carrying one of their
    identifiers: where identity refused one of their identifiers, or refused another
    profile's identifier seen with theirs."""
    rows = con.execute(
        "SELECT v.profile_id FROM identity_violations v SEMI JOIN _er_idents i"
        "  ON i.identifier_type = v.identifier_type AND i.identifier_value = v.identifier_value"
        " WHERE v.profile_id IS NOT NULL"
        " UNION SELECT l.profile_id FROM identity_links l SEMI JOIN (SELECT identifier_type,"
        "  identifier_value FROM identity_violations WHERE profile_id IN"
        "  (SELECT profile_id FROM _er_profiles)) v ON v.identifier_type = l.identifier_type"
        "  AND v.identifier_value = l.identifier_value"
        " EXCEPT SELECT profile_id FROM _er_profiles"
    ).fetchall()
    return sorted(row[0] for row in rows)


def stable_key_of(profile_id: str) -> int:
    """`md5_number_upper(profile_id)`: the profile key the event and member tables hold."""
    return stable_key(profile_id)


def _literal(keys: Any) -> str:
    # Our own integers as a literal list: DuckDB prunes row groups by their min/max.
    return ", ".join(str(int(k)) for k in keys) or "NULL"


def _records_holding_identifiers(
    con: duckdb.DuckDBPyConnection, others: list[str], placed: int
) -> None:
    """Records whose identifier columns hold one of their identifiers without being linked
    to them: records of the other profiles, and records not resolved yet (after `placed`)."""
    linked = con.execute(
        "SELECT identifier_value FROM identity_links WHERE identifier_type = 'source_record'"
        " AND profile_id IN (SELECT unnest($others::VARCHAR[]))", {"others": others},
    ).fetchall() if others else []  # fmt: skip
    keys = [stable_key(*value.split(":", 1)) for (value,) in linked]
    rows = con.execute(
        "SELECT source_id, record_id, record_key, identifiers::VARCHAR FROM source_records"
        f" WHERE record_key IN ({_literal(keys)}) OR seq > ?", [placed],
    ).fetchall()  # fmt: skip
    wanted = {row[0] for row in con.execute("SELECT ident FROM _er_idents").fetchall()}
    found = [(source_id, record_id, key) for source_id, record_id, key, identifiers in rows
             if identifiers and any(f"{k}:{v}" in wanted
                                    for k, v in orjson.loads(identifiers).items())]  # fmt: skip
    if found:
        con.execute(
            "INSERT INTO _er_records SELECT * FROM (SELECT unnest($s::VARCHAR[]) AS s,"
            " unnest($r::VARCHAR[]) AS r, unnest($k::UBIGINT[]) AS k)"
            " WHERE (s, r) NOT IN (SELECT source_id, record_id FROM _er_records)",
            {"s": [f[0] for f in found], "r": [f[1] for f in found], "k": [f[2] for f in found]},
        )


def quarantine_condition(
    subject: Subject, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[str, dict[str, Any]]:
    """SQL matching quarantined payloads that mention one of their identifiers.

    Payloads are JSON text as received: e-mail addresses are matched anywhere,
    case-insensitively; other values as a whole JSON string (`"u-42"`), so a short id does
    not match inside unrelated text. Values a person typed differently (a phone number with
    spaces) are not recognised. With field encryption on (`con` given), the identifiers'
    plaintexts come from the vault, and a quarantine that lists the stored identifiers of
    each row (an `identifiers` column) is matched on those too."""
    pairs = subject.identifiers
    listed = False
    if con is not None and personal_data(con).enabled:
        pairs = plain_identifiers(con, personal_data(con), pairs)
        listed = "identifiers" in _columns(con, "quarantine")
    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, (kind, value) in enumerate(pairs):
        if kind == "source_record":
            continue
        params[f"q{i}"] = value.lower() if "@" in value else orjson.dumps(value).decode().lower()
        parts.append(f"contains(lower(payload), $q{i})")
    if listed and subject.texts:
        params["qids"] = subject.texts
        parts.append("list_has_any(identifiers, $qids::VARCHAR[])")
    return (" OR ".join(parts) or "false"), params


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
        " AND table_schema = 'main'", [table]).fetchall()}  # fmt: skip


def erase_rows(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, Any]:
    """Delete everything of `subject`; returns rows deleted per table (and what else was
    done), without personal data.

    Every condition is a literal list of our own integers (seqs, 64-bit profile keys) or
    bound profile ids, so each table is one filtered scan (pruned by row-group min/max where
    the table is ordered by that column), never a join against the whole table."""
    prepare(con, subject)
    personal = personal_data(con)
    condition, quarantine_params = quarantine_condition(subject, con)
    found = shred.Candidates()
    if personal.enabled:  # the keys their rows use, before the rows go
        found = shred.candidates(con, subject)
        found.sealed |= shred.quarantine_subjects(con, condition, quarantine_params)
    seqs = [row[0] for row in con.execute("SELECT seq FROM _er_seqs").fetchall()]
    elsewhere = [row[0] for row in con.execute("SELECT profile_id FROM _er_elsewhere").fetchall()]
    ids: dict[str, Any] = {f"p{i}": p for i, p in enumerate(subject.profile_ids)}
    listed = ", ".join("$" + k for k in ids) or "NULL"
    in_profiles = f"profile_id IN ({listed})"
    keys = _literal(stable_key_of(p) for p in [*subject.profile_ids, *elsewhere])
    in_seqs = f"seq IN ({_literal(seqs)})" if len(seqs) <= _LITERAL else \
        "seq IN (SELECT seq FROM _er_seqs)"  # fmt: skip
    ident = ("(identifier_type, identifier_value) IN (SELECT identifier_type, identifier_value"
             " FROM _er_idents)")  # fmt: skip
    origin = "origin IN (SELECT origin FROM _er_origins)"
    records = "(SELECT source_id || ':' || record_id FROM _er_records)"
    statements: dict[str, tuple[str, dict[str, Any]]] = {
        "events": (in_seqs, {}),
        # their events and the events of others that carried their identifiers: on these
        # profiles, with these seqs
        "profile_events": (f"profile_key IN ({keys}) AND {in_seqs}", {}),
        "profile_events_by_profile": (f"profile_key IN ({keys}) AND {in_seqs}", {}),
        "profiles": (in_profiles, ids),
        "profile_consents": (in_profiles, ids),
        "profile_predictions": (in_profiles, ids),
        "computed_trait_positions": (in_profiles, ids),
        "segment_history": (in_profiles, ids),
        "destination_state": (in_profiles, ids),
        "suppressed_profiles": (in_profiles, ids),
        "identity_links": (in_profiles, ids),  # their identifiers are linked to them only
        "identity_merges": (f"survivor IN ({listed}) OR absorbed IN ({listed}) OR {ident}"
                            f" OR {origin}", ids),
        "identity_violations": (f"{in_profiles} OR {ident} OR {origin}", ids),
        "identity_matches": (f"record_l IN {records} OR record_r IN {records}", {}),
        "identity_unmerged": (origin, {}),
        "source_records": ("(source_id, record_key) IN (SELECT source_id, record_key"
                           " FROM _er_records)", {}),
    }  # fmt: skip
    present = tables(con)
    counts: dict[str, int] = {}
    counts["segment_members"], segments = _segment_members(con, subject.profile_ids)
    for table, (where, params) in statements.items():
        if table in present:
            counts[table] = _delete(con, table, where, params)
    counts["quarantine"] = _delete(con, "quarantine", condition, quarantine_params)
    if "consent_ledger" in present:
        where = ("(subject_type, subject_value) IN (SELECT identifier_type, identifier_value"
                 f" FROM _er_idents) OR {in_seqs}")  # fmt: skip
        counts["consent_ledger"] = _delete(con, "consent_ledger", where)
    for table in generic(present):
        counts[table] = _delete(con, table, in_profiles, ids)
    letters = _dead_letters(con, subject.profile_ids, found.sealed)
    if segments:
        con.execute(
            "UPDATE segments s SET member_count = (SELECT count(*) FROM segment_members m"
            " WHERE m.segment_id = s.segment_id) WHERE segment_id IN"
            " (SELECT unnest($s::VARCHAR[]))", {"s": segments},
        )  # fmt: skip
    if elsewhere:
        rederive_profiles(con, elsewhere)
    subject.keys = shred.keys_to_destroy(con, personal, found)
    counts["identifier_values"] = shred.delete_vault(con, subject, subject.keys)
    for table in _TEMP:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {"tables": {t: n for t, n in counts.items() if n}, "dead_letters": letters,
            "other_profiles_rederived": len(elsewhere)}  # fmt: skip


def held_by_destinations(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Names of the destinations that were last sent this person (to ask them to delete)."""
    rows = con.execute(
        "SELECT DISTINCT d.name FROM destination_state s JOIN destinations d USING"
        " (destination_id) WHERE s.profile_id IN (SELECT unnest($ids::VARCHAR[]))"
        " ORDER BY d.name", {"ids": subject.profile_ids},
    ).fetchall()  # fmt: skip
    return [row[0] for row in rows]


def _delete(
    con: duckdb.DuckDBPyConnection, table: str, where: str, params: dict[str, Any] | None = None
) -> int:
    row = con.execute(f"DELETE FROM {table} WHERE {where}", params or {}).fetchone()
    return int(row[0]) if row else 0


def _segment_members(
    con: duckdb.DuckDBPyConnection, profile_ids: list[str]
) -> tuple[int, list[str]]:
    keys = _literal(stable_key_of(p) for p in profile_ids)
    rows = con.execute(
        f"DELETE FROM segment_members WHERE profile_key IN ({keys}) AND profile_id IN"
        " (SELECT profile_id FROM _er_profiles) RETURNING segment_id"
    ).fetchall()
    return len(rows), sorted({row[0] for row in rows})


def _dead_letters(
    con: duckdb.DuckDBPyConnection, profile_ids: list[str], keys: set[str] | None = None
) -> dict[str, int]:
    """Take the person out of undelivered webhook batches; a letter left empty is deleted.

    A changed body gets a new idempotency key derived from the old one (as a replay that
    drops members does), so a receiver never sees two bodies under one key. A body sealed
    whole (field encryption on) is opened, rewritten and sealed again under a key of its
    own; the old body's key goes into `keys` (to destroy, `shred`), as does a deleted one's."""
    personal = personal_data(con)
    if not profile_ids:
        return {}
    test = " OR ".join(f"contains(members::VARCHAR, $p{i})" for i in range(len(profile_ids)))
    rows = con.execute(
        f"SELECT letter_id, idempotency_key, body, members FROM destination_dead_letters"
        f" WHERE {test}", {f"p{i}": p for i, p in enumerate(profile_ids)},
    ).fetchall()  # fmt: skip
    gone = set(profile_ids)
    rewritten = deleted = 0
    for letter_id, key, stored_body, members in rows:
        sealed = isinstance(stored_body, str) and is_token(stored_body)
        if sealed and keys is not None:
            keys.add(token_subject(stored_body))
        kept = [m for m in orjson.loads(members) if m[0] not in gone]
        body = personal.open(stored_body) if sealed else stored_body
        if not kept or body == SHREDDED:  # shredded: a restored copy of a letter an erasure
            # already rewrote under a new key; nothing in it can be delivered any more
            con.execute("DELETE FROM destination_dead_letters WHERE letter_id = ?", [letter_id])
            deleted += 1
            continue
        new_body = without_members_body(body, gone)
        new_key = derived_key(key, new_body)
        if sealed:
            fresh = personal.subject([], fallback=f"letter:{letter_id}:{new_key}")
            new_body_stored = personal.seal(fresh, new_body)
        else:
            new_body_stored = new_body
        con.execute(
            "UPDATE destination_dead_letters SET body = ?, members = ?, idempotency_key = ?"
            " WHERE letter_id = ?",
            [new_body_stored, orjson.dumps(kept).decode(), new_key, letter_id],
        )
        rewritten += 1
    return {k: v for k, v in (("rewritten", rewritten), ("deleted", deleted)) if v}


def without_members_body(body: str, gone: set[str]) -> str:
    """A webhook body (groups of members) without the members of profiles in `gone`."""
    data = orjson.loads(body)
    if isinstance(data, dict):
        for group, members in data.items():
            if isinstance(members, list):
                data[group] = [m for m in members if not _member_of(m, gone)]
    return orjson.dumps(data).decode()


def _member_of(member: object, gone: set[str]) -> bool:
    return isinstance(member, dict) and member.get("profile_id") in gone


def derived_key(key: str, body: str) -> str:
    """The idempotency key of a changed body: derived from the old one and the body."""
    return hashlib.sha256(f"{key}\0{body}".encode()).hexdigest()[:32]
