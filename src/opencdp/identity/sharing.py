"""The "seen on too many profiles" guard for values many people share.

The limits already keep a shared device from merging the people who use it; this guard
also stops such a value from attaching anything further, and from producing one conflict
per event forever. A value becomes shared once the distinct profiles that refused it, plus
its own, exceed `IdentityRules.max_profiles_per_value`. It stays on the profile it is on.
"""

from __future__ import annotations

from collections.abc import Collection

from opencdp.identity.model import Identifier


class SharedValueGuard:
    """Counts, per identifier, the distinct profiles that refused it."""

    __slots__ = ("max_profiles", "refused_by", "shared")

    def __init__(self, max_profiles: int | None) -> None:
        self.max_profiles = max_profiles
        self.refused_by: dict[Identifier, set[str]] = {}
        self.shared: set[Identifier] = set()

    def refused(self, identifier: Identifier, profile_id: str) -> None:
        """`identifier` (on another profile) could not be linked to `profile_id`."""
        if self.max_profiles is None:
            return
        profiles = self.refused_by.setdefault(identifier, set())
        profiles.add(profile_id)
        if len(profiles) >= self.max_profiles:  # its own profile makes one more
            self.shared.add(identifier)
            del self.refused_by[identifier]

    def forget(self, identifiers: Collection[Identifier], profile_ids: Collection[str]) -> None:
        """Drop what is counted about erased identifiers and profiles."""
        for identifier in identifiers:
            self.refused_by.pop(identifier, None)
            self.shared.discard(identifier)
        if profile_ids:
            for refusers in self.refused_by.values():
                refusers.difference_update(profile_ids)
