"""Plaintext at the edge: a sync plan's sealed values opened in Python just before delivery.

With field encryption on, profile traits hold tokens and identity links hold pseudonyms. The
plan (`audience._PLAN`) returns the tokens (traits, and the vault's sealed plaintext for the
email/phone fallback); this module opens them a chunk of rows at a time with the chunk's
keys loaded in one go, so webhooks, files, tables and lists receive exactly what a workspace
without encryption sends. Nothing opened is written back to DuckDB. Off, every value passes
through unchanged.

Fingerprints (what was sent, telling 'updated' from 'unchanged') come from tags and
pseudonyms, which stay the same when a person restates the same value, never from tokens,
which change with every statement. The plan's SQL fingerprints most rows itself; it marks
two kinds for this module to fingerprint after opening ("reopen"): a profile whose email or
phone fallback has several candidates (the one sent is the least *plaintext*, as without
encryption, which SQL cannot order) and values sealed without a tag (floats, long text).

Known differences from a plain workspace: tags ignore letter case and surrounding spaces, so
a sealed value changed only in those is not an update for an incremental sync (a full sync
sends it); a value whose key was shredded is sent as missing, and so is a client's own text
that is shaped exactly like a token but names no key (malformed ones are sent as they are).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from opencdp.crypto.personal import PersonalData
from opencdp.crypto.tokens import SHREDDED

# A token inside the JSON text of the plan's values; group 1 is its tag (maybe empty). The
# plan's SQL rewrites tagged tokens the same way (`TAGGED`, `BY_TAG`) so both agree.
_TOKEN = re.compile(r'"enc1:[A-Za-z0-9_-]*\.([A-Za-z0-9_-]*)\.[A-Za-z0-9_=-]*"')
TAGGED = r'"enc1:[A-Za-z0-9_-]*\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_=-]*"'
BY_TAG = r'"#\1"'
UNTAGGED = r'"enc1:[A-Za-z0-9_-]*\.\.'
_CHUNK = 5_000  # rows whose keys are loaded together (well under the key cache)


@dataclass(frozen=True)
class PlanRow:
    """One row of the plan, as its SQL returns it."""

    profile_id: str
    change: str
    vals: str | None
    email_value: str | None
    phone_value: str | None
    fingerprint: int
    reopen: bool
    emails: list[dict[str, Any]] | None
    phones: list[dict[str, Any]] | None
    stable_vals: str | None
    held: int | None


Opened = tuple[str, str, dict[str, Any], int]  # profile id, change, values, fingerprint


def open_rows(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, rows: Sequence[tuple[Any, ...]],
    traits: list[str], full: bool,
) -> Iterator[Opened]:  # fmt: skip
    """The plan's rows with their traits in plaintext, an empty email or phone filled from
    the profile's identifiers; re-fingerprinted rows found unchanged are left out of an
    incremental plan."""
    for start in range(0, len(rows), _CHUNK):
        chunk = [PlanRow(*row) for row in rows[start : start + _CHUNK]]
        named = [dict(zip(traits, orjson.loads(row.vals) if row.vals else [None] * len(traits),
                          strict=True)) for row in chunk]  # fmt: skip
        personal.warm(_tokens(chunk, named))
        reopened = [row for row in chunk if row.reopen]
        redone = dict(zip((r.profile_id for r in reopened),
                          _reopen(con, personal, reopened), strict=True))  # fmt: skip
        for row, values in zip(chunk, named, strict=True):
            change, email, phone, fingerprint = (
                row.change, row.email_value, row.phone_value, row.fingerprint
            )  # fmt: skip
            if row.profile_id in redone:
                email, phone, fingerprint = redone[row.profile_id]
                change = _change(row, fingerprint)
                if change == "unchanged" and not full:
                    continue
            opened = {name: _plain(personal, value) for name, value in values.items()}
            for name, fallback in (("email", email), ("phone", phone)):
                if name in opened and opened[name] is None:
                    opened[name] = _plain(personal, fallback)
            yield row.profile_id, change, opened, fingerprint


def _tokens(rows: Sequence[PlanRow], named: Sequence[dict[str, Any]]) -> Iterator[str]:
    """The tokens a chunk will open: its values, the fallbacks it needs, the candidates of
    rows to re-fingerprint."""
    for row, values in zip(rows, named, strict=True):
        if row.vals:
            for match in _TOKEN.finditer(row.vals):
                yield match.group(0)[1:-1]
        for name, fallback in (("email", row.email_value), ("phone", row.phone_value)):
            if fallback and name in values and values[name] is None:
                yield fallback
        if row.reopen:
            for candidates in (row.emails or [], row.phones or []):
                yield from (c["value"] for c in candidates if c["value"])


def _plain(personal: PersonalData, value: Any) -> Any:
    """The plaintext of a value (any depth); a shredded one is no value."""
    opened = _opened(personal, value)
    return None if opened == SHREDDED else opened


def _opened(personal: PersonalData, value: Any) -> Any:
    """Every token inside `value` opened; a client's own text that merely looks like a
    token (in a trait that is not sealed) is sent as it is, as without encryption."""
    if isinstance(value, str):
        try:
            return personal.open(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _opened(personal, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_opened(personal, v) for v in value]
    return value


def _reopen(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, rows: Sequence[PlanRow]
) -> list[tuple[Any, Any, int]]:
    """(email, phone, fingerprint) of rows the SQL could not fingerprint, computed with the
    same formula from the least plaintext candidates and the tags (plaintext if untagged)."""
    if not rows:
        return []
    chosen, texts = [], []
    for row in rows:
        email_id, email = _least(personal, row.emails, row.email_value)
        phone_id, phone = _least(personal, row.phones, row.phone_value)
        stable = _TOKEN.sub(lambda m: _stable(personal, m), row.vals) if row.vals else ""
        chosen.append((email, phone))
        texts.append("\0".join((stable, email_id or "", phone_id or "")))
    found = con.execute(
        "SELECT list_transform($texts, lambda t: md5_number_upper(t))", {"texts": texts}
    ).fetchall()
    return [(e, p, int(f)) for (e, p), f in zip(chosen, found[0][0], strict=True)]


def _least(
    personal: PersonalData, candidates: list[dict[str, Any]] | None, value: str | None
) -> tuple[str | None, Any]:
    """The candidate (pseudonym, token) whose plaintext sorts first: what an unencrypted
    workspace's `min(identifier_value)` picks."""
    opened = [
        (text, c["id"], c["value"]) for c in candidates or []
        if isinstance(text := _opened(personal, c["value"]), str) and text != SHREDDED
    ]  # fmt: skip
    if not opened:
        return None, value if not candidates else None
    _, identifier, token = min(opened)
    return identifier, token


def _stable(personal: PersonalData, match: re.Match[str]) -> str:
    tag = match.group(1)
    if tag:
        return f'"#{tag}"'
    plain = orjson.dumps(_opened(personal, match.group(0)[1:-1])).decode()
    return orjson.dumps("=" + plain).decode()


def _change(row: PlanRow, fingerprint: int) -> str:
    if row.change == "exited":
        return "exited"
    if row.held is None:
        return "entered"
    return "unchanged" if row.held == fingerprint else "updated"
