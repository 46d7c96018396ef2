"""RecentMessageKeys against a plain Python model of the same rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.collect.dedupe import RecentMessageKeys

batches = st.lists(
    st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=0, max_size=40),
    min_size=1, max_size=40,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(batches=batches, generation=st.integers(min_value=1, max_value=60))
def test_matches_a_model_of_two_generations(batches, generation):
    keys = RecentMessageKeys(generation)
    current: set[int] = set()
    previous: set[int] = set()
    for batch in batches:
        array = np.array(batch, dtype=np.uint64)
        found = keys.contains(array)
        assert list(found) == [k in current or k in previous for k in batch]
        fresh = np.unique(array[~found])
        keys.add(fresh)
        if fresh.size and len(current) + fresh.size > generation:
            previous, current = current, set()
        current |= {int(k) for k in fresh}
        assert len(keys) == len(current) + len(previous)


def test_the_window_always_holds_at_least_one_generation():
    keys = RecentMessageKeys(1000)
    for start in range(0, 10_000, 100):
        keys.add(np.arange(start, start + 100, dtype=np.uint64))
        newest = np.arange(max(0, start + 100 - 1000), start + 100, dtype=np.uint64)
        assert keys.contains(newest).all()
    assert len(keys) <= 2000, "memory is bounded by two generations"
