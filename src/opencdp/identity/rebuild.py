"""Rebuilding the graph from the event log, and unmerging by rebuilding with a new rule.

The log is the source of truth: `rebuild` replays every observation in seq order into a
fresh graph, which is exactly the state the real-time path reaches (see `graph`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from opencdp.identity.graph import IdentityGraph
from opencdp.identity.model import Merge, Observation
from opencdp.identity.rules import IdentityRules


def rebuild(
    observations: Iterable[Observation],
    rules: IdentityRules | None = None,
    unmerged_origins: Iterable[str] = (),
) -> IdentityGraph:
    """A graph built from all `observations`, sorted by seq (ties keep their order)."""
    graph = IdentityGraph(rules, unmerged_origins)
    observe = graph.observe
    for observation in sorted(observations, key=attrgetter("seq")):
        observe(observation)
    return graph


@dataclass(frozen=True, slots=True)
class Unmerged:
    """The graph after an unmerge, and where the identifiers of the split profile went.

    One profile in `profiles` means other observations link the same identifiers and the
    profile came back together; the new graph's `merges_of` shows through which origin.
    """

    graph: IdentityGraph
    profiles: tuple[str, ...]


def unmerge(graph: IdentityGraph, merge: Merge, observations: Iterable[Observation]) -> Unmerged:
    """Undo `merge` for good: its origin stops linking, and the graph is rebuilt.

    Semantics: the merge's origin (an event or an imported record) is added to the
    graph's unmerged origins. Observations from an unmerged origin link nothing: each of
    their identifiers is resolved as if seen alone, and a `RuleViolation` ("unmerged")
    records each identifier that was not linked. Every merge that origin caused is undone,
    later decisions that depended on it are re-decided, and because the rule travels with
    the graph (its snapshot and `unmerged_origins`), replays and rebuilds keep the split.

    The new state is a rebuild from `observations`, which must be exactly the
    observations `graph` has processed (checked by count and last seq): that is what makes
    the result equal to a rebuild rather than an approximation of one. The split profile's
    older part keeps its id; the newer parts get back the ids they had before the merge.
    """
    if merge not in graph.merges:
        raise ValueError(f"{merge} is not a merge of this graph")
    rebuilt = rebuild(observations, graph.rules, graph.unmerged_origins | {merge.origin})
    if (rebuilt.observed, rebuilt.last_seq) != (graph.observed, graph.last_seq):
        raise ValueError(
            f"expected the {graph.observed} observations the graph processed "
            f"(up to seq {graph.last_seq}); got {rebuilt.observed} up to {rebuilt.last_seq}"
        )
    profile_id = graph.profile_of(merge.identifier)
    members = graph.identifiers_of(profile_id) if profile_id is not None else ()
    found = {rebuilt.profile_of(identifier) for identifier in members}
    return Unmerged(rebuilt, tuple(sorted(p for p in found if p is not None)))
