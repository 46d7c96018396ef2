"""Computed traits: named aggregates over each profile's events and imported records (counts,
sums, RFM, e-mail engagement, NPS …), written into `profiles.computed`.

Definitions are JSON (see docs/computed-traits.md); a full recompute is a few grouped queries
over `profile_events`, the real-time path recomputes or incrementally updates a few profiles.
"""

from opencdp.profiles.computed.catalog import (
    ComputedTraitNotFound,
    define,
    delete_trait,
    get_trait,
    list_traits,
    register_builtins,
)
from opencdp.profiles.computed.compute import compute_all, compute_for
from opencdp.profiles.computed.definition import (
    InvalidComputedTrait,
    TraitDefinition,
    parse_definition,
)
from opencdp.profiles.computed.incremental import (
    apply_events,
    apply_logged_events,
    expire_windows,
)

__all__ = [
    "ComputedTraitNotFound",
    "InvalidComputedTrait",
    "TraitDefinition",
    "apply_events",
    "apply_logged_events",
    "compute_all",
    "compute_for",
    "define",
    "delete_trait",
    "expire_windows",
    "get_trait",
    "list_traits",
    "parse_definition",
    "register_builtins",
]
