"""Reading imported rows back as plaintext in either field-encryption mode.

With encryption on, stored identifiers are pseudonyms (their plaintext is in the
`identifier_values` vault) and personal values are sealed tokens; tests that check what an
import stored compare the plaintext, so they pass in both modes.
"""

from __future__ import annotations

from typing import Any

import orjson

from opencdp.crypto.personal import PersonalData
from opencdp.security.pii import normalize_field
from opencdp.workspace import Workspace

# Plain members derived at ingest when encryption is on (`crypto.personal.derived_members`).
DERIVED = ("email_domain", "birth_year")


def vault(ws: Workspace) -> dict[str, str]:
    """Stored identifier → its plaintext value (empty when encryption is off)."""
    rows = ws.read(lambda con: con.execute(
        "SELECT identifier, any_value(token) FROM identifier_values GROUP BY identifier"
    ).fetchall())  # fmt: skip
    return {identifier: ws.personal.open(token) for identifier, token in rows}


def plain_identifier(ws: Workspace, stored: str, known: dict[str, str] | None = None) -> str:
    """`type:value` of a stored identifier (`type:<pseudonym>` when on)."""
    if not ws.personal.enabled:
        return stored
    found = (known if known is not None else vault(ws)).get(stored)
    kind = stored.partition(":")[0]
    return stored if found is None else f"{kind}:{found}"


def plain_identifiers(ws: Workspace, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record's identifiers object with the values as read (pseudonyms looked up)."""
    if stored is None or not ws.personal.enabled:
        return stored
    known = vault(ws)
    return {k: plain_identifier(ws, f"{k}:{v}", known).partition(":")[2]
            for k, v in stored.items()}  # fmt: skip


def plain(personal: PersonalData, document: Any, drop_derived: bool = True) -> Any:
    """A stored JSON document with its tokens opened (and the derived members dropped)."""
    if isinstance(document, str):
        document = orjson.loads(document)
    opened = personal.open_all(document)
    if drop_derived and personal.enabled and isinstance(opened, dict):
        derived = {normalize_field(d) for d in DERIVED}
        kept = {k: v for k, v in opened.items() if normalize_field(k) not in derived}
        return kept or None  # an object of derived members only was not there when off
    return opened


def plain_fixes(ws: Workspace, stored: str | None) -> dict[str, Any] | None:
    """A record's fixes as plaintext: a fixed identifier's cleaned value is stored as its
    pseudonym (found through the vault), other values as tokens."""
    if stored is None:
        return None
    fixes = plain(ws.personal, stored, drop_derived=False)
    if ws.personal.enabled:
        by_pseudonym = {k.partition(":")[2]: v for k, v in vault(ws).items()}
        for fix in fixes.values():
            if fix.get("cleaned") in by_pseudonym:
                fix["cleaned"] = by_pseudonym[fix["cleaned"]]
    return dict(fixes)


def records(ws: Workspace) -> dict[str, tuple[Any, Any, Any]]:
    """record id → (identifiers, traits, fixes), all as plaintext."""
    rows = ws.read(lambda con: con.execute(
        "SELECT record_id, identifiers, traits, fixes FROM source_records ORDER BY record_id"
    ).fetchall())  # fmt: skip
    return {
        r[0]: (
            plain_identifiers(ws, orjson.loads(r[1]) if r[1] else None),
            plain(ws.personal, r[2]) if r[2] else None,
            plain_fixes(ws, r[3]),
        )
        for r in rows
    }
