"""Parsing and printing the text form: examples, round trips and syntax errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.segments import (
    InvalidSegment,
    SegmentSyntaxError,
    from_json,
    parse,
    referenced_events,
    referenced_segments,
    to_json,
    to_text,
)
from opencdp.segments import tree as t
from opencdp.segments.references import depends_on_time
from tests.segments.strategies import trees

EXAMPLE = ('country = "TH" and count("Order Completed", 30d) >= 2 and did("Email Opened", 7d) '
           'and consent("email") and not in_segment("churn-risk")')  # fmt: skip


def test_the_example_segment_parses_to_the_tree_it_says() -> None:
    assert parse(EXAMPLE) == t.And((
        t.Compare(t.Field("auto", "country"), "=", "TH"),
        t.Aggregate("count", "Order Completed", None, t.Duration(30, "d"), None, ">=", 2),
        t.Did("Email Opened", t.Duration(7, "d")),
        t.Consent("email"),
        t.Not(t.InSegment("churn-risk")),
    ))  # fmt: skip
    assert to_text(parse(EXAMPLE)) == EXAMPLE


def test_precedence_is_not_then_and_then_or() -> None:
    a, b, c = (t.Exists(t.Field("auto", n)) for n in "abc")
    assert parse("a exists or b exists and c exists") == t.Or((a, t.And((b, c))))
    assert parse("not a exists and b exists") == t.And((t.Not(a), b))
    assert parse("(a exists or b exists) and c exists") == t.And((t.Or((a, b)), c))
    assert to_text(t.And((t.Or((a, b)), c))) == "(a exists or b exists) and c exists"


def test_where_filters_name_event_properties() -> None:
    node = parse('did("Order Completed", 30d where total > 100 and currency = "THB")')
    assert node == t.Did("Order Completed", t.Duration(30, "d"), t.And((
        t.Compare(t.Field("property", "total"), ">", 100),
        t.Compare(t.Field("property", "currency"), "=", "THB"))))  # fmt: skip


def test_sequences_chain_did_steps() -> None:
    node = parse('did("Product Viewed") then did("Order Completed", 30d) within 7d')
    steps = (t.Did("Product Viewed"), t.Did("Order Completed", t.Duration(30, "d")))
    assert node == t.Sequence(steps, t.Duration(7, "d"))


def test_references() -> None:
    node = parse('in_segment("a") or not (did("X") and count("Y", 2d where z = 1) > 1) '
                 'or in_segment("b")')  # fmt: skip
    assert referenced_segments(node) == {"a", "b"}
    assert referenced_events(node) == {"X", "Y"}
    assert depends_on_time(node)
    assert not depends_on_time(parse('did("X") and x = 1'))


@settings(max_examples=300, deadline=None)
@given(trees)
def test_text_round_trip(tree: t.Node) -> None:
    assert parse(to_text(tree)) == tree


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1).filter(
    lambda s: "" not in s.split("."))
odd_leaves = st.one_of(
    st.builds(t.Compare, st.builds(t.Field, st.sampled_from(["trait", "computed", "identifier"]),
                                   names), st.just("="), st.text() | st.integers() |
              st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(t.Did, st.text(min_size=1), st.none(), st.builds(
        t.Exists, st.builds(t.Field, st.just("property"), names))),
    st.builds(t.InSegment, st.text(min_size=1)),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(odd_leaves)
def test_any_names_and_values_round_trip(tree: t.Node) -> None:
    assert parse(to_text(tree)) == tree
    assert from_json(json.loads(json.dumps(to_json(tree)))) == tree


@pytest.mark.parametrize(("text", "position", "message"), [
    ("", 0, "expected a condition, found end of text"),
    ('country = ', 10, "expected a value"),
    ('country "TH"', 8, "expected an operator"),
    ('country = "TH" and', 18, "expected a condition"),
    ('country = "TH" or or', 18, "expected a condition"),
    ('(country = "TH"', 15, "expected ')'"),
    ('country = "TH")', 14, "expected 'and', 'or' or the end"),
    ('did("X", 30)', 9, "expected a duration"),
    ('did("X", 30days)', 9, "unexpected '3'"),
    ('count("X") >= "two"', 14, "count(...) compares with a number"),
    ('count("X")', 10, "expected a comparison"),
    ('sum("X", 30d) > 1', 9, "expected a quoted property name"),
    ('foo("x") = 1', 0, "expected a known function"),
    ('country = "TH', 10, "an unterminated string"),
    ('x = 1 and did("X" where did("Y"))', 24, "expected an event property condition"),
    ('did("X") then count("Y") > 1', 14, "expected did(...) after 'then'"),
    ('consent("spam")', 0, "unknown purpose 'spam'"),
    ('x = 1 and y contains 3', 10, "contains and ignore_case need a text value"),
    ('x in [1, "a"]', 0, "a list holds only texts or only numbers"),
    ('x between 1 and date("2024-01-01")', 0, "between takes two numbers or two dates"),
    ('x = date("yesterday")', 0, "not an ISO 8601 date"),
    ('x = true ignore_case', 0, "need a text value"),
    ('x < true', 0, "true/false only compare with = or !="),
    ("x within 0d", 0, "a duration is a whole number from 1"),
    ('prediction("churn") within 3d', 0, "a prediction is not a time"),
])  # fmt: skip
def test_syntax_errors_say_where_and_what(text: str, position: int, message: str) -> None:
    with pytest.raises(SegmentSyntaxError) as info:
        parse(text)
    assert info.value.position == position
    assert message in str(info.value)
    assert isinstance(info.value, InvalidSegment | ValueError)
