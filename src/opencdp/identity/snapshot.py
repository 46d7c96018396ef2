"""A graph's complete state as plain, canonical data.

A snapshot lets the real-time path stop and continue (restart, hand-over) with exactly the
state a rebuild would reach. It is canonical — profiles in creation order, identifiers
and sets sorted — so two graphs in the same state have equal snapshots, which is how the
tests compare incremental processing with a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

from opencdp.identity.model import Identifier, Merge, RuleViolation
from opencdp.identity.rules import IdentityRules


@dataclass(frozen=True, slots=True)
class ProfileState:
    """One live profile: its id, creation order and seq, and its identifiers (sorted)."""

    profile_id: str
    created: int
    seq: int
    identifiers: tuple[Identifier, ...]


@dataclass(frozen=True, slots=True)
class GraphSnapshot:
    """Everything `IdentityGraph` needs to continue exactly where it stopped."""

    rules: IdentityRules
    profiles: tuple[ProfileState, ...]
    merges: tuple[Merge, ...]
    violations: tuple[RuleViolation, ...]
    refused_by: tuple[tuple[Identifier, tuple[str, ...]], ...]
    """Identifiers on their way to being shared, with the profiles that refused them."""
    shared: tuple[Identifier, ...]
    unmerged_origins: tuple[str, ...]
    created: int
    """How many profiles were ever created (the next creation number)."""
    observed: int
    """How many observations were processed."""
    last_seq: int | None
