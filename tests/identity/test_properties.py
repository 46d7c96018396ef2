"""Properties of the graph over random observation sequences drawn from small pools:
incremental processing (in chunks, across snapshot restarts) equals a rebuild, and no
sequence can make a profile break a limit."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.identity import IdentityGraph, Observation, rebuild, unmerge
from tests.identity.helpers import check_invariants, observations, rules

SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(
    sequence=observations(),
    rules=rules,
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=5),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_incremental_in_chunks_equals_rebuild(sequence, rules, cuts, seed):
    graph = IdentityGraph(rules)
    merges, violations = [], []
    bounds = sorted({0, len(sequence), *(c for c in cuts if c <= len(sequence))})
    for start, end in itertools.pairwise(bounds):
        for observation in sequence[start:end]:
            result = graph.observe(observation)
            merges += result.merges
            violations += result.violations
            assert result.profile_id == _profile_of_strongest(graph, observation)
        snapshot = graph.snapshot()
        graph = IdentityGraph.from_snapshot(snapshot)  # a restart between chunks
        assert graph.snapshot() == snapshot
        check_invariants(graph)
    shuffled = list(sequence)
    random.Random(seed).shuffle(shuffled)  # rebuild sorts by seq itself
    rebuilt = rebuild(shuffled, rules)
    assert rebuilt.snapshot() == graph.snapshot()
    assert rebuilt.assignments() == graph.assignments()
    assert list(rebuilt.merges) == merges
    assert list(rebuilt.violations) == violations


def _profile_of_strongest(graph, observation):
    """An observation resolves to the profile of its strongest linked, unrefused identifier."""
    refused = {v.identifier for v in graph.violations if v.seq == observation.seq}
    usable = [i for i in observation.identifiers if i not in refused]
    return graph.profile_of(min(usable, key=graph.rules.rank)) if usable else None


@SETTINGS
@given(sequence=observations(), rules=rules, seed=st.integers(min_value=0, max_value=2**32))
def test_order_of_identifiers_within_an_observation_does_not_matter(sequence, rules, seed):
    rng = random.Random(seed)
    permuted = [
        Observation(o.seq, o.origin, tuple(rng.sample(o.identifiers, len(o.identifiers))))
        for o in sequence
    ]
    assert rebuild(permuted, rules).snapshot() == rebuild(sequence, rules).snapshot()


@SETTINGS
@given(sequence=observations(), rules=rules)
def test_limits_hold_after_every_observation(sequence, rules):
    graph = IdentityGraph(rules)
    for observation in sequence:
        result = graph.observe(observation)
        for merge in result.merges:
            assert merge.seq == observation.seq and merge.origin == observation.origin
            assert graph.profile_of(merge.identifier) == result.profile_id
        check_invariants(graph)


@settings(max_examples=100, deadline=None)
@given(
    sequence=observations(),
    later=observations(max_size=15),
    rules=rules,
    pick=st.integers(min_value=0),
)
def test_unmerge_equals_rebuild_with_the_rule_and_survives_new_observations(
    sequence, later, rules, pick
):
    graph = rebuild(sequence, rules)
    if not graph.merges:
        return
    merge = graph.merges[pick % len(graph.merges)]
    split = unmerge(graph, merge, sequence).graph
    assert merge.origin in split.unmerged_origins
    assert all(m.origin != merge.origin for m in split.merges)
    check_invariants(split)
    # later observations continue after the last seq, some reusing the unmerged origin
    offset = (graph.last_seq or 0) + 1
    later = [Observation(o.seq + offset, merge.origin if o.seq % 2 else o.origin,
                         o.identifiers) for o in later]  # fmt: skip
    for observation in later:
        split.observe(observation)
    rebuilt = rebuild(sequence + later, rules, unmerged_origins=split.unmerged_origins)
    assert rebuilt.snapshot() == split.snapshot()
    assert all(m.origin != merge.origin for m in rebuilt.merges)
