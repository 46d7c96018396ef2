"""Finding the person a request is about, from any of their identifiers or from hashes.

A person is their profile as identity resolution built it: every identifier linked to it
(merges move the absorbed profile's identifiers onto the survivor, so following the links
follows every merge), the ids of the profiles merged into it (their rows linger in history
tables), and identifiers seen only with them that a limit kept from linking; but not a
value identity found shared by several people (a kiosk tablet), which is not theirs alone.
The journal re-applies erasures from keyed hashes alone, so a person can also be found by
hashing every stored identifier and keeping those whose hash is listed.

With field encryption on, identifiers are stored as keyed pseudonyms (`crypto.personal`):
an identifier as typed is normalised the way ingest stores it (e-mail lower-cased, phone
to E.164) and pseudonymised before it is looked up, every type tried for a bare value, and a
`Subject` holds the stored forms only, never a plaintext.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from opencdp.crypto.personal import personal_data
from opencdp.hygiene import normalize_value
from opencdp.identity.model import Identifier
from opencdp.identity.rules import DEFAULT_PRIORITIES
from opencdp.identity.store import PROFILE_PREFIX, profile_id_for
from opencdp.privacy.payloads import payload_identifiers
from opencdp.privacy.suppression import Suppression
from opencdp.profiles.lookup import split_identifier, stored_forms
from opencdp.sources.history import import_mapping
from opencdp.sources.mapping import Mapping, MappingError, parse_mapping

_PSEUDONYM = re.compile(r"~?[A-Za-z0-9_-]{22}")  # how identifiers are stored when encrypted
PROFILE_TYPE = "profile_id"  # the subject hash of a request made by profile id
LOOSE = "loose"  # `resolve_text`: an identifier no profile holds, found elsewhere


@dataclass
class Subject:
    """One person: their profiles and identifiers (`(type, value)`)."""

    profile_ids: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    found_by: str | None = None  # the `type:value` the request resolved to
    live: int = 0  # how many of `profile_ids` (the first ones) are live profiles; the rest
    # are ids they absorbed or could have been named after, whose rows may linger
    keys: list[str] = field(default_factory=list)  # data keys to destroy once erased
    # (pseudonyms, `erasure.key_subjects`); kept in the request until destroyed

    @property
    def profile_id(self) -> str | None:
        """The live profile (the first id), if the person has one."""
        return self.profile_ids[0] if self.live else None

    @property
    def texts(self) -> list[str]:
        """Every identifier as `type:value` (what events list and suppression hashes)."""
        return [f"{t}:{v}" for t, v in self.identifiers]

    @property
    def records(self) -> list[tuple[str, str]]:
        """Their imported records as (source id, record id)."""
        found = []
        for kind, value in self.identifiers:
            if kind == "source_record":
                source_id, _, record_id = value.partition(":")
                found.append((source_id, record_id))
        return found

    def hashes(self, suppression: Suppression) -> list[str]:
        """Suppression entries of every identifier (what is suppressed and journalled):
        keyed hashes, or the stored pseudonyms when field encryption is on."""
        return sorted({suppression.entry(text) for text in self.texts})

    def request_hashes(self, suppression: Suppression) -> set[str]:
        """Hashes a request about this person may carry as its subject: any identifier, or
        a profile id."""
        ids = {suppression.hash(f"{PROFILE_TYPE}:{p}") for p in self.profile_ids}
        return {suppression.hash(text) for text in self.texts} | ids

    def to_json(self) -> dict[str, Any]:
        return {"profile_ids": self.profile_ids,
                "identifiers": [list(i) for i in self.identifiers],
                "found_by": self.found_by, "live": self.live, "keys": self.keys}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Subject:
        return cls(list(data["profile_ids"]), [(t, v) for t, v in data["identifiers"]],
                   data.get("found_by"), int(data.get("live", 0)),
                   list(data.get("keys", [])))  # fmt: skip

    def __bool__(self) -> bool:
        return bool(self.profile_ids or self.identifiers)


def resolve_text(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, str] | None:
    """The stored `(type, value)` (or `("profile_id", id)`) a request's identifier names.

    As `profiles.lookup.find_profile_id`: `type:value`, a bare value of any type (the
    strongest type wins), an e-mail also lower-cased as hygiene stores it, or a profile id.
    An identifier no profile holds but a refusal or a consent statement names comes back as
    `(LOOSE, "type:value")`.
    """
    text = text.strip()
    if text.startswith(PROFILE_PREFIX):
        row = con.execute("SELECT 1 FROM identity_links WHERE profile_id = ? LIMIT 1",
                          [text]).fetchall()  # fmt: skip
        return (PROFILE_TYPE, text) if row else None
    personal = personal_data(con)
    if personal.enabled:
        return _resolve_stored(con, stored_candidates(con, text))
    kind, value = split_identifier(text)
    params = [value, value.lower() if "@" in value else value, kind, kind]
    where = "IN (?, ?) AND (?::VARCHAR IS NULL OR {t} = ?)"
    rows = con.execute(
        "SELECT DISTINCT identifier_type, identifier_value FROM identity_links"
        f" WHERE identifier_value {where.format(t='identifier_type')}", params,
    ).fetchall()  # fmt: skip
    if not rows:  # known only from a refusal or a consent statement: no profile
        rows = con.execute(
            "SELECT identifier_type, identifier_value FROM identity_violations"
            f" WHERE identifier_value {where.format(t='identifier_type')}"
            " UNION SELECT subject_type, subject_value FROM consent_ledger"
            f" WHERE subject_value {where.format(t='subject_type')}", params + params,
        ).fetchall()  # fmt: skip
        if rows:
            rows.sort(key=lambda row: (DEFAULT_PRIORITIES.get(row[0], 99), row[1] != value))
            return LOOSE, f"{rows[0][0]}:{rows[0][1]}"
        return None
    rows.sort(key=lambda row: (DEFAULT_PRIORITIES.get(row[0], 99), row[1] != value))
    return str(rows[0][0]), str(rows[0][1])


def stored_candidates(con: duckdb.DuckDBPyConnection, text: str) -> list[tuple[str, str]]:
    """`(type, stored value)` an identifier as typed may be stored as, strongest type first
    (`profiles.lookup.stored_forms`: normalised as ingest does, then pseudonymised)."""
    forms = list(stored_forms(con, text))
    forms.sort(key=lambda form: DEFAULT_PRIORITIES.get(form[0], 99))  # stable: typed first
    kind, value = split_identifier(text.strip())
    if kind is not None and _PSEUDONYM.fullmatch(value):  # a stored form, copied as it is
        forms.append((kind, value))
    return forms


def _resolve_stored(
    con: duckdb.DuckDBPyConnection, candidates: list[tuple[str, str]]
) -> tuple[str, str] | None:
    """`resolve_text` over exact stored candidates (best first)."""
    if not candidates:
        return None
    rank = {c: i for i, c in enumerate(candidates)}
    params = {"t": [t for t, _ in candidates], "v": [v for _, v in candidates]}
    wanted = "(SELECT unnest($t::VARCHAR[]), unnest($v::VARCHAR[]))"
    rows = con.execute(
        "SELECT DISTINCT identifier_type, identifier_value FROM identity_links"
        f" WHERE (identifier_type, identifier_value) IN {wanted}", params,
    ).fetchall()  # fmt: skip
    if rows:
        best = min(rows, key=lambda row: rank.get((row[0], row[1]), len(rank)))
        return str(best[0]), str(best[1])
    rows = con.execute(
        "SELECT identifier_type, identifier_value FROM identity_violations"
        f" WHERE (identifier_type, identifier_value) IN {wanted}"
        " UNION SELECT subject_type, subject_value FROM consent_ledger"
        f" WHERE (subject_type, subject_value) IN {wanted}", params,
    ).fetchall()  # fmt: skip
    if not rows:
        return None
    best = min(rows, key=lambda row: rank.get((row[0], row[1]), len(rank)))
    return LOOSE, f"{best[0]}:{best[1]}"


def guess_identifier(
    text: str, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[str, str] | None:
    """`type:value` of an identifier nothing links to: explicit, or an e-mail address (as
    stored: pseudonymised when field encryption is on)."""
    kind, value = split_identifier(text.strip())
    if kind is None:
        if "@" not in value or " " in value:
            return None
        kind, value = "email", value.lower()
    if con is None or not personal_data(con).enabled:
        return kind, value
    cleaned = normalize_value(kind, value).value if kind in ("email", "phone") else None
    stored = personal_data(con).identifier(f"{kind}:{cleaned or value.strip()}")
    stored_kind, _, stored_value = stored.partition(":")
    return stored_kind, stored_value


def find_subject(con: duckdb.DuckDBPyConnection, text: str) -> Subject:
    """The person `text` identifies. Without a profile, the identifier alone (events and
    records may still carry it: refused by every rule, or not resolved yet); empty when
    nothing can be told about it."""
    resolved = resolve_text(con, text)
    if resolved is not None and resolved[0] == LOOSE:
        loose_kind, _, loose_value = resolved[1].partition(":")
        return Subject([], [(loose_kind, loose_value)], resolved[1])
    if resolved is None:
        guessed = guess_identifier(text, con)
        if guessed is None:
            return Subject()
        return Subject([], [guessed], f"{guessed[0]}:{guessed[1]}")
    kind, value = resolved
    if kind == PROFILE_TYPE:
        profile_id = value
    else:
        row = con.execute(
            "SELECT profile_id FROM identity_links WHERE identifier_type = ?"
            " AND identifier_value = ? LIMIT 1", [kind, value],
        ).fetchall()  # fmt: skip
        profile_id = str(row[0][0])
    subject = subject_of_profile(con, profile_id)
    subject.found_by = f"{kind}:{value}"
    return subject


def subject_of_profile(con: duckdb.DuckDBPyConnection, profile_id: str) -> Subject:
    """Everything identity knows of one live profile (see the module docstring)."""
    links = con.execute(
        "SELECT identifier_type, identifier_value FROM identity_links WHERE profile_id = ?"
        " ORDER BY identifier_type, identifier_value", [profile_id],
    ).fetchall()  # fmt: skip
    lineage = [row[0] for row in con.execute(
        "WITH RECURSIVE lineage(profile_id) AS ("
        "  SELECT ?::VARCHAR UNION"
        "  SELECT m.absorbed FROM identity_merges m JOIN lineage l ON m.survivor = l.profile_id"
        ") SELECT profile_id FROM lineage", [profile_id]).fetchall()]  # fmt: skip
    refused = con.execute(
        "SELECT DISTINCT v.identifier_type, v.identifier_value FROM identity_violations v"
        " WHERE v.profile_id IN (SELECT unnest($ids::VARCHAR[])) AND v.rule = 'limit'"
        " AND NOT EXISTS (SELECT 1 FROM identity_links l WHERE l.identifier_type ="
        "  v.identifier_type AND l.identifier_value = v.identifier_value)",
        {"ids": lineage},
    ).fetchall()
    shared = set(con.execute(  # a kiosk tablet, a family computer: not theirs alone
        "SELECT DISTINCT identifier_type, identifier_value FROM identity_violations"
        " WHERE rule = 'shared_value' AND (identifier_type, identifier_value) IN"
        " (SELECT identifier_type, identifier_value FROM identity_links WHERE profile_id = ?)",
        [profile_id]).fetchall())  # fmt: skip
    identifiers = sorted({(str(t), str(v)) for t, v in [*links, *refused]} - shared)
    named = {profile_id_for(Identifier(t, v)) for t, v in identifiers}
    others = {row[0] for row in con.execute(  # live profiles of other people keep their ids
        "SELECT DISTINCT profile_id FROM identity_links WHERE profile_id IN"
        " (SELECT unnest($ids::VARCHAR[])) AND profile_id <> $own",
        {"ids": sorted(named), "own": profile_id}).fetchall()}  # fmt: skip
    rest = sorted((set(lineage) | named) - others - {profile_id})
    return Subject([profile_id, *rest], identifiers, live=1 if links else 0)


HashIndex = dict[str, list[tuple[str, str, str | None]]]


def hash_index(
    con: duckdb.DuckDBPyConnection, suppression: Suppression, hashes: Iterable[str]
) -> HashIndex:
    """hash → the stored identifiers `(type, value, profile id or None)` with that hash, for
    the hashes wanted. Every stored identifier is hashed once (seconds for millions): the
    journal keeps nothing else to find people by, so a restore replaying several erasures
    builds this once for all of them.

    Stored identifiers are those identity knows (links, refused identifiers) and those it
    never saw: the subjects of consent statements (the API takes them for anyone) and the
    identifiers quarantined payloads mention (`payloads`), so a person known only from the
    consent ledger or the quarantine is found and erased again too."""
    wanted = set(hashes)
    found: HashIndex = {}
    if not wanted:
        return found
    rows: list[tuple[str, str, str | None]] = con.execute(
        "SELECT identifier_type, identifier_value, profile_id FROM identity_links"
        " UNION SELECT identifier_type, identifier_value, NULL FROM identity_violations"
        " UNION SELECT subject_type, subject_value, NULL FROM consent_ledger"
        "  WHERE (subject_type, subject_value) NOT IN (SELECT identifier_type,"
        "  identifier_value FROM identity_links)"  # hashed once, with its profile
    ).fetchall()
    rows += [(kind, value, None) for kind, value in _quarantined(con)]
    digest = suppression.entry
    for kind, value, profile_id in rows:
        key = digest(f"{kind}:{value}")
        if key in wanted:
            found.setdefault(key, []).append((kind, value, profile_id))
    return found


def _quarantined(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Every identifier quarantined payloads mention (best effort, see `payloads`)."""
    mappings: dict[str, Mapping | None] = {}

    def mapping_of(import_id: str) -> Mapping | None:
        if import_id not in mappings:
            try:
                document = import_mapping(con, import_id)
                mappings[import_id] = parse_mapping(document) if document else None
            except MappingError:
                mappings[import_id] = None
        return mappings[import_id]

    personal = personal_data(con)
    listed = "identifiers" in {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'quarantine'"
        " AND table_schema = 'main'").fetchall()}  # fmt: skip
    column = "identifiers" if listed else "NULL::VARCHAR[]"
    found: set[tuple[str, str]] = set()
    for stage, stored_payload, stored in con.execute(
        f"SELECT stage, payload, {column} FROM quarantine"
    ).fetchall():  # fmt: skip
        payload = personal.open(stored_payload)  # sealed at rest when encryption is on
        texts = [personal.identifier(t) for t in payload_identifiers(stage, payload, mapping_of)]
        for text in [*texts, *(stored or [])]:
            kind, _, value = text.partition(":")
            if value:
                found.add((kind, value))
    return found


def subjects_by_hashes(
    con: duckdb.DuckDBPyConnection, suppression: Suppression, hashes: Iterable[str],
    index: HashIndex | None = None,
) -> list[Subject]:  # fmt: skip
    """The people holding an identifier whose keyed hash is in `hashes` (looked up in
    `index` when given, else by hashing every stored identifier)."""
    hashes = set(hashes)
    if index is None:
        index = hash_index(con, suppression, hashes)
    profiles: set[str] = set()
    loose: set[tuple[str, str]] = set()
    for key in hashes:
        for kind, value, profile_id in index.get(key, []):
            if profile_id is not None:
                profiles.add(profile_id)
            else:
                loose.add((kind, value))
    found = [s for s in (subject_of_profile(con, p) for p in sorted(profiles)) if s.live]
    held = {i for s in found for i in s.identifiers}
    found += [Subject([], [i]) for i in sorted(loose - held)]
    return found
