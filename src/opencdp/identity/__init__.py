"""Deterministic identity resolution: identifiers seen together → one profile per person.

The pure core (no database, no web): observations in, profile assignments, merges and
rule violations out. `IdentityGraph.observe` is the real-time path; `rebuild` replays the
log and reaches the same state; `unmerge` splits a profile and keeps it split.
"""

from opencdp.identity.graph import IdentityGraph, OutOfOrder
from opencdp.identity.model import (
    SHARED_IDENTIFIER,
    Identifier,
    Merge,
    Observation,
    RuleViolation,
    StitchResult,
    ViolationRule,
)
from opencdp.identity.rebuild import Unmerged, rebuild, unmerge
from opencdp.identity.rules import IdentityRules
from opencdp.identity.snapshot import GraphSnapshot, ProfileState
from opencdp.identity.store import profile_id_for

__all__ = [
    "SHARED_IDENTIFIER",
    "GraphSnapshot",
    "Identifier",
    "IdentityGraph",
    "IdentityRules",
    "Merge",
    "Observation",
    "OutOfOrder",
    "ProfileState",
    "RuleViolation",
    "StitchResult",
    "Unmerged",
    "ViolationRule",
    "profile_id_for",
    "rebuild",
    "unmerge",
]
