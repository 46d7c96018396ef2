"""Parsing definitions, refusing bad ones with a reason, and the stored catalog."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from opencdp.profiles.computed import (
    ComputedTraitNotFound,
    InvalidComputedTrait,
    define,
    delete_trait,
    get_trait,
    list_traits,
    parse_definition,
    register_builtins,
)
from opencdp.profiles.computed.builtins import BUILTIN_TRAITS

from .conftest import NOW, add_event, add_profiles, computed


def test_parse_fills_defaults_and_types() -> None:
    d = parse_definition({"aggregate": "sum", "event": "Order Completed", "property": "total",
                          "where": [{"property": "currency", "op": "in", "value": ["USD", "EUR"]}],
                          "window_days": 30})  # fmt: skip
    assert (d.source, d.events, d.properties, d.value_type, d.window_days) == (
        "events", ("Order Completed",), ("total",), "number", 30)
    assert d.where[0].value == ("USD", "EUR")
    assert not d.incremental  # windowed
    assert parse_definition({"aggregate": "last", "property": "plan"}).value_type == "json"
    assert parse_definition({"aggregate": "max", "field": "timestamp"}).value_type == "timestamp"
    assert parse_definition({"aggregate": "count"}).incremental


@pytest.mark.parametrize(("definition", "reason"), [
    ([], "JSON object"),
    ({"aggregate": "median", "property": "x"}, "aggregate must be one of"),
    ({"aggregate": "sum"}, "needs a 'property' or a 'field'"),
    ({"aggregate": "count", "property": "x"}, "count counts matching events"),
    ({"aggregate": "sum", "property": "x", "field": "timestamp"}, "not both"),
    ({"aggregate": "sum", "field": "event"}, "needs numbers"),
    ({"aggregate": "min", "property": "x", "as": "json"}, "compares numbers"),
    ({"aggregate": "max", "field": "timestamp", "as": "number"}, "is a timestamp"),
    ({"aggregate": "count", "source": "crm"}, "source must be one of"),
    ({"aggregate": "count", "source": "records", "event": "X"}, "no event name"),
    ({"aggregate": "count", "event": []}, "non-empty string"),
    ({"aggregate": "count", "window_days": 0}, "window_days"),
    ({"aggregate": "count", "window_days": 1.5}, "window_days"),
    ({"aggregate": "count", "window_days": True}, "window_days"),
    ({"aggregate": "count", "where": {"property": "x"}}, "list of"),
    ({"aggregate": "count", "where": [{"property": "x", "op": "~", "value": 1}]}, "op must"),
    ({"aggregate": "count", "where": [{"property": "x", "value": None}]}, "string, number"),
    ({"aggregate": "count", "where": [{"property": "x", "op": "in", "value": []}]}, "'in'"),
    ({"aggregate": "count", "where": [{"property": "x", "op": "in", "value": ["a", 1]}]},
     "only strings or only numbers"),
    ({"aggregate": "count", "where": [{"property": "x", "op": ">", "value": True}]},
     "does not order booleans"),
    ({"aggregate": "last", "property": 'a"b'}, "property"),
    ({"aggregate": "count", "colour": "red"}, "unknown keys"),
    ({"builtin": "ltv"}, "builtin must be one of"),
    ({"builtin": "rate", "event": "Email Opened"}, "needs per"),
    ({"builtin": "rate", "event": "A", "per": "A"}, "two different events"),
    ({"builtin": "rfm", "where": []}, "takes only"),
])  # fmt: skip
def test_bad_definitions_are_refused_with_a_reason(definition: Any, reason: str) -> None:
    with pytest.raises(InvalidComputedTrait, match=reason):
        parse_definition(definition)


def test_bad_names_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("", "Orders", "1st", "a-b", "x" * 64):
        with pytest.raises(InvalidComputedTrait, match="name"):
            define(con, name, {"aggregate": "count"})


def test_define_get_list_replace_delete(con: duckdb.DuckDBPyConnection) -> None:
    first = define(con, "orders", {"aggregate": "count", "event": "Order Completed"})
    assert first["definition"] == {"aggregate": "count", "event": "Order Completed"}
    assert first["builtin"] is False
    define(con, "orders", {"aggregate": "count", "event": "Order Refunded"})
    assert get_trait(con, "orders")["definition"]["event"] == "Order Refunded"
    assert [t["name"] for t in list_traits(con)] == ["orders"]
    delete_trait(con, "orders")
    assert list_traits(con) == []
    with pytest.raises(ComputedTraitNotFound):
        get_trait(con, "orders")
    with pytest.raises(ComputedTraitNotFound):
        delete_trait(con, "orders")


def test_delete_removes_the_value_from_profiles(con: duckdb.DuckDBPyConnection) -> None:
    from opencdp.profiles.computed import compute_all

    add_profiles(con, "a")
    add_event(con, "a", "Signed Up", NOW)
    define(con, "events", {"aggregate": "count"})
    define(con, "kinds", {"aggregate": "distinct_count", "field": "event"})
    compute_all(con, now=NOW)
    assert computed(con)["a"] == {"events": 1, "kinds": 1}
    delete_trait(con, "events")
    assert computed(con)["a"] == {"kinds": 1}


def test_register_builtins_is_idempotent_and_protected(con: duckdb.DuckDBPyConnection) -> None:
    assert sorted(register_builtins(con)) == sorted(BUILTIN_TRAITS)
    assert register_builtins(con) == []
    rows = list_traits(con)
    assert len(rows) == len(BUILTIN_TRAITS) and all(r["builtin"] for r in rows)
    with pytest.raises(InvalidComputedTrait, match="built-in"):
        define(con, "rfm", {"aggregate": "count"})
    for definition in BUILTIN_TRAITS.values():
        parse_definition(definition)
