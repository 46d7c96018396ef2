"""The plain data of identity resolution: identifiers seen together, and what came of them.

Everything here is immutable and knows nothing of storage or the web, so the same values
flow from the event log into the graph, out to the profile tables, and into tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

SHARED_IDENTIFIER = "shared_identifier"


class Identifier(NamedTuple):
    """One way of recognising a person, e.g. ``Identifier("email", "ann@mail.co.jp")``.

    A named tuple, so it hashes and compares like the plain ``(type, value)`` pair that
    storage hands back. Values arrive normalised by the hygiene stage.
    """

    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Observation:
    """Identifiers seen together in one event or one imported record.

    Seen together is the only evidence deterministic resolution uses: two or more
    identifiers in one observation link them. `seq` orders observations (the event log's
    sequence); `origin` names where they came from (``event:123``, ``record:crm:row-7``) so
    every merge can be explained and undone.
    """

    seq: int
    origin: str
    identifiers: tuple[Identifier, ...]
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """Two profiles became one: `absorbed` is gone, its identifiers now on `survivor`.

    `identifier` is the identifier of the observation that was already on the other
    profile, i.e. the evidence that linked them; `origin` and `seq` locate the observation.
    """

    survivor: str
    absorbed: str
    identifier: Identifier
    origin: str
    seq: int
    rule: str = SHARED_IDENTIFIER


class ViolationRule(StrEnum):
    """Why an identifier of an observation was not linked to the observation's profile."""

    BLOCKED = "blocked"
    """A placeholder value (``null``, ``0000000000``, ``test@test.com``) never links."""
    LIMIT = "limit"
    """The profile already holds as many identifiers of this type as the limit allows."""
    CONFLICT = "conflict"
    """The identifier is on another profile, and merging the two would break a limit
    (for example two different user ids): it stays where it is."""
    SHARED = "shared_value"
    """The value was refused by more profiles than `max_profiles_per_value` (a kiosk
    tablet, a family phone) and links nothing any more."""
    UNMERGED = "unmerged"
    """The observation's origin was unmerged, so its identifiers are not linked."""


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """An identifier that a rule kept from linking; nothing is dropped silently.

    `profile_id` is the profile the observation resolved to (``None`` when every
    identifier was refused); `limit_type` names the identifier type whose limit would have
    been exceeded, for `LIMIT` and `CONFLICT`.
    """

    identifier: Identifier
    profile_id: str | None
    rule: ViolationRule
    origin: str
    seq: int
    limit_type: str | None = None


@dataclass(frozen=True, slots=True)
class StitchResult:
    """What one observation did: the profile it belongs to, merges made, identifiers refused."""

    profile_id: str | None
    merges: tuple[Merge, ...] = ()
    violations: tuple[RuleViolation, ...] = ()
