"""Token buckets: bursts pass, the rate refills, waits are reported, keys are independent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencdp.security.rate_limits import TokenBuckets, optional_buckets, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_rate_applies():
    clock = Clock()
    buckets = TokenBuckets(rate=2, burst=5, clock=clock)
    assert [buckets.take("k") for _ in range(5)] == [0.0] * 5
    assert buckets.take("k") == pytest.approx(0.5)  # one unit refills in 1/2 s
    assert buckets.take("other") == 0.0  # keys do not share a bucket
    clock.now += 0.5
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0


def test_costs_count_and_an_oversized_request_can_pass_when_full():
    clock = Clock()
    buckets = TokenBuckets(rate=100, burst=1000, clock=clock)
    assert buckets.take("source", 600) == 0.0
    assert buckets.take("source", 600) == pytest.approx(2.0)  # 200 missing at 100/s
    clock.now += 10
    assert buckets.take("source", 5000) == 0.0  # capped at the bucket size


def test_forgetting_full_buckets_bounds_memory_without_changing_answers():
    clock = Clock()
    buckets = TokenBuckets(rate=1, burst=2, max_keys=10, clock=clock)
    for i in range(10):
        buckets.take(f"k{i}")
    clock.now += 5  # every bucket full again
    buckets.take("new")
    assert len(buckets._buckets) == 1


@given(st.lists(st.tuples(st.floats(0, 3), st.floats(0.1, 4)), max_size=60))
def test_never_more_than_burst_plus_rate_times_elapsed(steps):
    clock = Clock()
    rate, burst = 3.0, 5.0
    buckets = TokenBuckets(rate, burst, clock=clock)
    start, granted = clock.now, 0.0
    for advance, cost in steps:
        clock.now += advance
        if buckets.take("k", cost) == 0.0:
            granted += min(cost, burst)
        assert granted <= burst + rate * (clock.now - start) + 1e-6


def test_retry_after_is_whole_seconds_and_zero_rate_means_no_limit():
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"
    assert optional_buckets(0, 10) is None
    assert isinstance(optional_buckets(5, 10), TokenBuckets)
