"""The identity rules: how strong each identifier type is, how many a profile may hold,
and which values are placeholders that must never link anyone.

Limits are what stop over-merging: a profile holds one user id, so two profiles with
different user ids never merge, however many devices, placeholder emails or shared phones
they have in common. Rules are plain, frozen data so a graph snapshot can carry them and a
rebuild applies exactly the rules the live graph used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from opencdp.identity.model import Identifier

DEFAULT_PRIORITIES: Mapping[str, int] = MappingProxyType({
    "user_id": 1, "customer_id": 2, "email": 3, "phone": 4, "loyalty_id": 5,
    "line_id": 6, "social": 7, "social_handle": 7, "anonymous_id": 8, "device_id": 9,
    "source_record": 11,
})  # fmt: skip
DEFAULT_LIMITS: Mapping[str, int] = MappingProxyType({
    "user_id": 1, "email": 5, "phone": 5, "device_id": 20, "anonymous_id": 100,
    "source_record": 1_000_000,  # every imported record of the person
})  # fmt: skip
DEFAULT_BLOCKED_VALUES = frozenset({
    "", "-", "null", "nil", "nan", "undefined", "anonymous", "unknown", "none", "n/a",
    "0", "-1", "test@test.com",
})  # fmt: skip
DEFAULT_BLOCKED_EMAIL_LOCAL_PARTS = frozenset({
    "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
})  # fmt: skip
_ZERO_PUNCTUATION = "0+-() ."
# With field encryption on, a placeholder is judged on its plaintext at ingest and stored as
# `type:~<22-character pseudonym>` (crypto/personal.py `BLOCKED_MARK`): the mark is all a
# pseudonym still says about it. Exactly that shape, so a plain value like `~bob` is unaffected.
_BLOCKED_PSEUDONYM = re.compile(r"~[A-Za-z0-9_-]{22}")


def _mapping(source: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(source))


@dataclass(frozen=True, slots=True)
class IdentityRules:
    """Configuration of deterministic identity resolution (all fields optional)."""

    priorities: Mapping[str, int] = field(default_factory=lambda: _mapping(DEFAULT_PRIORITIES))
    """Identifier type → strength, lower is stronger. The strongest identifier of an
    observation decides which profile it joins when not everything can be merged."""
    limits: Mapping[str, int] = field(default_factory=lambda: _mapping(DEFAULT_LIMITS))
    """Identifier type → most identifiers of that type one profile may hold. A limit of 1
    means two different values are two different people."""
    default_priority: int = 10
    """Priority of types missing from `priorities`."""
    default_limit: int = 10
    """Limit of types missing from `limits`."""
    blocked_values: frozenset[str] = DEFAULT_BLOCKED_VALUES
    """Values that never link, of any type; compared case-insensitively after trimming."""
    block_zero_values: bool = True
    """Also block values made only of zeros and phone punctuation (``+0000000``)."""
    blocked_email_local_parts: frozenset[str] = DEFAULT_BLOCKED_EMAIL_LOCAL_PARTS
    """Emails whose part before ``@`` is one of these (``noreply@shop.example``) never link."""
    max_profiles_per_value: int | None = 10
    """A value that more profiles than this have shown up with (its own and those it was
    refused by) is treated as shared, like a kiosk tablet, and links nothing any more.
    ``None`` turns the guard off; the limits alone already prevent merging through it."""

    def __post_init__(self) -> None:
        if any(n < 1 for n in self.limits.values()) or self.default_limit < 1:
            raise ValueError("identifier limits must be at least 1")
        if self.max_profiles_per_value is not None and self.max_profiles_per_value < 1:
            raise ValueError("max_profiles_per_value must be at least 1 or None")
        object.__setattr__(self, "priorities", _mapping(self.priorities))
        object.__setattr__(self, "limits", _mapping(self.limits))
        object.__setattr__(
            self, "blocked_values", frozenset(v.strip().casefold() for v in self.blocked_values)
        )
        object.__setattr__(
            self,
            "blocked_email_local_parts",
            frozenset(v.casefold() for v in self.blocked_email_local_parts),
        )

    def priority(self, identifier_type: str) -> int:
        """Strength of a type; lower is stronger."""
        return self.priorities.get(identifier_type, self.default_priority)

    def limit(self, identifier_type: str) -> int:
        """Most identifiers of a type one profile may hold."""
        return self.limits.get(identifier_type, self.default_limit)

    def rank(self, identifier: Identifier) -> tuple[int, str, str]:
        """Sort key: strongest first; type and value break ties so the order is total."""
        return (self.priorities.get(identifier[0], self.default_priority), *identifier)

    def is_blocked(self, identifier: Identifier) -> bool:
        """True for placeholder values that would glue strangers together (a pseudonym
        carries the verdict made on its plaintext at ingest as a leading `~`)."""
        if _BLOCKED_PSEUDONYM.fullmatch(identifier.value):
            return True
        text = identifier.value.strip()
        if text.casefold() in self.blocked_values:
            return True
        if self.block_zero_values and "0" in text and not text.strip(_ZERO_PUNCTUATION):
            return True
        if identifier.type == "email" and self.blocked_email_local_parts:
            local = text.rpartition("@")[0].casefold()
            return local in self.blocked_email_local_parts
        return False
