"""Suppressed identifiers: erased people's identifiers, kept only as keyed hashes.

With field encryption on (`crypto.personal`), identifiers are stored as keyed pseudonyms
(`email:<pseudonym>`) already, so the set holds those stored forms (`entry`) and screening
collected or imported rows is a set lookup of what they carry, with no hashing at all; an
identifier as typed (an invalid message, a CSV row, a consent statement) is pseudonymised
the way ingest does before it is looked up. `source_record:<source>:<record id>` is not
pseudonymised at ingest (a record id may be a customer number), so it is kept hashed as
below in both modes. Off, the text below holds as it was:

After an erasure the person's identifiers are stored as HMAC-SHA256 of `type:normalised
value` under a key derived from the master key (`suppressions`), so the database holds
nothing readable, yet the collector and importers can tell that a message or row belongs to
someone erased and drop it. The hashes live in memory as a set of raw digests; checking one
identifier is one HMAC (about a microsecond, from a prepared key state) and a set lookup,
and identifiers already found clean are remembered until the set changes, so repeat visitors
cost a dictionary lookup. With nothing suppressed there is no cost at all.

`version` grows whenever the set changes: work screened against an older version (a request
validated before an erasure committed but written after it) is screened again by the writer.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

from opencdp.collect.identifiers import message_identifiers
from opencdp.config import Settings
from opencdp.crypto import derive_key, load_master_key
from opencdp.crypto.personal import BLOCKED_MARK, PLAIN, PersonalData, personal_data
from opencdp.hygiene import normalize_value
from opencdp.hygiene.options import HygieneOptions

PURPOSE = "suppression"
_RECORD = "source_record"  # `source_record:<source>:<record id>`, not pseudonymised
_CLEAN_CACHE = 200_000  # identifiers remembered as not suppressed, at most


class IdentifierSuppressed(ValueError):
    """A write about an erased person's identifier, refused (not stored)."""


class Screened(Protocol):
    """What the collector hands the writer (`collect.collector.Ingest`), as screening sees it."""

    records: list[Any]
    source_id: str
    screened: int
    suppressed: int
    events: Any


