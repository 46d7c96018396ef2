"""The identity graph: the real-time, incremental path of deterministic identity resolution.

`observe` takes one observation at a time in seq order and updates the profile of each
identifier in place. Each step depends only on the state before it and the observation, so
observing in seq order — in one go, in chunks, or across a restart through `snapshot` and
`from_snapshot` — ends in exactly the state `rebuild` reaches from the whole log.
"""

from __future__ import annotations

from collections.abc import Iterable

from opencdp.identity.linking import Linked, Refusal, link, link_separately
from opencdp.identity.model import (
    Identifier,
    Merge,
    Observation,
    RuleViolation,
    StitchResult,
    ViolationRule,
)
from opencdp.identity.rules import IdentityRules
from opencdp.identity.sharing import SharedValueGuard
from opencdp.identity.snapshot import GraphSnapshot, ProfileState
from opencdp.identity.store import ProfileTable


class OutOfOrder(ValueError):
    """An observation older than one already observed: the result would differ from a rebuild."""


class IdentityGraph:
    """Identifiers → profiles, with every merge and refusal recorded."""

    def __init__(
        self, rules: IdentityRules | None = None, unmerged_origins: Iterable[str] = ()
    ) -> None:
        self.rules = rules if rules is not None else IdentityRules()
        self._table = ProfileTable()
        self._guard = SharedValueGuard(self.rules.max_profiles_per_value)
        self._merges: list[Merge] = []
        self._violations: list[RuleViolation] = []
        self._unmerged = frozenset(unmerged_origins)
        self._observed = 0
        self._last_seq: int | None = None

    def observe(self, observation: Observation) -> StitchResult:
        """Resolve one observation; seqs must not decrease (ties keep arrival order)."""
        seq = observation.seq
        if self._last_seq is not None and seq < self._last_seq:
            raise OutOfOrder(f"seq {seq} after {self._last_seq}")
        self._last_seq = seq
        self._observed += 1
        identifiers = observation.identifiers
        if len(identifiers) == 1:  # the common case: an event known by one identifier
            profile = self._table.assigned.get(identifiers[0])
            if profile is not None and identifiers[0] not in self._guard.shared:
                return StitchResult(profile.profile_id)
        elif len(identifiers) > 1:  # canonical order: the result cannot depend on it
            identifiers = tuple(sorted(set(identifiers), key=self.rules.rank))
        usable, skipped = self._usable(identifiers)
        linked: Linked | None = None
        if len(usable) > 1:
            if observation.origin in self._unmerged:
                linked = link_separately(self._table, usable, seq)
            else:
                linked = link(self._table, self.rules, usable, observation.origin, seq)
        elif usable:
            linked = link_separately(self._table, usable, seq)
        profile_id = linked.profile.profile_id if linked is not None else None
        refusals = skipped
        if linked is not None:
            refusals = skipped + linked.refused
            self._merges.extend(linked.merges)
            for identifier, rule, _ in linked.refused:
                if rule is ViolationRule.CONFLICT:
                    self._guard.refused(identifier, linked.profile.profile_id)
        violations = tuple(
            RuleViolation(identifier, profile_id, rule, observation.origin, seq, limit_type)
            for identifier, rule, limit_type in refusals
        )
        self._violations.extend(violations)
        merges = tuple(linked.merges) if linked is not None and linked.merges else ()
        return StitchResult(profile_id, merges, violations)

    def _usable(self, identifiers: Iterable[Identifier]) -> tuple[list[Identifier], list[Refusal]]:
        """Split off blocked placeholders and shared values; the rest may link (in order)."""
        assigned, shared, rules = self._table.assigned, self._guard.shared, self.rules
        usable: list[Identifier] = []
        skipped: list[Refusal] = []
        for identifier in identifiers:
            if identifier in assigned:  # checked when it was first assigned
                if identifier in shared:
                    skipped.append((identifier, ViolationRule.SHARED, None))
                    continue
            elif rules.is_blocked(identifier):
                skipped.append((identifier, ViolationRule.BLOCKED, None))
                continue
            usable.append(identifier)
        return usable, skipped

    def forget(
        self, profile_ids: Iterable[str], identifiers: Iterable[Identifier] = ()
    ) -> tuple[int, int]:
        """Erase people: their profiles, identifiers, merges and refusals, in place.

        `profile_ids` may include ids of profiles merged away (their merges go too);
        `identifiers` adds any not on those profiles (refused by a limit). The rest of the
        graph is untouched, so no rebuild is needed. Returns (profiles, identifiers) removed.
        """
        ids = set(profile_ids)
        gone: set[Identifier] = set(identifiers)
        removed = 0
        for profile_id in ids:
            members = self._table.remove(profile_id)
            removed += bool(members)
            gone.update(members)
        for identifier in list(gone):
            profile = self._table.assigned.get(identifier)
            if profile is not None:  # listed, but on a profile not named: leave it
                gone.discard(identifier)
        self._guard.forget(gone, ids)
        self._merges = [m for m in self._merges if not (
            m.survivor in ids or m.absorbed in ids or m.identifier in gone)]  # fmt: skip
        self._violations = [v for v in self._violations
                            if not (v.profile_id in ids or v.identifier in gone)]  # fmt: skip
        return removed, len(gone)

    def profile_of(self, identifier: Identifier) -> str | None:
        """The profile an identifier is on, or None if it was never linked."""
        profile = self._table.assigned.get(identifier)
        return profile.profile_id if profile is not None else None

    def identifiers_of(self, profile_id: str) -> tuple[Identifier, ...]:
        """A profile's identifiers, strongest first; empty for unknown or absorbed ids."""
        profile = self._table.profiles.get(profile_id)
        return tuple(sorted(profile.members, key=self.rules.rank)) if profile else ()

    def profile_ids(self) -> list[str]:
        """Live profiles, oldest first."""
        profiles = sorted(self._table.profiles.values(), key=lambda p: p.created)
        return [p.profile_id for p in profiles]

    def merges_of(self, profile_id: str) -> list[Merge]:
        """The merges that built a profile, in order: the explanation of why it is one."""
        lineage = {profile_id}
        found: list[Merge] = []
        for merge in reversed(self._merges):
            if merge.survivor in lineage:
                lineage.add(merge.absorbed)
                found.append(merge)
        return found[::-1]

    def assignments(self) -> dict[Identifier, str]:
        """Every linked identifier → its profile id (the state to store)."""
        return {i: p.profile_id for i, p in self._table.assigned.items()}

    @property
    def merges(self) -> tuple[Merge, ...]:
        return tuple(self._merges)

    @property
    def violations(self) -> tuple[RuleViolation, ...]:
        return tuple(self._violations)

    @property
    def unmerged_origins(self) -> frozenset[str]:
        """Origins whose observations no longer link anything (see `unmerge`)."""
        return self._unmerged

    @property
    def identifier_count(self) -> int:
        """Identifiers linked to a profile; it grows exactly when an observation links one."""
        return len(self._table.assigned)

    @property
    def observed(self) -> int:
        return self._observed

    @property
    def last_seq(self) -> int | None:
        return self._last_seq

    def snapshot(self) -> GraphSnapshot:
        """The complete state, canonical: equal states give equal snapshots."""
        profiles = sorted(self._table.profiles.values(), key=lambda p: p.created)
        guard = self._guard
        return GraphSnapshot(
            rules=self.rules,
            profiles=tuple(
                ProfileState(p.profile_id, p.created, p.seq, tuple(sorted(p.members)))
                for p in profiles
            ),
            merges=tuple(self._merges),
            violations=tuple(self._violations),
            refused_by=tuple(sorted((i, tuple(sorted(s))) for i, s in guard.refused_by.items())),
            shared=tuple(sorted(guard.shared)),
            unmerged_origins=tuple(sorted(self._unmerged)),
            created=self._table.created,
            observed=self._observed,
            last_seq=self._last_seq,
        )

    @classmethod
    def from_snapshot(cls, snapshot: GraphSnapshot) -> IdentityGraph:
        """A graph that continues exactly where the snapshotted one stopped."""
        graph = cls(snapshot.rules, snapshot.unmerged_origins)
        table = graph._table
        for state in snapshot.profiles:
            profile = ProfileTable.draft(state.identifiers)
            table.restore(profile, state.profile_id, state.created, state.seq)
        table.created = snapshot.created
        graph._merges = list(snapshot.merges)
        graph._violations = list(snapshot.violations)
        graph._guard.refused_by = {i: set(s) for i, s in snapshot.refused_by}
        graph._guard.shared = set(snapshot.shared)
        graph._observed = snapshot.observed
        graph._last_seq = snapshot.last_seq
        return graph
