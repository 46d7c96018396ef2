"""The JSON form: its shape, round trips, and errors naming the bad node's path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from opencdp.segments import InvalidSegment, from_json, parse, to_json
from opencdp.segments import tree as t
from tests.segments.strategies import trees


def test_shape_of_a_tree() -> None:
    tree = parse('country = "TH" and did("Order Completed", 30d where total > 100) '
                 'and birthday < date("2000-01-01")')  # fmt: skip
    assert to_json(tree) == {"type": "and", "args": [
        {"type": "compare", "field": {"kind": "auto", "name": "country"}, "op": "=",
         "value": "TH", "ignore_case": False},
        {"type": "did", "event": "Order Completed", "window": "30d", "where": {
            "type": "compare", "field": {"kind": "property", "name": "total"}, "op": ">",
            "value": 100, "ignore_case": False}},
        {"type": "compare", "field": {"kind": "auto", "name": "birthday"}, "op": "<",
         "value": {"date": "2000-01-01"}, "ignore_case": False},
    ]}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(trees)
def test_json_round_trip(tree: t.Node) -> None:
    assert from_json(json.loads(json.dumps(to_json(tree)))) == tree


COUNTRY = {"type": "compare", "field": {"kind": "auto", "name": "country"}, "op": "=",
           "value": "TH"}  # fmt: skip
X = {"kind": "auto", "name": "x"}


@pytest.mark.parametrize(("data", "path", "reason"), [
    ([], "", "must be an object"),
    ({"type": "xor"}, "type", "unknown node type 'xor'"),
    ({"type": "and", "args": [COUNTRY]}, "", "needs at least two conditions"),
    ({"type": "and", "args": [COUNTRY, {"type": "did"}]}, "args[1].event",
     "missing or of the wrong type"),
    ({"type": "or", "args": [COUNTRY, {**COUNTRY, "op": "~"}]}, "args[1].op",
     "unknown operator '~'"),
    ({"type": "not", "arg": {**COUNTRY, "value": [1]}}, "arg.value", "a value is a text"),
    ({"type": "not", "arg": {**COUNTRY, "field": {"kind": "trait"}}}, "arg.field.name", "missing"),
    ({**COUNTRY, "field": {"kind": "auto", "name": "first name"}}, "field.name",
     "cannot be written bare"),
    ({**COUNTRY, "field": {"kind": "property", "name": "x"}}, "field",
     "only be tested inside where"),
    ({"type": "did", "event": "X", "window": "30 days"}, "window", "a duration such as 30d"),
    ({"type": "did", "event": "X", "where": {"type": "consent", "purpose": "email"}}, "where",
     "a where filter can only test event properties"),
    ({"type": "aggregate", "function": "median", "event": "X", "op": ">", "value": 1}, "function",
     "unknown aggregate"),
    ({"type": "aggregate", "function": "sum", "event": "X", "op": ">", "value": 1}, "property",
     "non-empty string"),
    ({"type": "aggregate", "function": "count", "event": "X", "op": ">", "value": True}, "value",
     "missing or of the wrong type"),
    ({"type": "sequence", "steps": [{"type": "did", "event": "X"}, COUNTRY]}, "steps[1]",
     "each step of a sequence is a did"),
    ({"type": "consent", "purpose": "spam"}, "purpose", "unknown purpose 'spam'"),
    ({"type": "in", "field": X, "values": []}, "values", "the list is empty"),
    ({"type": "relative_time", "field": X, "op": "since", "duration": "3d"},
     "op", "unknown time operator"),
])  # fmt: skip
def test_invalid_trees_name_the_bad_node(data: Any, path: str, reason: str) -> None:
    with pytest.raises(InvalidSegment) as info:
        from_json(data)
    assert info.value.path == path
    assert reason in info.value.reason
