"""Back from stored forms to what a person typed: for the access export and the ledger's reads.

With field encryption on, identifiers are stored as keyed pseudonyms and personal values as
sealed tokens (`crypto.personal`). The plaintext of an identifier is kept once, sealed, in
the `identifier_values` vault; `identifier_plaintexts` opens it for the stored forms asked
for, and `reveal` opens every token of a JSON-ready document and puts each identifier back
in the form plain mode stores (`type:value`, or the bare value of an id column), so an
export reads the same in both modes. Off, both return their input unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import duckdb

from opencdp.crypto.personal import BLOCKED_MARK, PersonalData
from opencdp.crypto.tokens import SHREDDED

# `type:<22-char pseudonym>` (optionally a placeholder's mark) or a bare pseudonym.
_STORED = re.compile(r"^(?:([a-z_]+):)?(~?)([A-Za-z0-9_-]{22})$")


def identifier_plaintexts(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, stored: Iterable[str]
) -> dict[str, str]:
    """Stored identifier (`type:<pseudonym>`, without mark) → `type:value` from the vault,
    for those the vault holds and can open (none when off)."""
    wanted = sorted(set(stored))
    if not personal.enabled or not wanted:
        return {}
    rows = con.execute(
        "SELECT identifier, any_value(token) FROM identifier_values"
        " WHERE identifier IN (SELECT unnest($w::VARCHAR[])) GROUP BY identifier",
        {"w": wanted},
    ).fetchall()  # fmt: skip
    personal.warm(row[1] for row in rows)
    found = {}
    for identifier, token in rows:
        value = personal.open(token)
        if isinstance(value, str) and value != SHREDDED:
            found[str(identifier)] = f"{str(identifier).partition(':')[0]}:{value}"
    return found


def plain_identifiers(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, identifiers: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """`(type, value)` pairs as typed, for stored pairs (unchanged off, or when the vault
    has no plaintext for one)."""
    pairs = list(identifiers)
    found = identifier_plaintexts(
        con, personal, [f"{t}:{v.removeprefix(BLOCKED_MARK)}" for t, v in pairs])  # fmt: skip
    out = []
    for kind, value in pairs:
        plain = found.get(f"{kind}:{value.removeprefix(BLOCKED_MARK)}")
        out.append((kind, plain.partition(":")[2]) if plain else (kind, value))
    return out


def reveal(con: duckdb.DuckDBPyConnection, personal: PersonalData, document: Any) -> Any:
    """`document` with every token opened and every stored identifier in plain form."""
    if not personal.enabled:
        return document
    opened = personal.open_all(document)
    strings: set[str] = set()
    _collect(opened, strings)
    full: set[str] = set()
    bare: set[str] = set()
    for text in strings:
        match = _STORED.match(text)
        if match:
            (full if match.group(1) else bare).add(text)
    by_full = identifier_plaintexts(
        con, personal, [t.replace(f":{BLOCKED_MARK}", ":", 1) for t in full])  # fmt: skip
    by_pseudonym = _bare_plaintexts(con, personal, bare)
    mapping: dict[str, str] = {}
    for text in full:
        plain = by_full.get(text.replace(f":{BLOCKED_MARK}", ":", 1))
        if plain is not None:
            mapping[text] = plain
    for text in bare:
        if text in by_pseudonym:
            mapping[text] = by_pseudonym[text]
    return _replace(opened, mapping) if mapping else opened


def _bare_plaintexts(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, pseudonyms: set[str]
) -> dict[str, str]:
    """Bare pseudonym (an id column) → its plain value, through the vault."""
    if not pseudonyms:
        return {}
    rows = con.execute(
        "SELECT DISTINCT identifier FROM identifier_values"
        " WHERE split_part(identifier, ':', 2) IN (SELECT unnest($p::VARCHAR[]))",
        {"p": sorted(pseudonyms)},
    ).fetchall()  # fmt: skip
    found = identifier_plaintexts(con, personal, [row[0] for row in rows])
    return {stored.partition(":")[2]: plain.partition(":")[2] for stored, plain in found.items()}


def _collect(document: Any, into: set[str]) -> None:
    if isinstance(document, str):
        into.add(document)
    elif isinstance(document, dict):
        for key, value in document.items():
            into.add(key)
            _collect(value, into)
    elif isinstance(document, list):
        for value in document:
            _collect(value, into)


def _replace(document: Any, mapping: dict[str, str]) -> Any:
    if isinstance(document, str):
        return mapping.get(document, document)
    if isinstance(document, dict):
        return {mapping.get(k, k): _replace(v, mapping) for k, v in document.items()}
    if isinstance(document, list):
        return [_replace(v, mapping) for v in document]
    return document
