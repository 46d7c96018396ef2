"""Linking the identifiers of one observation: merge what the limits allow, refuse the rest.

Identifiers are taken strongest first (`IdentityRules.rank`). The strongest one's profile
is the anchor; each further identifier then either

- is new: it joins the anchor if the anchor has room for its type, else it is refused
  (`LIMIT`) and stays unassigned;
- is on another profile: the two profiles merge if together they stay within every limit
  (the older profile survives), else it is refused (`CONFLICT`) and stays where it is.

When the strongest identifier is new, the anchor is a draft of the new identifiers, which
joins the first existing profile that can take it, or becomes a new profile at the end.
If merging everything is allowed, this merges everything (a union within the limits has
sub-unions within them); otherwise the strongest identifiers win. Profiles only grow, so an
identifier refused early would be refused at the end too: the result does not depend on
how the anchor grew, only on the observation and the state before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from opencdp.identity.model import Identifier, Merge, ViolationRule
from opencdp.identity.rules import IdentityRules
from opencdp.identity.store import Profile, ProfileTable

Refusal = tuple[Identifier, ViolationRule, str | None]


@dataclass(slots=True)
class Linked:
    """The profile an observation resolved to, the merges it made and what was refused."""

    profile: Profile
    merges: list[Merge] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def overflow(rules: IdentityRules, one: Profile, other: Profile) -> str | None:
    """The type whose limit one profile holding both would break (strongest such type)."""
    limits, default = rules.limits, rules.default_limit
    counts = one.counts
    broken = [
        identifier_type
        for identifier_type, n in other.counts.items()
        if counts.get(identifier_type, 0) + n > limits.get(identifier_type, default)
    ]
    if not broken:
        return None
    return min(broken, key=lambda kind: (rules.priority(kind), kind))


def link(
    table: ProfileTable,
    rules: IdentityRules,
    ordered: Sequence[Identifier],
    origin: str,
    seq: int,
) -> Linked:
    """Resolve `ordered` (usable identifiers, strongest first, no duplicates) together."""
    assigned = table.assigned
    limits, default = rules.limits, rules.default_limit
    anchor = assigned.get(ordered[0])
    draft = Profile(ordered[0]) if anchor is None else None
    merges: list[Merge] = []
    refused: list[Refusal] = []
    for identifier in ordered[1:]:
        home = assigned.get(identifier)
        if home is None:
            target = anchor or draft
            assert target is not None
            if target.count(identifier.type) >= limits.get(identifier.type, default):
                refused.append((identifier, ViolationRule.LIMIT, identifier.type))
            elif anchor is None:
                target.take(identifier)
            else:
                table.add(anchor, identifier)
        elif anchor is None:
            assert draft is not None
            broken = overflow(rules, home, draft)
            if broken is not None:
                refused.append((identifier, ViolationRule.CONFLICT, broken))
            else:
                table.join(draft, home)
                anchor, draft = home, None
        elif home is not anchor:
            broken = overflow(rules, anchor, home)
            if broken is not None:
                refused.append((identifier, ViolationRule.CONFLICT, broken))
                continue
            survivor, absorbed = (anchor, home) if anchor.created < home.created else (home, anchor)
            table.absorb(survivor, absorbed)
            merges.append(Merge(survivor.profile_id, absorbed.profile_id, identifier, origin, seq))
            anchor = survivor
    if anchor is None:
        assert draft is not None
        anchor = table.register(draft, seq)
    return Linked(anchor, merges, refused)


def link_separately(table: ProfileTable, ordered: Sequence[Identifier], seq: int) -> Linked:
    """Resolve each identifier alone (an unmerged origin): new ones become new profiles."""
    assigned = table.assigned
    for identifier in ordered:
        if identifier not in assigned:
            table.register(Profile(identifier), seq)
    refused: list[Refusal] = [(i, ViolationRule.UNMERGED, None) for i in ordered[1:]]
    return Linked(assigned[ordered[0]], [], refused)
