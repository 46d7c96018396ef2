"""Unmerge: a wrong merge is split back, and replays and rebuilds keep it split."""

from __future__ import annotations

import pytest

from opencdp.identity import (
    Identifier,
    IdentityGraph,
    Merge,
    Observation,
    ViolationRule,
    profile_id_for,
    rebuild,
    unmerge,
)

A1, A2 = Identifier("anonymous_id", "a-1"), Identifier("anonymous_id", "a-2")
ANN, BOB = Identifier("email", "ann@mail.co.jp"), Identifier("email", "bob@mail.co.jp")
PHONE = Identifier("phone", "+66812345678")
BAD_ROW = "record:crm:row-7"

SEQUENCE = [
    Observation(1, "event:1", (A1, ANN)),
    Observation(2, "event:2", (A2, BOB)),
    Observation(3, BAD_ROW, (ANN, BOB)),  # a CRM row that mixed up two customers
    Observation(4, "event:4", (A2, PHONE)),
]


def test_unmerge_splits_the_profile_back():
    graph = rebuild(SEQUENCE)
    assert len(graph.profile_ids()) == 1
    (merge,) = graph.merges
    assert merge == Merge(profile_id_for(ANN), profile_id_for(BOB), BOB, BAD_ROW, 3)

    done = unmerge(graph, merge, SEQUENCE)
    split = done.graph
    assert done.profiles == tuple(sorted((profile_id_for(ANN), profile_id_for(BOB))))
    assert split.identifiers_of(profile_id_for(ANN)) == (ANN, A1)
    # the absorbed profile is back under its old id, with what came after the merge
    assert split.identifiers_of(profile_id_for(BOB)) == (BOB, PHONE, A2)
    assert split.merges == ()
    assert split.unmerged_origins == {BAD_ROW}
    assert [(v.identifier, v.rule, v.origin) for v in split.violations] == [
        (BOB, ViolationRule.UNMERGED, BAD_ROW)
    ]


def test_the_split_survives_rebuild_restart_and_a_reimport_of_the_same_row():
    split = unmerge(rebuild(SEQUENCE), rebuild(SEQUENCE).merges[0], SEQUENCE).graph
    reimport = Observation(5, BAD_ROW, (ANN, BOB, A1))  # the row imported again
    restarted = IdentityGraph.from_snapshot(split.snapshot())
    restarted.observe(reimport)
    rebuilt = rebuild([*SEQUENCE, reimport], unmerged_origins=split.unmerged_origins)
    assert restarted.snapshot() == rebuilt.snapshot()
    assert rebuilt.profile_of(ANN) != rebuilt.profile_of(BOB)
    assert rebuilt.merges == ()


def test_other_evidence_for_the_same_link_merges_them_again():
    sequence = [*SEQUENCE, Observation(5, "event:5", (PHONE, ANN))]
    graph = rebuild(sequence)
    bad = next(m for m in graph.merges if m.origin == BAD_ROW)
    done = unmerge(graph, bad, sequence)
    assert done.profiles == (profile_id_for(ANN),)  # together again, by event 5
    assert [m.origin for m in done.graph.merges_of(profile_id_for(ANN))] == ["event:5"]


def test_unmerge_needs_a_merge_of_the_graph_and_all_its_observations():
    graph = rebuild(SEQUENCE)
    with pytest.raises(ValueError, match="not a merge"):
        unmerge(graph, Merge("prof_x", "prof_y", ANN, "event:9", 9), SEQUENCE)
    with pytest.raises(ValueError, match="observations the graph processed"):
        unmerge(graph, graph.merges[0], SEQUENCE[:-1])
