"""What a segment depends on, for scheduling and safety rather than evaluation.

`referenced_segments` lets the caller refuse cycles and re-evaluate dependants in order;
`referenced_events` lets real-time updates skip events no condition looks at;
`depends_on_time` says whether membership can change with no new data (windows, `within`).
"""

from __future__ import annotations

from collections.abc import Iterator

from opencdp.segments import tree as t


def walk(node: t.Node) -> Iterator[t.Node]:
    """Every node of the tree, parents before children, including `where` filters."""
    yield node
    if isinstance(node, t.And | t.Or):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, t.Not):
        yield from walk(node.arg)
    elif isinstance(node, t.Sequence):
        for step in node.steps:
            yield from walk(step)
    elif isinstance(node, t.Did | t.Aggregate) and node.where is not None:
        yield from walk(node.where)


def referenced_segments(tree: t.Node) -> frozenset[str]:
    """The names of the segments `in_segment(...)` refers to."""
    return frozenset(n.name for n in walk(tree) if isinstance(n, t.InSegment))


def referenced_events(tree: t.Node) -> frozenset[str]:
    """The event names the segment's event conditions look at."""
    return frozenset(n.event for n in walk(tree) if isinstance(n, t.Did | t.Aggregate))


def depends_on_time(tree: t.Node) -> bool:
    """Whether members can enter or leave as time passes, without any new data."""
    for node in walk(tree):
        if isinstance(node, t.RelativeTime):
            return True
        if isinstance(node, t.Did | t.Aggregate) and node.window is not None:
            return True
    return False
