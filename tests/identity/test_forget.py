"""Erasure in the live graph: forgetting people leaves exactly the graph their absence would
have built, and it keeps resolving as a rebuild would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.identity import IdentityGraph, Observation, rebuild
from tests.identity.helpers import IDENTIFIERS, check_invariants, rules


@st.composite
def two_people_groups(draw: st.DrawFn) -> tuple[list[Observation], list[Observation]]:
    """Observations of erased people (one half of the identifiers) and of everyone else (the
    other half), interleaved in one seq order; no observation mixes the two."""
    erased = set(draw(st.sets(st.sampled_from(IDENTIFIERS), min_size=1)))
    others = [i for i in IDENTIFIERS if i not in erased]
    pools = [sorted(erased), others]
    mine: list[Observation] = []
    rest: list[Observation] = []
    seq = 0
    for side in draw(st.lists(st.booleans(), max_size=50)):
        pool = pools[0 if side else 1]
        if not pool:
            continue
        seq += 1
        ids = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4)))
        (mine if side else rest).append(Observation(seq, f"event:{seq}", ids))
    return mine, rest


@settings(max_examples=150, deadline=None)
@given(groups=two_people_groups(), rules=rules, later=st.lists(
    st.lists(st.sampled_from(IDENTIFIERS), min_size=1, max_size=3), max_size=10))
def test_forgetting_equals_never_having_seen_them(groups, rules, later):
    mine, rest = groups
    graph = rebuild(sorted(mine + rest, key=lambda o: o.seq), rules)
    erased_ids = {i for o in mine for i in o.identifiers}
    profiles = {graph.profile_of(i) for i in erased_ids} - {None}
    lineage = {m.absorbed for p in profiles for m in graph.merges_of(p)}
    graph.forget(profiles | lineage, erased_ids)
    without = rebuild(rest, rules)
    check_invariants(graph)
    assert graph.assignments() == without.assignments()
    assert graph.merges == without.merges
    assert graph.violations == without.violations
    # both go on resolving alike (erased identifiers are suppressed upstream: not observed)
    seq = 1000
    for ids in later:
        kept = tuple(i for i in ids if i not in erased_ids)
        if not kept:
            continue
        seq += 1
        observation = Observation(seq, f"event:{seq}", kept)
        assert graph.observe(observation).profile_id == without.observe(observation).profile_id
    assert graph.assignments() == without.assignments()


def test_forgetting_an_unknown_profile_changes_nothing():
    graph = IdentityGraph()
    before = graph.snapshot()
    assert graph.forget(["prof_nobody"]) == (0, 0)
    assert graph.snapshot() == before