class Suppression:
    """The suppressed identifier hashes of one workspace, in memory."""

    def __init__(self, key_source: Callable[[], bytes]) -> None:
        self._key_source = key_source
        self._key: bytes | None = None
        self._inner: Any = None
        self._outer: Any = None
        self._digests: frozenset[bytes] | frozenset[str] = frozenset()
        self._personal: PersonalData = PLAIN  # the data directory's (set by `load`)
        self._size = 0
        self._clean: set[str] = set()
        self._lock = threading.Lock()
        self.version = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> Suppression:
        """Keyed from the installation's master key (read when first needed)."""
        return cls(lambda: derive_key(load_master_key(settings), PURPOSE))

    # keys and hashes -------------------------------------------------------------------
    @property
    def key(self) -> bytes:
        if self._key is None:
            key = self._key_source()
            block = key.ljust(64, b"\0")  # HMAC with a 32-byte key: pad to the block size
            self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
            self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
            self._key = key
        return self._key

    def hash(self, text: str) -> str:
        """The stored form of one `type:value`: hex HMAC-SHA256, equal to
        `crypto.keyed_hash(key, text)` (computed from prepared states, twice as fast)."""
        return self._digest(text).hex()

    @property
    def pseudonymous(self) -> bool:
        """Whether the set holds stored pseudonyms (field encryption on) rather than hashes."""
        return self._personal.enabled

    def entry(self, stored: str) -> str:
        """What the set, the `suppressions` table and the erasure journal hold for one
        stored identifier: the stored pseudonym itself when field encryption is on (it is a
        keyed hash already; a placeholder's mark dropped), else its keyed hash."""
        kind, sep, value = stored.partition(":")
        if self._personal.enabled and sep and kind != _RECORD:  # record ids stay as they
            return f"{kind}:{value.removeprefix(BLOCKED_MARK)}"  # are stored: hashed here
        return self.hash(stored)

    def _members(self, entries: Iterable[str]) -> frozenset[bytes] | frozenset[str]:
        if not self._personal.enabled:
            return frozenset(bytes.fromhex(h) for h in entries)
        found: set[str] = set()
        for text in entries:
            found.add(text)
            kind, sep, value = text.partition(":")
            if sep and kind != _RECORD:  # the same value refused as a placeholder
                found.add(f"{kind}:{BLOCKED_MARK}{value}")
        return frozenset(found)

    def _digest(self, text: str) -> bytes:
        self.key  # noqa: B018 (prepares the HMAC states)
        inner = self._inner.copy()
        inner.update(text.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return bytes(outer.digest())

    # the set ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return bool(self._digests)

    @property
    def size(self) -> int:
        """How many identifiers are suppressed (a placeholder variant not counted twice)."""
        return self._size

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """Replace the set with the table's (workspace start, after a failed write); also
        learns the data directory's mode from the connection."""
        self._personal = personal_data(con)
        rows = con.execute("SELECT DISTINCT hash FROM suppressions").fetchall()
        self._replace(self._members(row[0] for row in rows))

    def add(self, hashes: Iterable[str]) -> None:
        """Suppress more entries (called inside the erasure's write, so every later write of
        the writer screens against them)."""
        new = self._members(hashes)
        if not new <= self._digests:
            self._replace(self._digests | new)  # type: ignore[operator]

    def _replace(self, digests: frozenset[bytes] | frozenset[str]) -> None:
        # Order matters to readers (see `suppressed`): the set, then the cache, then the version.
        with self._lock:
            self._digests = digests
            self._size = sum(1 for d in digests
                             if not (isinstance(d, str) and f":{BLOCKED_MARK}" in d))  # fmt: skip
            self._clean = set()
            self.version += 1

    def suppressed(self, identifier: str) -> bool:
        """Whether one `type:value` is suppressed: as stored, or (encryption on) as typed,
        pseudonymised as ingest does (hygiene-cleaned variants are the caller's, see
        `with_cleaned`)."""
        # The cache is read before the set: a cache replaced meanwhile comes with the new set,
        # so an identifier is never remembered as clean against a set older than its cache.
        clean = self._clean
        digests = self._digests
        if not digests or identifier in clean:
            return False
        if self._personal.enabled:
            if identifier.startswith(_RECORD + ":"):
                if self._digest(identifier).hex() in digests:
                    return True
            elif identifier in digests or self._personal.identifier(identifier) in digests:
                return True
        elif self._digest(identifier) in digests:
            return True
        if len(clean) >= _CLEAN_CACHE:
            clean.clear()
        clean.add(identifier)
        return False

    def blocks(self, identifiers: Iterable[str] | None) -> bool:
        """Whether any of `identifiers` (`type:value`) is suppressed."""
        if identifiers is None or not self._digests:
            return False
        return any(self.suppressed(i) for i in identifiers)

    # collected messages ----------------------------------------------------------------
    def screen(self, ingest: Screened) -> int:
        """Drop the records carrying a suppressed identifier; returns how many were dropped.

        Records the version screened against; `events` (the columns built from the records)
        is reset when anything was dropped, so it is rebuilt from what is left. This runs for
        every collected message, so it is one loop with the HMAC states at hand."""
        ingest.screened = self.version
        clean = self._clean  # read before the set: see `suppressed`
        digests = self._digests
        if not digests:
            return 0
        self.key  # noqa: B018 (prepares the HMAC states)
        inner, outer = self._inner, self._outer
        if len(clean) >= _CLEAN_CACHE:
            clean.clear()
        if self._personal.enabled:  # records carry stored pseudonyms: a set lookup each
            kept = [r for r in ingest.records
                    if not any(text in digests for text in r.identifiers or ())]  # fmt: skip
            return self._dropped(ingest, kept)
        kept = []
        for record in ingest.records:
            blocked = False
            for text in record.identifiers or ():
                if text in clean:
                    continue
                state = inner.copy()
                state.update(text.encode())
                final = outer.copy()
                final.update(state.digest())
                if final.digest() in digests:
                    blocked = True
                    break
                clean.add(text)
            if not blocked:
                kept.append(record)
        return self._dropped(ingest, kept)

    @staticmethod
    def _dropped(ingest: Screened, kept: list[Any]) -> int:
        dropped = len(ingest.records) - len(kept)
        if dropped:
            ingest.source_id = ingest.source_id or ingest.records[0].source_id
            ingest.records = kept
            ingest.events = None
            ingest.suppressed += dropped
        return dropped


def store_hashes(con: duckdb.DuckDBPyConnection, hashes: Iterable[str], request_id: str) -> int:
    """Insert the hashes not yet suppressed; returns how many were new."""
    wanted = sorted(set(hashes))
    if not wanted:
        return 0
    row = con.execute(
        "INSERT INTO suppressions (hash, request_id) SELECT h, $r FROM unnest($h::VARCHAR[]) t(h)"
        " WHERE h NOT IN (SELECT hash FROM suppressions)",
        {"h": wanted, "r": request_id},
    ).fetchone()
    return int(row[0]) if row else 0


def record_drops(con: duckdb.DuckDBPyConnection, drops: dict[tuple[str, str], int]) -> None:
    """Add dropped-message counts per (source, stage) to today's row."""
    today = datetime.now(UTC).date()
    for (source_id, stage), count in drops.items():
        if count:
            con.execute(
                "INSERT INTO suppression_drops VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
                " SET dropped = suppression_drops.dropped + excluded.dropped",
                [source_id, stage, today, count],
            )


def drop_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT source_id, stage, day, dropped FROM suppression_drops ORDER BY day DESC,"
        " source_id, stage"
    ).fetchall()
    return [{"source_id": s, "stage": st, "day": d.isoformat(), "dropped": n}
            for s, st, d, n in rows]  # fmt: skip


