"""A collected message's personal data as stored when field encryption is on.

`normalize` validates, cleans and measures a message in plain text, so size limits, hygiene
and the identifiers it lists behave the same in both modes. Then, in an encrypted data
directory, `MessageSealer.sealed` rewrites the record as stored:

- identifiers become pseudonyms (`email:<ih>`; a placeholder the identity rules refuse,
  decided here on the plaintext, `email:~<ih>`), and the id columns the pseudonym part;
- the row's subject (whose data key seals its values) is its strongest usable identifier,
  else the message key, so erasure finds every key from the person's identifiers;
- the personal members of `traits`, `context.traits`, `properties` and `extra` (by the PII
  schema), `context.ip`, the ids of `context.externalIds` (they may be e-mail addresses)
  and the originals kept in `fixes` become sealed tokens. `context.userAgent` and device ids
  stay readable: they describe a device, not a person, and analytics groups by them;
- identifiers whose plaintext the vault may not hold yet come with their vault rows, sealed
  here on the request thread so the single writer only inserts them.

A plain-text directory has no sealer (`message_sealer` returns None), so the hot path costs
nothing there.
"""

from __future__ import annotations

from typing import Any

import orjson

from opencdp.collect.messages import EventRecord
from opencdp.collect.vault import IdentifierVault, VaultRow
from opencdp.crypto.personal import PersonalData
from opencdp.crypto.tokens import PREFIX
from opencdp.identity.model import Identifier
from opencdp.identity.rules import IdentityRules

_MEMO = 200_000  # identifiers whose stored form is remembered


def message_sealer(
    personal: PersonalData, vault: IdentifierVault, rules: IdentityRules | None = None
) -> MessageSealer | None:
    """The sealer of an encrypted directory; None (store as given) for a plain one."""
    return MessageSealer(personal, vault, rules) if personal.enabled else None


class MessageSealer:
    """Turns a plain-text event record into its stored form (see the module docstring)."""

    def __init__(
        self, personal: PersonalData, vault: IdentifierVault, rules: IdentityRules | None = None
    ) -> None:
        self.personal = personal
        self.vault = vault
        self.rules = rules or IdentityRules()
        # plain `type:value` → (stored form, vault key: the stored form without the mark)
        self._forms: dict[str, tuple[str, str]] = {}
        # (member name, in a person's data) → personal by the PII schema; a few hundred
        # names in practice, and most objects (event properties) have no personal member.
        self._personal_names: dict[tuple[str, bool], bool] = {}

    def _members(
        self, subject: str, members: dict[str, Any] | None, in_person: bool = True
    ) -> dict[str, Any] | None:
        """`seal_members`, skipped for an object without personal members."""
        if not members:
            return members
        known = self._personal_names
        for key in members:
            personal = known.get((key, in_person))
            if personal is None:
                if len(known) >= _MEMO:
                    known.clear()
                personal = known[key, in_person] = self.personal.schema.is_pii(key, in_person)
            if personal:
                return self._sealed_members(subject, members, in_person)
        return members

    def _sealed_members(
        self, subject: str, members: dict[str, Any], in_person: bool
    ) -> dict[str, Any]:
        sealed = self.personal.seal_members(subject, members, in_person) or {}
        for key, value in members.items():  # a client's text that looks like a token
            if (
                isinstance(value, str) and value.startswith(PREFIX) and sealed[key] is value
                and self.personal.schema.is_pii(key, in_person)
            ):  # fmt: skip
                sealed[key] = self.personal.seal(subject, value, key, untrusted=True)
        return sealed

    def form(self, plain: str) -> tuple[str, str]:
        """(stored form, vault key) of one plain `type:value` identifier."""
        known = self._forms.get(plain)
        if known is not None:
            return known
        kind, _, value = plain.partition(":")
        blocked = self.rules.is_blocked(Identifier(kind, value))
        made = (self.personal.identifier(plain, blocked), self.personal.identifier(plain))
        if len(self._forms) >= _MEMO:
            self._forms.clear()
        self._forms[plain] = made
        return made

    def identifiers(
        self, plain: list[str] | None
    ) -> tuple[list[str] | None, tuple[VaultRow, ...] | None]:
        """Stored identifiers, and vault rows for those the vault may not hold yet."""
        if not plain:
            return plain, None
        stored: list[str] = []
        vault: list[VaultRow] = []
        for text in plain:
            form, key = self.form(text)
            stored.append(form)
            if not self.vault.knows(key):
                row = self.personal.vault_row(text)
                if row is not None:
                    vault.append(row)
        return stored, tuple(vault) or None

    def sealed(
        self,
        record: EventRecord,
        properties: dict[str, Any] | None,
        traits: dict[str, Any] | None,
        context: dict[str, Any] | None,
        extra: dict[str, Any] | None,
        fixes: dict[str, dict[str, Any]] | None,
    ) -> EventRecord:
        """`record` (built from these plain objects) with its personal data as stored."""
        personal = self.personal
        identifiers, vault = self.identifiers(record.identifiers)
        subject = personal.subject(identifiers or (), fallback=str(record.message_key))
        seal = self._members
        return record._replace(
            user_id=personal.id_value("user_id", record.user_id),
            anonymous_id=personal.id_value("anonymous_id", record.anonymous_id),
            previous_id=personal.id_value("anonymous_id", record.previous_id),
            properties=_json(seal(subject, properties)),
            traits=_json(seal(subject, traits, in_person=record.type != "group")),
            context=_json(self._context(subject, context)),
            extra=_json(seal(subject, extra)),
            fixes=_json(self._fixes(subject, fixes)),
            identifiers=identifiers,
            vault=vault,
        )

    def _context(self, subject: str, context: dict[str, Any] | None) -> dict[str, Any] | None:
        if not context:
            return None
        sealed = dict(context)
        personal = self.personal
        traits = context.get("traits")
        if isinstance(traits, dict):
            sealed["traits"] = self._members(subject, traits)
        if "ip" in context:
            sealed["ip"] = personal.seal(subject, context["ip"], untrusted=True)
        external = context.get("externalIds")
        if isinstance(external, list):
            sealed["externalIds"] = [
                {**entry, "id": personal.seal(subject, entry["id"], untrusted=True)}
                if isinstance(entry, dict) and "id" in entry else entry
                for entry in external
            ]  # fmt: skip
        return sealed

    def _fixes(
        self, subject: str, fixes: dict[str, dict[str, Any]] | None
    ) -> dict[str, dict[str, Any]] | None:
        """Fixes with the personal originals (and cleaned values) sealed; problems stay
        readable for the quality report."""
        if not fixes:
            return None
        personal = self.personal
        sealed: dict[str, dict[str, Any]] = {}
        for path, fix in fixes.items():
            field = path.rpartition(".")[2]
            if not personal.schema.is_pii(field, True):
                sealed[path] = fix
                continue
            sealed[path] = {
                k: personal.seal(subject, v, field, untrusted=True)
                if k in ("original", "cleaned") else v
                for k, v in fix.items()
            }  # fmt: skip
        return sealed


def _json(value: Any) -> str | None:
    # Values were already written as JSON once in plain text, so this cannot fail.
    return None if value is None else orjson.dumps(value).decode()
