"""Hypothesis strategies: small worlds of customer data and valid segment trees over them.

Values come from small pools that mix types on purpose (a score may be 12, "12" or "abc"),
and times sit on a coarse grid of days (and half days) around `NOW`, with durations that
are whole days, so window edges and equal timestamps are hit often.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from opencdp.segments import tree as t
from tests.segments.world import NOW, Event, World

PROFILES = [f"p{i}" for i in range(6)]
EVENTS = ["Order Completed", "Email Opened", "Product Viewed"]
TEXTS = ["TH", "th", "JP", "Gold", "gold member", "12", "7.5", "", "ไทย"]
NUMBERS = [0, 1, 2, 7.5, 12, 100, -3]
DATES = ["2024-05-31", "2024-05-25T12:00:00+00:00", "2023-01-01", "2024-06-01T00:00:00"]
SEGMENTS = {"vip": "seg_vip", "churn-risk": "seg_churn"}
COMPUTED = frozenset({"ltv", "favourite"})

hours = st.integers(min_value=-1, max_value=12).map(lambda d: d * 24) | st.sampled_from([12, 36])
times = hours.map(lambda h: NOW - timedelta(hours=h))
scalar: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(TEXTS), st.sampled_from(NUMBERS), st.sampled_from(DATES), st.booleans(),
    times.map(lambda m: m.isoformat()))  # fmt: skip
TRAIT_NAMES = ["country", "tier", "score", "signup_at", "ltv", "favourite"]
# Mostly the type a trait usually has, sometimes anything.
trait_values: dict[str, st.SearchStrategy[Any]] = {
    "country": st.sampled_from(TEXTS), "tier": st.sampled_from(TEXTS),
    "score": st.sampled_from([*NUMBERS, "12", "7.5"]),
    "signup_at": times.map(lambda m: m.isoformat()) | st.sampled_from(DATES),
    "ltv": st.sampled_from(NUMBERS), "favourite": st.sampled_from(TEXTS)}  # fmt: skip


@st.composite
def traits(draw: st.DrawFn, names: list[str]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    return {n: draw(scalar if draw(st.integers(0, 4)) == 0 else trait_values[n]) for n in chosen}


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World()
    for pid in draw(st.lists(st.sampled_from(PROFILES), min_size=3, unique=True)):
        world.traits[pid] = draw(traits(TRAIT_NAMES))
        if draw(st.booleans()):
            world.traits[pid]["address"] = {"city": draw(st.sampled_from(TEXTS))}
        world.computed[pid] = draw(traits(["ltv", "favourite"]))
    pids = sorted(world.profile_ids())
    props = st.fixed_dictionaries({}, optional={
        "total": st.sampled_from([*NUMBERS, "12", "abc"]), "currency": st.sampled_from(TEXTS)})
    world.events = draw(st.lists(st.builds(Event, st.sampled_from(pids), st.sampled_from(EVENTS),
                                           times, props), min_size=4, max_size=20))  # fmt: skip
    world.identifiers = draw(st.lists(st.tuples(
        st.sampled_from(["email", "phone"]),
        st.sampled_from(["a@gmail.com", "B@Example.com", "+6681", "x"]),
        st.sampled_from(pids)), max_size=8))  # fmt: skip
    world.consents = draw(st.lists(st.tuples(
        st.sampled_from(pids), st.sampled_from(["email_marketing", "advertising"]), st.booleans()),
        max_size=4))  # fmt: skip
    scored = draw(st.lists(st.tuples(st.sampled_from(pids), st.sampled_from(["churn"])),
                           max_size=4, unique=True))  # fmt: skip
    world.predictions = [
        (pid, name, draw(st.sampled_from([0.1, 0.5, 0.9, None])),
         draw(st.sampled_from(["low", "high", None])), NOW - timedelta(days=i))
        for i, (pid, name) in enumerate(scored)]  # fmt: skip
    world.members = {sid: set(draw(st.lists(st.sampled_from(pids)))) for sid in SEGMENTS.values()}
    return world


durations = st.one_of(
    st.builds(t.Duration, st.integers(1, 10), st.just("d")),
    st.builds(t.Duration, st.sampled_from([12, 24, 48]), st.just("h")),
    st.builds(t.Duration, st.just(1), st.just("w")),
    st.builds(t.Duration, st.just(1440), st.just("m")))  # fmt: skip
dates = st.sampled_from(DATES).map(t.DateValue)
texts = st.sampled_from(TEXTS)
numbers = st.sampled_from(NUMBERS)


def field_conditions(fields: st.SearchStrategy[t.Field]) -> st.SearchStrategy[t.Node]:
    return st.one_of(
        st.builds(t.Compare, fields, st.sampled_from(t.COMPARISONS), st.one_of(numbers, dates)),
        st.builds(t.Compare, fields, st.sampled_from(t.COMPARISONS), texts),
        st.builds(t.Compare, fields, st.sampled_from(["=", "!=", *t.TEXT_MATCHES]), texts,
                  st.booleans()),
        st.builds(t.Compare, fields, st.sampled_from(["=", "!="]), st.booleans()),
        st.builds(t.InList, fields, st.lists(texts, min_size=1, max_size=3).map(tuple),
                  st.booleans(), st.booleans()),
        st.builds(t.InList, fields, st.lists(numbers, min_size=1, max_size=3).map(tuple),
                  st.booleans()),
        st.builds(t.Exists, fields, st.booleans()),
        st.builds(t.Between, fields, numbers, numbers),
        st.builds(t.Between, fields, dates, dates),
        st.builds(t.RelativeTime, fields, st.sampled_from(t.RELATIVE), durations),
    )  # fmt: skip


profile_fields = st.one_of(
    st.builds(t.Field, st.just("auto"), st.sampled_from([*TRAIT_NAMES, "address.city"])),
    st.builds(t.Field, st.sampled_from(["trait", "computed"]), st.sampled_from(TRAIT_NAMES)),
    st.builds(t.Field, st.just("identifier"), st.sampled_from(["email", "phone"])),
)  # fmt: skip
prediction_conditions = st.one_of(
    st.builds(t.Compare, st.just(t.Field("prediction", "churn")), st.sampled_from(t.COMPARISONS),
              st.sampled_from([0.1, 0.5, 0.9]) | st.sampled_from(["low", "high"])),
    st.builds(t.Exists, st.just(t.Field("prediction", "churn")), st.booleans()),
)  # fmt: skip


def where_filters() -> st.SearchStrategy[t.Node]:
    leaves = field_conditions(st.builds(t.Field, st.just("property"),
                                        st.sampled_from(["total", "currency"])))  # fmt: skip
    return st.recursive(leaves, lambda inner: st.one_of(
        st.builds(t.Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: t.And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: t.Or(tuple(xs)))), max_leaves=3)


dids = st.builds(t.Did, st.sampled_from(EVENTS), st.none() | durations, st.none() | where_filters())
event_conditions = st.one_of(
    dids,
    st.builds(t.Aggregate, st.just("count"), st.sampled_from(EVENTS), st.none(),
              st.none() | durations, st.none() | where_filters(), st.sampled_from(t.COMPARISONS),
              st.integers(0, 3)),
    st.builds(t.Aggregate, st.sampled_from(["sum", "avg", "min", "max"]), st.sampled_from(EVENTS),
              st.just("total"), st.none() | durations, st.none(), st.sampled_from(t.COMPARISONS),
              numbers),
    st.builds(t.Sequence, st.lists(dids, min_size=2, max_size=3).map(tuple),
              st.none() | durations),
)  # fmt: skip
leaves = st.one_of(
    field_conditions(profile_fields), prediction_conditions, event_conditions,
    st.builds(t.Consent, st.sampled_from(["email", "newsletter", "ads", "analytics"])),
    st.builds(t.InSegment, st.sampled_from(sorted(SEGMENTS))),
)  # fmt: skip
trees: st.SearchStrategy[t.Node] = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(t.Not, inner),
    st.lists(inner, min_size=2, max_size=3).map(lambda xs: t.And(tuple(xs))),
    st.lists(inner, min_size=2, max_size=3).map(lambda xs: t.Or(tuple(xs)))), max_leaves=4)