def raw_identifiers(message: object, region: str | None = None) -> list[str]:
    """The identifiers of a message that failed validation, best effort: everything the
    collector would have listed (user, anonymous and previous ids, e-mail and phone of the
    traits and `context.traits`, device id, external ids), as given and trimmed, with
    e-mail addresses and phone numbers also as hygiene would have stored them (lower-cased;
    E.164, with `region` for numbers without a country code)."""
    if not isinstance(message, dict):
        return []
    context = message.get("context")
    traits = message.get("traits")
    get = message.get
    found = message_identifiers(
        "identify", _raw_text(get("userId")), _raw_text(get("anonymousId")),
        _raw_text(get("previousId")), traits if isinstance(traits, dict) else None,
        context if isinstance(context, dict) else {},
    ) or []  # fmt: skip
    for key in ("userId", "anonymousId"):  # the collector keeps ids untrimmed
        value = message.get(key)
        if isinstance(value, str) and value.strip() and value != value.strip():
            found.append(("user_id:" if key == "userId" else "anonymous_id:") + value)
    return with_cleaned(found, region)


def with_cleaned(identifiers: list[str], region: str | None = None) -> list[str]:
    """`identifiers` plus their e-mail addresses and phone numbers as hygiene stores them."""
    found = list(identifiers)
    options = HygieneOptions(default_region=region)
    for text in identifiers:
        kind, _, value = text.partition(":")
        if kind in ("email", "phone"):
            cleaned = normalize_value(kind, value, options=options).value
            if cleaned is not None:
                found.append(f"{kind}:{cleaned}")
            if kind == "email":
                found.append("email:" + value.strip().lower())
    return list(dict.fromkeys(found))


def _raw_text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
