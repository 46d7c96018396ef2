"""Which data keys an erasure destroys (crypto-shredding), and the vault rows it deletes.

With field encryption on, every personal value is sealed under the key of its row's
strongest identifier (`crypto.personal.subject`), or, for a row with no usable identifier,
under a key of its own. Deleting the person's rows leaves copies elsewhere (backups, a WAL
not yet checkpointed, old blocks of the file); destroying the keys that sealed them makes
every copy read `[erased]`.

The keys are found in the erasure's transaction, before the rows and the identity graph
forget them (`candidates`, after `erasure.prepare`): the pseudonyms of the person's own
identifiers, of every identifier their events and records list, and the subject inside every
token of those rows and of the quarantined rows that mention them.

Shared subjects (plan R11), the conservative rule: a key is destroyed when it belongs to one
of the person's own identifiers (linked to their profile alone and not marked shared by
identity), or, for any other key, when nothing left after the deletion names it: no identity
link or refusal, no quarantined row listing it, and, for an identifier their rows listed, no
remaining event or record listing it either (a subject found only inside their tokens, such
as a dead letter's or a quarantined message's own key, is a row's own fallback key, so no
scan of the log is made for it).
Otherwise the key is kept, so a co-user of a shared browser (an anonymous id two people used)
still reads their own data. The erased person's rows sealed under a kept key are deleted all
the same, but copies of them in old backups stay readable; re-sealing the other person's
rows under a key of their own (so the shared key could go) is not done.

Off mode nothing is sealed: no key is looked for (`personal.enabled` is false).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import orjson

from opencdp.crypto.personal import BLOCKED_MARK, PersonalData
from opencdp.identity.rules import DEFAULT_PRIORITIES
from opencdp.privacy.subject import Subject
from opencdp.sources.mapping import IDENTIFIER_TYPES

_KINDS = sorted((set(IDENTIFIER_TYPES) | set(DEFAULT_PRIORITIES)) - {"source_record"})


def pseudonym_of(stored: str) -> str | None:
    """The key subject a stored `type:<pseudonym>` names (None for a `source_record`)."""
    kind, sep, value = stored.partition(":")
    if not sep or kind == "source_record" or not value:
        return None
    return value.removeprefix(BLOCKED_MARK)


@dataclass
class Candidates:
    """Keys an erasure may destroy, by how they were found (see the module)."""

    own: set[str] = field(default_factory=set)  # their own identifiers' pseudonyms
    listed: set[str] = field(default_factory=set)  # other identifiers their rows list
    sealed: set[str] = field(default_factory=set)  # other subjects of tokens in their rows


def candidates(con: duckdb.DuckDBPyConnection, subject: Subject) -> Candidates:
    """What their rows use, read after `erasure.prepare` (before anything is deleted)."""
    own = {p for p in (pseudonym_of(t) for t in subject.texts) if p}
    listed: set[str] = set()
    for (text,) in con.execute(
        "SELECT DISTINCT unnest(identifiers) FROM events WHERE seq IN (SELECT seq FROM _er_seqs)"
    ).fetchall():
        if p := pseudonym_of(str(text)):
            listed.add(p)
    records = "(source_id, record_key) IN (SELECT source_id, record_key FROM _er_records)"
    for (identifiers,) in con.execute(
        f"SELECT identifiers::VARCHAR FROM source_records WHERE {records}"
    ).fetchall():
        listed |= _record_pseudonyms(identifiers)
    sealed = _column_subjects(con, "source_records", records)
    sealed |= _column_subjects(con, "events", "seq IN (SELECT seq FROM _er_seqs)")
    sealed |= _column_subjects(con, "profiles",
                               "profile_id IN (SELECT profile_id FROM _er_profiles)")  # fmt: skip
    return Candidates(own, listed - own, sealed - own - listed)


def quarantine_subjects(con: duckdb.DuckDBPyConnection, condition: str,
                        params: dict[str, object]) -> set[str]:  # fmt: skip
    """Token subjects of the quarantined rows an erasure deletes (before it does)."""
    return _column_subjects(con, "quarantine", condition, params)


def named(con: duckdb.DuckDBPyConnection, keys: set[str], *, scan: bool) -> set[str]:
    """Of `keys`, those something left after the deletion still names (same transaction):
    an identity link or refusal, a quarantined row's identifiers and, with `scan`, an event
    or a record listing an identifier with that pseudonym (a scan of both tables, done only
    for identifiers their rows listed that nobody is linked to)."""
    if not keys:
        return set()
    wanted = sorted(keys)
    params = {"p": wanted, "mark": BLOCKED_MARK}
    queries = [
        "SELECT DISTINCT identifier_value FROM identity_links"
        " WHERE identifier_value IN (SELECT unnest($p::VARCHAR[]))",
        "SELECT DISTINCT ltrim(identifier_value, $mark) FROM identity_violations"
        " WHERE ltrim(identifier_value, $mark) IN (SELECT unnest($p::VARCHAR[]))",
    ]
    if "identifiers" in _columns(con, "quarantine"):
        queries.append(
            "SELECT DISTINCT ltrim(split_part(i, ':', 2), $mark) FROM (SELECT unnest(identifiers)"
            " AS i FROM quarantine) WHERE ltrim(split_part(i, ':', 2), $mark)"
            " IN (SELECT unnest($p::VARCHAR[]))")  # fmt: skip
    found = {row[0] for row in con.execute(" UNION ".join(queries), params).fetchall()}
    rest = [p for p in wanted if p not in found]
    if not scan or not rest:
        return found
    forms = [f"{k}:{m}{p}" for p in rest for k in _KINDS for m in ("", BLOCKED_MARK)]
    for (text,) in con.execute(
        "SELECT DISTINCT unnest(identifiers) FROM events"
        " WHERE list_has_any(identifiers, $f::VARCHAR[])", {"f": forms},
    ).fetchall():  # fmt: skip
        if (p := pseudonym_of(str(text))) in keys:
            found.add(p)
    test = " OR ".join(f"contains(identifiers::VARCHAR, $p{i})" for i in range(len(rest)))
    for (identifiers,) in con.execute(
        f"SELECT identifiers::VARCHAR FROM source_records WHERE {test}",
        {f"p{i}": p for i, p in enumerate(rest)},
    ).fetchall():  # fmt: skip
        found |= _record_pseudonyms(identifiers) & keys
    return found


def delete_vault(con: duckdb.DuckDBPyConnection, subject: Subject, keys: Iterable[str]) -> int:
    """Delete the sealed plaintexts of their identifiers (and of any identifier whose key
    goes) from the `identifier_values` vault."""
    row = con.execute(
        "DELETE FROM identifier_values WHERE identifier IN (SELECT unnest($t::VARCHAR[]))"
        " OR split_part(identifier, ':', 2) IN (SELECT unnest($k::VARCHAR[]))",
        {"t": subject.texts, "k": sorted(set(keys))},
    ).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def keys_to_destroy(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, found: Candidates
) -> list[str]:
    """The keys to destroy once the deletion commits (read after it, same transaction)."""
    if not personal.enabled:
        return []
    sealed = found.sealed - found.listed - found.own
    keep = named(con, found.listed, scan=True) | named(con, sealed, scan=False)
    return sorted(found.own | ((found.listed | sealed) - keep))


def _record_pseudonyms(identifiers: str | None) -> set[str]:
    if not identifiers:
        return set()
    held = orjson.loads(identifiers)
    if not isinstance(held, dict):
        return set()
    return {p for k, v in held.items() if v is not None
            and (p := pseudonym_of(f"{k}:{v}"))}  # fmt: skip


def _column_subjects(
    con: duckdb.DuckDBPyConnection, table: str, where: str, params: dict[str, object] | None = None
) -> set[str]:
    """Subjects of every token in the text and JSON columns of the matching rows."""
    columns = [row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
        " AND table_schema = 'main' AND (data_type = 'VARCHAR' OR data_type = 'JSON'"
        "  OR data_type LIKE '%[]')", [table]).fetchall()]  # fmt: skip
    if not columns:
        return set()
    text = " || ' ' || ".join(f"coalesce(CAST({_quote(c)} AS VARCHAR), '')" for c in columns)
    rows = con.execute(
        f"SELECT DISTINCT unnest(regexp_extract_all({text}, 'enc1:([A-Za-z0-9_-]+)\\.', 1))"
        f" FROM {table} WHERE {where}", params or {},
    ).fetchall()  # fmt: skip
    return {str(row[0]) for row in rows if row[0]}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
        " AND table_schema = 'main'", [table]).fetchall()}  # fmt: skip


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
