"""Shared pieces of the identity tests: small identifier pools (so values collide),
observation-sequence strategies, and the invariants every graph state must keep."""

from __future__ import annotations

from collections import Counter

from hypothesis import strategies as st

from opencdp.identity import (
    Identifier,
    IdentityGraph,
    IdentityRules,
    Observation,
    profile_id_for,
)

POOLS = {
    "user_id": ["u1", "u2", "u3"],
    "customer_id": ["c1", "c2"],
    "email": ["ann@mail.co.jp", "bob@mail.co.jp", "cat@mail.co.jp", "dan@mail.co.jp",
              "eve@mail.co.jp", "fay@mail.co.jp", "test@test.com"],
    "phone": ["+66812345671", "+66812345672", "+66812345673", "0000000000"],
    "anonymous_id": ["a1", "a2", "a3", "a4", "a5", "a6", "null"],
    "device_id": ["d1", "d2"],
    "loyalty_id": ["l1", "l2"],
    "crm_key": ["k1", "k2", "k3"],  # a type the rules do not know
}  # fmt: skip
IDENTIFIERS = [Identifier(kind, value) for kind, values in POOLS.items() for value in values]
ORIGINS = ["record:crm:row-1", "record:crm:row-2", "record:shop:row-9"]

TIGHT_RULES = IdentityRules(
    limits={"user_id": 1, "customer_id": 1, "email": 2, "phone": 1, "anonymous_id": 3,
            "device_id": 2},
    default_limit=2,
    max_profiles_per_value=3,
)  # fmt: skip
rules = st.sampled_from([IdentityRules(), TIGHT_RULES, IdentityRules(max_profiles_per_value=None)])


@st.composite
def observations(draw: st.DrawFn, max_size: int = 60) -> list[Observation]:
    """Observations in seq order (unique seqs with gaps); some origins repeat (re-imports)."""
    found: list[Observation] = []
    seq = 0
    batches = st.lists(st.lists(st.sampled_from(IDENTIFIERS), max_size=4), max_size=max_size)
    for ids in draw(batches):
        seq += draw(st.integers(min_value=1, max_value=3))
        origin = draw(st.sampled_from([f"event:{seq}", f"event:{seq}", *ORIGINS]))
        found.append(Observation(seq, origin, tuple(ids)))
    return found


def check_invariants(graph: IdentityGraph) -> None:
    """What no sequence of observations may ever break."""
    assignments = graph.assignments()
    seen: set[Identifier] = set()
    profile_ids = graph.profile_ids()
    assert len(profile_ids) == len(set(profile_ids))
    for profile_id in profile_ids:
        members = graph.identifiers_of(profile_id)
        assert members, "a live profile has identifiers"
        assert not seen & set(members), "an identifier is on one profile only"
        seen |= set(members)
        assert all(assignments[i] == profile_id for i in members)
        counts = Counter(i.type for i in members)
        assert counts["user_id"] <= 1, "never two user ids on one profile"
        for kind, n in counts.items():
            assert n <= graph.rules.limit(kind), (profile_id, kind, n)
        # the identifier that created a profile stays on it, so its id is explained
        assert any(profile_id.startswith(profile_id_for(i)) for i in members)
    assert seen == set(assignments)
    assert not any(graph.rules.is_blocked(i) for i in assignments)
    live = set(profile_ids)
    assert not live & {m.absorbed for m in graph.merges}
