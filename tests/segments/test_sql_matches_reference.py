"""Property: for random data and random trees, the compiled SQL selects exactly the profiles
the Python reference evaluator selects — with and without `restrict_to`."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from opencdp.segments import tree as t
from tests.segments.reference import evaluate
from tests.segments.strategies import COMPUTED, SEGMENTS, leaves, trees, worlds
from tests.segments.world import NOW, World, load, members, new_database

CON = new_database()
CON.execute("CREATE TABLE recent (profile_id VARCHAR)")


restricts = st.none() | st.sets(st.sampled_from(["p0", "p2", "p4"]))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(world=worlds(), tree=leaves | leaves.map(t.Not))
def test_each_condition_selects_what_the_reference_selects(world: World, tree: t.Node) -> None:
    check_against_reference(world, tree, None)


@SETTINGS
@given(world=worlds(), tree=trees, restrict=restricts)
def test_nested_trees_select_what_the_reference_selects(
        world: World, tree: t.Node, restrict: set[str] | None) -> None:
    check_against_reference(world, tree, restrict)


def check_against_reference(world: World, tree: t.Node, restrict: set[str] | None) -> None:
    load(CON, world)
    expected = evaluate(tree, world, NOW, computed=COMPUTED, segments=SEGMENTS)
    # steer towards trees that split the profiles, where a wrong edge shows
    target(float(min(len(expected), len(world.profile_ids()) - len(expected))))
    if restrict is not None:
        CON.execute("DELETE FROM recent")
        if restrict:
            CON.executemany("INSERT INTO recent VALUES (?)", [(p,) for p in restrict])
        expected &= restrict
    got = members(CON, tree, computed=COMPUTED, segments=SEGMENTS,
                  restrict_to=None if restrict is None else "recent")  # fmt: skip
    assert got == expected
