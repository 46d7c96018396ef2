"""Management operations for consent, returning plain JSON-ready data (part of `Admin`).

A statement made through the API or CLI is appended to the ledger and the consent of the
identifier's profile re-derived in the same write, then the real-time segments re-evaluate
that profile: an opt-out takes effect for the next sync and the next segment count at once.
Reads show the effective consent per purpose with the statement that decided it, and the
whole history of every identifier of the profile.

With field encryption on, a statement's identifier is stored as the pseudonym ingest would
store (so the ledger joins identity links unchanged), its plaintext goes to the identifier
vault, and its note (free text) is sealed under that identifier's key; reads give back the
plaintext (`privacy.plaintext.reveal`), so answers read the same in both modes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from opencdp.crypto.personal import PersonalData
from opencdp.hygiene import normalize_value
from opencdp.privacy import ledger
from opencdp.privacy import purposes as purpose_registry
from opencdp.privacy.consent import ConsentNotFound, canonical_purpose, check_legal_basis
from opencdp.privacy.consent_rule import Statement, decide
from opencdp.privacy.plaintext import reveal
from opencdp.privacy.suppression import IdentifierSuppressed
from opencdp.profiles.export import export_people
from opencdp.profiles.lookup import find_profile_id, split_identifier
from opencdp.segments.realtime import evaluate_touched
from opencdp.segments.service import get_segment
from opencdp.workspace import Workspace

CLOCK_SKEW = timedelta(minutes=5)  # a statement may not be dated later than now plus this
_REFUSED = {"recorded": False, "reason": "the identifier belongs to a person who was erased"}
_CLEANED = ("email", "phone")  # identifier types stored cleaned by hygiene


def _now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | datetime | None, field: str) -> datetime | None:
    """An ISO 8601 time (a date means its midnight, naive times are UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{field} must be an ISO 8601 time, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def subject_of(identifier: str) -> tuple[str, str]:
    """`type:value` → (type, value) as identity stores it; a statement belongs to one
    identifier, so a bare value or a profile id is refused."""
    kind, value = split_identifier(identifier.strip())
    value = value.strip()
    if kind is None or not value:
        raise ValueError(f"name the identifier that states consent as type:value (such as"
                         f" email:ann@example.com or user_id:42), got {identifier!r}")  # fmt: skip
    if kind in _CLEANED:
        cleaned = normalize_value(kind, value)
        if cleaned.value is None:
            raise ValueError(f"{identifier!r} is not a usable {kind}")
        value = str(cleaned.value)
    return kind, value


class ConsentAdmin:
    ws: Workspace

    def state_consent(
        self,
        identifier: str,
        purpose: str,
        granted: bool,
        legal_basis: str = "consent",
        stated_at: str | None = None,
        policy_version: str | None = None,
        expires_at: str | None = None,
        jurisdiction: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record one grant or denial and answer with the profile's consent for the purpose."""
        return self.record_consents([{
            "identifier": identifier, "purpose": purpose, "granted": granted,
            "legal_basis": legal_basis, "stated_at": stated_at,
            "policy_version": policy_version, "expires_at": expires_at,
            "jurisdiction": jurisdiction, "note": note,
        }])[0]  # fmt: skip

    def record_consents(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record statements (all or none) and re-derive the consent of their profiles.

        A statement about an erased person's identifier (a CMP pushing old states) is not
        recorded: its answer says so (`"recorded": false`); when no statement is left, the
        call fails with `IdentifierSuppressed`."""
        if not statements:
            raise ValueError("no statements given")
        now = _now()
        drafts = [_draft(s, now) for s in statements]
        suppression = self.ws.suppression
        personal = self.ws.personal
        stored = [_stored(personal, d) for d in drafts]  # sealed before the writer commits

        def write(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], list[str]]:
            # Screened in the write: an erasure committing just before is seen.
            erased = [suppression.suppressed(f"{d['subject_type']}:{d['subject_value']}")
                      for d in drafts]  # fmt: skip
            if all(erased):
                raise IdentifierSuppressed(
                    "the identifier belongs to a person who was erased: consent statements"
                    " about it are not recorded")  # fmt: skip
            names = purpose_registry.registered(con)
            rows = [ledger.NewStatement(**{**d, "purpose": canonical_purpose(d["purpose"], names)})
                    for d, gone in zip(stored, erased, strict=True) if not gone]  # fmt: skip
            vault = [v for d, gone in zip(drafts, erased, strict=True) if not gone
                     and (v := personal.vault_row(f"{d['subject_type']}:{d['subject_value']}"))]
            if vault:
                con.executemany("INSERT INTO identifier_values (identifier, token) VALUES (?, ?)",
                                [list(v) for v in vault])  # fmt: skip
            ids = ledger.record_statements(con, rows)
            touched = ledger.profiles_stated_since(con, min(ids) - 1)
            ledger.derive_profiles(con, touched, now=now)
            recorded = iter(ids)
            answers = [dict(_REFUSED) if gone else _answer(con, next(recorded), now)
                       for gone in erased]  # fmt: skip
            return reveal(con, personal, answers), touched

        def record() -> list[dict[str, Any]]:
            answers, touched = self.ws.write(write)
            if touched:  # segments using consent(...) follow at once
                self.ws.write(lambda con: evaluate_touched(con, touched, [], now=now))
            return answers

        return self.ws.profiles.exclusive(record)

    def get_consents(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """The effective consent per purpose and the history of every identifier of the
        profile (or of the identifier alone, when identity has not linked it yet)."""
        now = _now()

        def read(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            chosen = purpose_registry.resolve(con, purpose) if purpose else None
            profile_id = find_profile_id(con, identifier)
            if profile_id is not None:
                links = con.execute(
                    "SELECT identifier_type, identifier_value FROM identity_links"
                    " WHERE profile_id = ? ORDER BY 1, 2", [profile_id]).fetchall()  # fmt: skip
                history = ledger.statements_of(con, links, purpose=chosen, limit=limit)
                consents = ledger.effective(con, profile_id, now=now)
            else:
                kind, value = subject_of(identifier)
                subject = _split(self.ws.personal.identifier(f"{kind}:{value}"))
                history = ledger.statements_of(con, [subject], purpose=chosen, limit=limit)
                consents = _unlinked(con, subject, now)
            if chosen is not None:
                consents = [c for c in consents if c["purpose"] == chosen]
            if profile_id is None and not history:
                raise ConsentNotFound(f"no profile and no consent statement for {identifier!r}")
            found = {"consents": consents, "history": history}
            return {"identifier": identifier, "profile_id": profile_id,
                    **reveal(con, self.ws.personal, found)}  # fmt: skip

        return self.ws.read(read)

    def consent_history(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        return list(self.get_consents(identifier, purpose, limit)["history"])

    def export_people(
        self, out: Path | BinaryIO, fmt: str, purpose: str, segment: str | None = None
    ) -> int:
        """The golden records of everyone consenting to `purpose` (of one segment, for
        activation by file); returns how many were written."""

        def export(con: duckdb.DuckDBPyConnection) -> int:
            chosen = purpose_registry.resolve(con, purpose)
            segment_id = get_segment(con, segment)["segment_id"] if segment else None
            return export_people(con, out, fmt, purpose=chosen, segment_id=segment_id)

        if not self.ws.stitching:
            self.ws.bring_current()  # a one-shot command exports what the log says now
        return self.ws.read(export)

    def list_purposes(self) -> list[dict[str, Any]]:
        return self.ws.read(purpose_registry.list_purposes)

    def add_purpose(
        self, name: str, description: str | None = None, aliases: list[str] | None = None
    ) -> dict[str, Any]:
        """Register a purpose of the workspace's own, or extra names for any purpose. Names
        count from now on: statements already read from the log are not read again."""
        found = self.ws.write(lambda con: purpose_registry.add_purpose(
            con, name, description=description, aliases=aliases))  # fmt: skip
        return found


def _draft(statement: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Validated fields of a `NewStatement` (the purpose is resolved in the write)."""
    identifier = statement.get("identifier")
    if not isinstance(identifier, str):
        raise ValueError("identifier must be a text such as email:ann@example.com")
    granted = statement.get("granted")
    if not isinstance(granted, bool):
        raise ValueError("granted must be true or false")
    purpose = statement.get("purpose")
    if not isinstance(purpose, str) or not purpose.strip():
        raise ValueError("purpose must be a text such as email_marketing")
    stated_at = parse_time(statement.get("stated_at"), "stated_at") or now
    if stated_at > now + CLOCK_SKEW:
        raise ValueError("stated_at is in the future; a statement is dated when it was made")
    expires_at = parse_time(statement.get("expires_at"), "expires_at")
    if expires_at is not None and not granted:
        raise ValueError("a denial does not expire; give expires_at with grants only")
    if expires_at is not None and expires_at <= stated_at:
        raise ValueError("expires_at must be after stated_at")
    kind, value = subject_of(identifier)
    texts = {k: _text(statement.get(k), k) for k in ("policy_version", "jurisdiction", "note")}
    return {"subject_type": kind, "subject_value": value, "purpose": purpose,
            "granted": granted, "stated_at": stated_at, "expires_at": expires_at,
            "legal_basis": check_legal_basis(statement.get("legal_basis") or "consent"),
            **texts}  # fmt: skip


def _stored(personal: PersonalData, draft: dict[str, Any]) -> dict[str, Any]:
    """A draft as the ledger stores it: the identifier as a pseudonym, the note sealed
    under its key (unchanged when field encryption is off)."""
    kind, value = _split(personal.identifier(f"{draft['subject_type']}:{draft['subject_value']}"))
    note = draft.get("note")
    sealed = personal.seal(personal.subject([f"{kind}:{value}"]), note) if note else note
    return {**draft, "subject_type": kind, "subject_value": value, "note": sealed}


def _split(identifier: str) -> tuple[str, str]:
    kind, _, value = identifier.partition(":")
    return kind, value


def _text(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise ValueError(f"{field} must be a text of at most 500 characters")
    return value.strip()


def _answer(con: duckdb.DuckDBPyConnection, statement_id: int, now: datetime) -> dict[str, Any]:
    """The recorded statement with the consent it left its profile with."""
    row = con.execute(f"SELECT {ledger.COLUMNS} FROM consent_ledger WHERE statement_id = ?",
                      [statement_id]).fetchone()  # fmt: skip
    assert row is not None
    statement = ledger.statement_json(row)
    kind, _, value = statement["subject"].partition(":")
    found = con.execute("SELECT profile_id FROM identity_links WHERE identifier_type = ?"
                        " AND identifier_value = ?", [kind, value]).fetchone()  # fmt: skip
    consent = None
    if found is not None:
        consent = next((c for c in ledger.effective(con, found[0], now=now)
                        if c["purpose"] == statement["purpose"]), None)  # fmt: skip
    return {"statement": statement, "profile_id": found[0] if found else None,
            "consent": consent}  # fmt: skip


def _unlinked(
    con: duckdb.DuckDBPyConnection, subject: tuple[str, str], now: datetime
) -> list[dict[str, Any]]:
    """The consent an identifier not yet on any profile would bring, by the same rule."""
    rows = ledger.statements_of(con, [subject], limit=100_000)
    found = []
    for purpose in sorted({r["purpose"] for r in rows}):
        mine = [Statement(r["statement_id"], r["subject"], r["granted"],
                          datetime.fromisoformat(r["stated_at"]),
                          datetime.fromisoformat(r["expires_at"]) if r["expires_at"] else None)
                for r in rows if r["purpose"] == purpose]  # fmt: skip
        decided = decide(mine, now)
        if decided is None:
            continue
        winner = next(r for r in rows if r["statement_id"] == decided.statement.statement_id)
        until = decided.holds_until if decided.granted else decided.statement.expires_at
        found.append({
            "purpose": purpose, "status": decided.status, "granted": decided.granted,
            "stated_at": winner["stated_at"], "source": winner["source"],
            "subject": winner["subject"], "legal_basis": winner["legal_basis"],
            "expires_at": until.isoformat() if until else None,
            "statement_id": winner["statement_id"],
        })  # fmt: skip
    return found
