"""Personal data at rest: what storage calls to keep identifiers and PII values unreadable.

One object per open data directory, chosen by its `field_encryption` mode (`crypto/mode.py`):

- **on:** identifiers become keyed pseudonyms (`email:<22 chars>`), personal values inside
  traits, properties and context become sealed tokens (`crypto/tokens.py`) under the data key
  of the row's strongest identifier, and the plaintext of every identifier is kept once,
  sealed, in the `identifier_values` vault so exports and destinations can get back to it;
- **off:** every method passes its input through unchanged, so callers never branch on the
  mode and a data directory created before encryption keeps working.

Code that receives only a connection finds the object with `personal_data(con)`: the
workspace registers it under the database file's path when it opens the directory, and a
connection to any other database (tests, scratch) gets the pass-through.

Tokens carry the JSON encoding of the value, so numbers and lists round-trip with their
type. Associated data binds a token to its subject only (not to a field name), because SQL
copies tokens between fields (golden record, computed traits) and they must still open.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson

from opencdp.crypto.keys import derive_key, keyed_hash
from opencdp.crypto.keystore import SubjectKeys
from opencdp.crypto.pseudonyms import Pseudonyms
from opencdp.crypto.tokens import (
    PREFIX,
    SHREDDED,
    CorruptToken,
    Sealer,
    is_token,
    tag_of,
)
from opencdp.identity.rules import DEFAULT_PRIORITIES
from opencdp.security.pii import DERIVED_FIELDS, PiiSchema, normalize_field

_FIELD = "pii"  # associated-data field of every token (see the module docstring)
BLOCKED_MARK = "~"  # `type:~<pseudonym>`: a placeholder value refused at ingest
# Tags are kept for values people look up by equality; long free text gets none.
_TAG_MAX_CHARS = 128
_TAG_MEMO = 100_000  # (kind, value) → tag pairs kept
# Fields whose value yields a derived, non-identifying member stored in plain text.
_EMAIL_FIELDS = frozenset({"email", "emailaddress"})
_BIRTH_FIELDS = frozenset({"birthday", "birthdate", "dateofbirth", "dob"})


class PersonalData:
    """Seals and opens personal data for one data directory (pass-through when off)."""

    def __init__(
        self,
        master: bytes | None = None,
        keystore: Path | None = None,
        schema: PiiSchema | None = None,
    ) -> None:
        self.enabled = master is not None
        self.schema = schema or PiiSchema()
        self._pseudonyms: Pseudonyms | None = None
        self._sealer: Sealer | None = None
        self._keys: SubjectKeys | None = None
        self._salt = b""
        self._tags: dict[tuple[str, Any], str] = {}
        if master is not None:
            if keystore is None:
                raise ValueError("field encryption needs a key store path")
            self._keys = SubjectKeys(keystore, master)
            self._pseudonyms = Pseudonyms(master)
            self._sealer = Sealer(self._keys, master)
            self._salt = derive_key(master, "record-keys")

    # --- identifiers ------------------------------------------------------------------

    def identifier(self, identifier: str, blocked: bool = False) -> str:
        """`type:value` as stored: `type:<pseudonym>` when on (`type:~<pseudonym>` for a
        placeholder the identity rules refuse), unchanged when off."""
        if self._pseudonyms is None:
            return identifier
        kind, sep, _ = identifier.partition(":")
        made = self._pseudonyms.of_value(identifier)
        mark = BLOCKED_MARK if blocked else ""
        return f"{kind}:{mark}{made}" if sep else f"{mark}{made}"

    def identifiers(self, identifiers: Sequence[str] | None) -> list[str] | None:
        if identifiers is None or self._pseudonyms is None:
            return None if identifiers is None else list(identifiers)
        return [self.identifier(i) for i in identifiers]

    def id_value(self, kind: str, value: str | None) -> str | None:
        """A bare id column (`user_id`, `anonymous_id`) as stored: the pseudonym part."""
        if value is None or self._pseudonyms is None:
            return value
        return self._pseudonyms.of_value(f"{kind}:{value}")

    def subject(self, stored_identifiers: Iterable[str], fallback: str = "") -> str:
        """Whose key seals a row: the pseudonym of its strongest identifier (by the
        identity priorities), so a person's events and records share one key and erasure
        finds every key from the person's identifiers. `fallback` (e.g. a message key)
        names the subject of a row without a usable identifier."""
        best: tuple[int, str] | None = None
        for identifier in stored_identifiers:
            kind, _, value = identifier.partition(":")
            if not value or value.startswith(BLOCKED_MARK):
                continue
            rank = (DEFAULT_PRIORITIES.get(kind, 10), value)
            if best is None or rank < best:
                best = rank
        if best is not None:
            return best[1]
        if self._pseudonyms is None:
            return ""
        return self._pseudonyms.of_value("row:" + fallback)

    # --- values -----------------------------------------------------------------------

    def seal(
        self, subject: str, value: Any, tag_kind: str | None = None, *, untrusted: bool = False
    ) -> Any:
        """A token for one value under `subject`'s key; `tag_kind` adds an equality tag.
        A value that is a token already passes through, unless it is `untrusted` (a
        client's own text that only looks like one: sealed like any other string)."""
        if self._sealer is None or value is None:
            return value
        if isinstance(value, str) and is_token(value) and not untrusted:
            return value
        text = orjson.dumps(value).decode()
        tagged = (
            tag_kind is not None
            and isinstance(value, str | int)
            and not isinstance(value, bool)
            and len(str(value)) <= _TAG_MAX_CHARS
        )
        tag = self.tag(tag_kind, value) if tagged and tag_kind else ""
        return self._sealer.seal(subject, _FIELD, text, tag=tag)

    def seal_column(
        self, subjects: Sequence[str], values: Sequence[Any], tag_kind: str | None = None
    ) -> list[Any]:
        """`seal` over a whole column (imports): each row's value under its subject, the
        tag computed once per distinct value; None stays None."""
        if self._sealer is None:
            return list(values)
        tags: dict[Any, str] = {}
        out: list[Any] = []
        for subject, value in zip(subjects, values, strict=True):
            if value is None:
                out.append(None)
                continue
            tag = ""
            if tag_kind is not None:
                known = tags.get(value)
                tag = tags[value] = self._column_tag(tag_kind, value) if known is None else known
            text = orjson.dumps(value).decode()
            out.append(self._sealer.seal(subject, _FIELD, text, tag=tag))
        return out

    def _column_tag(self, kind: str, value: Any) -> str:
        tagged = (isinstance(value, str | int) and not isinstance(value, bool)
                  and len(str(value)) <= _TAG_MAX_CHARS)  # fmt: skip
        return self.tag(kind, value) if tagged else ""

    def tag(self, kind: str, value: Any) -> str:
        """The equality tag of a value: what segments and quality compare when on.
        Memoised: tags are deterministic, so the memo reveals nothing a tag does not."""
        if self._sealer is None:
            return str(value)
        memo_key = (kind, value)
        known = self._tags.get(memo_key)
        if known is not None:
            return known
        made = self._sealer.tag(normalize_field(kind), str(value).strip().casefold())
        if len(self._tags) >= _TAG_MEMO:
            self._tags.clear()  # cheap bound; the hot values come back within a batch
        self._tags[memo_key] = made
        return made

    def open(self, value: Any) -> Any:
        """The plaintext of a token (`[erased]` once shredded); anything else unchanged.

        Text that only looks like a token (a client's own string in a field that is not
        sealed) and fails to parse or authenticate is returned as it is: a read must
        never fail on what a client sent."""
        if self._sealer is None or not isinstance(value, str) or not is_token(value):
            return value
        try:
            text = self._sealer.open(_FIELD, value)
        except (CorruptToken, ValueError):
            return value
        return SHREDDED if text == SHREDDED else orjson.loads(text)

    def open_all(self, document: Any) -> Any:
        """Open every token inside a JSON document (dicts and lists, any depth)."""
        if self._sealer is None:
            return document
        self.warm(_tokens_in(document))
        return _open_deep(self, document)

    def reserve_keys(self, subjects: Iterable[str]) -> None:
        """Get the data keys of many subjects ready before sealing under them (imports):
        a few queries instead of one per new subject."""
        if self._keys is not None:
            self._keys.reserve_many(subjects)

    def warm(self, tokens: Iterable[str]) -> None:
        """Load the keys of many tokens in a few queries before opening them one by one."""
        if self._keys is not None:
            self._keys.load_many(
                t[len(PREFIX) :].partition(".")[0]
                for t in tokens
                if isinstance(t, str) and is_token(t)
            )

    def seal_members(
        self, subject: str, members: Mapping[str, Any] | None, in_person: bool = True
    ) -> dict[str, Any] | None:
        """Seal the personal members of one object (traits, properties, context.traits).

        Top-level keys the PII schema names are sealed (nested objects under a personal
        key are sealed whole); derived members (`email_domain`, `birth_year`) are added in
        plain text beside them, unless the object already has them.
        """
        if members is None or self._sealer is None:
            return None if members is None else dict(members)
        out: dict[str, Any] = {}
        derived: dict[str, Any] = {}
        for key, value in members.items():
            if value is None or not self.schema.is_pii(key, in_person):
                out[key] = value
                continue
            if normalize_field(key) in DERIVED_FIELDS:
                out[key] = value
                continue
            out[key] = self.seal(subject, value, key)
            derived.update(derived_members(key, value))
        for key, value in derived.items():
            out.setdefault(key, value)
        return out

    def record_key(self, text: str) -> str:
        """A keyed hash for ids made from personal values (row ids, content hashes), so
        a dictionary of guessed emails cannot be tested against them; MD5-free."""
        if self._sealer is None:
            return text
        return keyed_hash(self._salt, text)[:32]

    # --- keys ---------------------------------------------------------------------------

    def persist_keys(self) -> int:
        """Store keys made since the last call; the writer calls it before each commit."""
        return 0 if self._keys is None else self._keys.persist_pending()

    def destroy(self, subjects: Iterable[str]) -> int:
        """Crypto-shred: destroy these subjects' keys, so every copy of what they sealed,
        here or in any old backup, reads `[erased]`."""
        return 0 if self._keys is None else self._keys.destroy(subjects)

    def vault_row(self, identifier: str) -> tuple[str, str] | None:
        """(stored identifier, sealed plaintext) for the `identifier_values` vault."""
        if self._pseudonyms is None:
            return None
        stored = self.identifier(identifier)
        _, _, value = identifier.partition(":")
        return stored, self.seal(subject_of_identifier(stored), value)

    def close(self) -> None:
        if self._keys is not None:
            self._keys.close()


def derived_members(key: str, value: Any) -> dict[str, Any]:
    """Plain, non-identifying members derived from a personal value: what segments use."""
    field = normalize_field(key)
    if not isinstance(value, str):
        return {}
    if field in _EMAIL_FIELDS and "@" in value:
        return {"email_domain": value.rpartition("@")[2].strip().lower()}
    if field in _BIRTH_FIELDS and len(value) >= 4 and value[:4].isdigit():
        return {"birth_year": int(value[:4])}
    return {}


def subject_of_identifier(stored: str) -> str:
    """The key subject a stored identifier names (its pseudonym, without type or mark)."""
    return stored.rpartition(":")[2].lstrip(BLOCKED_MARK)


def token_tag(token: str) -> str:
    """The equality tag inside a token ('' when it has none)."""
    return tag_of(token)


def _tokens_in(document: Any) -> Iterable[str]:
    if isinstance(document, str):
        if document.startswith(PREFIX):
            yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _tokens_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from _tokens_in(value)


def _open_deep(personal: PersonalData, document: Any) -> Any:
    if isinstance(document, str):
        return personal.open(document)
    if isinstance(document, dict):
        return {k: _open_deep(personal, v) for k, v in document.items()}
    if isinstance(document, list):
        return [_open_deep(personal, v) for v in document]
    return document


# --- which object a connection's database uses ------------------------------------------

PLAIN = PersonalData()
_OPEN: dict[str, PersonalData] = {}
_OPEN_LOCK = threading.Lock()


def register(database: Path, personal: PersonalData) -> None:
    with _OPEN_LOCK:
        _OPEN[str(database.resolve())] = personal


def unregister(database: Path) -> None:
    with _OPEN_LOCK:
        _OPEN.pop(str(database.resolve()), None)


def personal_data(con: duckdb.DuckDBPyConnection) -> PersonalData:
    """The object registered for the database `con` is attached to (PLAIN if none)."""
    if not _OPEN:
        return PLAIN
    # fetchall, not fetchone: a half-read result blocks `register` on the same connection.
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    row = rows[0] if rows else None
    if row is None or row[0] is None:
        return PLAIN
    return _OPEN.get(str(Path(row[0]).resolve()), PLAIN)
