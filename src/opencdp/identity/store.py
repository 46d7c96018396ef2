"""The mutable heart of the graph: which profile each identifier is on.

Plain dicts, no union-find: identifier → profile object, and each profile keeps its
members and a count per type (for the limits). A merge moves the absorbed profile's
members to the survivor; limits bound a profile's size, so that costs O(1) amortised per
observation and lookups stay a single dict access.
"""

from __future__ import annotations

from collections.abc import Iterable

from opencdp.identity.model import Identifier
from opencdp.keys import stable_key

PROFILE_PREFIX = "prof_"


def profile_id_for(identifier: Identifier) -> str:
    """Id of a profile created by `identifier`: stable across replays and processes.

    The 64-bit key is `opencdp.keys.stable_key`, so SQL can derive the same id with
    DuckDB's ``md5_number_upper(type || chr(0) || value)``.

    The MD5 is unkeyed, so with field encryption off anyone can test a guessed e-mail
    against a profile id (review M5). With it on, resolution only ever sees stored
    identifiers, whose value is the keyed pseudonym (`email:<22 chars>`), so the id is an
    MD5 of that and guessing needs the master key. Rebuild and incremental resolution read
    the same stored form, so they still give the same ids.
    """
    return f"{PROFILE_PREFIX}{stable_key(identifier.type, identifier.value):016x}"


class Profile:
    """One profile while resolving: members and a per-type count for the limits.

    A draft (`profile_id` empty) collects the new identifiers of an observation before it
    is known whether they join an existing profile or become a new one.
    """

    __slots__ = ("counts", "created", "members", "profile_id", "seq")

    def __init__(self, first: Identifier) -> None:
        self.profile_id = ""
        self.created = -1
        self.seq = -1
        self.members = [first]
        self.counts = {first.type: 1}

    def count(self, identifier_type: str) -> int:
        return self.counts.get(identifier_type, 0)

    def take(self, identifier: Identifier) -> None:
        """Add one member (the caller has checked the limit)."""
        self.members.append(identifier)
        self.counts[identifier.type] = self.counts.get(identifier.type, 0) + 1


class ProfileTable:
    """Profiles by id and the profile of each identifier; all changes go through here."""

    __slots__ = ("assigned", "created", "profiles")

    def __init__(self) -> None:
        self.assigned: dict[Identifier, Profile] = {}
        self.profiles: dict[str, Profile] = {}
        self.created = 0

    def register(self, draft: Profile, seq: int) -> Profile:
        """Make a draft a real profile, named after its first (strongest) identifier.

        Two identifiers hashing to the same 64-bit key would collide; a suffix keeps the
        ids distinct, and since processing order is fixed, the suffix is deterministic too.
        """
        base = candidate = profile_id_for(draft.members[0])
        suffix = 1
        while candidate in self.profiles:
            suffix += 1
            candidate = f"{base}_{suffix}"
        self.restore(draft, candidate, self.created, seq)
        self.created += 1
        return draft

    def restore(self, profile: Profile, profile_id: str, created: int, seq: int) -> None:
        """Put a profile in place as it was (used by `register` and snapshots)."""
        profile.profile_id, profile.created, profile.seq = profile_id, created, seq
        self.profiles[profile_id] = profile
        assigned = self.assigned
        for member in profile.members:
            assigned[member] = profile

    def add(self, profile: Profile, identifier: Identifier) -> None:
        """Put a new identifier on a registered profile."""
        profile.take(identifier)
        self.assigned[identifier] = profile

    def join(self, draft: Profile, home: Profile) -> None:
        """A draft's identifiers join an existing profile (adding, not merging)."""
        for member in draft.members:
            self.add(home, member)

    def absorb(self, survivor: Profile, absorbed: Profile) -> None:
        """Merge: every member of `absorbed` moves to `survivor`, which keeps its id."""
        assigned = self.assigned
        survivor.members.extend(absorbed.members)
        counts = survivor.counts
        for identifier_type, n in absorbed.counts.items():
            counts[identifier_type] = counts.get(identifier_type, 0) + n
        for member in absorbed.members:
            assigned[member] = survivor
        del self.profiles[absorbed.profile_id]

    def remove(self, profile_id: str) -> list[Identifier]:
        """Take a profile and its identifiers out entirely (erasure); returns the identifiers."""
        profile = self.profiles.pop(profile_id, None)
        if profile is None:
            return []
        assigned = self.assigned
        for member in profile.members:
            if assigned.get(member) is profile:
                del assigned[member]
        return list(profile.members)

    @staticmethod
    def draft(members: Iterable[Identifier]) -> Profile:
        """A draft holding `members`, the first of which names it once registered."""
        iterator = iter(members)
        draft = Profile(next(iterator))
        for member in iterator:
            draft.take(member)
        return draft
