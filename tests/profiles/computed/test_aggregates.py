"""Each aggregate, filter and window over events and records, against hand-computed values."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from opencdp.profiles.computed import compute_all, define

from .conftest import NOW, add_event, add_profiles, add_record, computed, days_ago

ORDER = "Order Completed"


@pytest.fixture
def shop(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """a: three orders and a page view; b: one refund-like event; c: nothing."""
    add_profiles(con, "a", "b", "c")
    add_event(con, "a", ORDER, days_ago(40), {"total": 30, "currency": "USD", "product": "mug"})
    add_event(con, "a", ORDER, days_ago(10), {"total": "12.5", "currency": "EUR",
                                                "product": "tea"})  # fmt: skip
    add_event(con, "a", ORDER, days_ago(2), {"revenue": 7.5, "currency": "USD", "product": "tea"})
    add_event(con, "a", None, days_ago(1), {"path": "/"}, type_="page", source="site")
    add_event(con, "b", "Order Refunded", days_ago(3), {"total": 5})
    return con


CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"aggregate": "count", "event": ORDER}, {"a": 3, "b": 0, "c": 0}),
    ({"aggregate": "count"}, {"a": 4, "b": 1, "c": 0}),
    ({"aggregate": "sum", "event": ORDER, "property": "total"}, {"a": 42.5, "b": 0, "c": 0}),
    ({"aggregate": "sum", "event": ORDER, "field": "order_amount"}, {"a": 50.0, "b": 0, "c": 0}),
    ({"aggregate": "avg", "event": ORDER, "property": ["total", "revenue"]}, {"a": 50 / 3}),
    ({"aggregate": "min", "event": ORDER, "property": "total"}, {"a": 12.5}),
    ({"aggregate": "max", "property": "total"}, {"a": 30.0, "b": 5.0}),
    ({"aggregate": "min", "property": "product", "as": "string"}, {"a": "mug"}),
    ({"aggregate": "max", "field": "timestamp"},
     {"a": "2024-05-31T12:00:00.000Z", "b": "2024-05-29T12:00:00.000Z"}),
    ({"aggregate": "first", "event": ORDER, "property": "product"}, {"a": "mug"}),
    ({"aggregate": "last", "event": ORDER, "property": "currency"}, {"a": "USD"}),
    ({"aggregate": "last", "property": "total"}, {"a": "12.5", "b": 5}),  # JSON kept as sent
    ({"aggregate": "last", "property": "total", "as": "number"}, {"a": 12.5, "b": 5.0}),
    ({"aggregate": "most_frequent", "event": ORDER, "property": "product"}, {"a": "tea"}),
    ({"aggregate": "most_frequent", "event": ORDER, "property": "currency"}, {"a": "USD"}),
    ({"aggregate": "distinct_list", "event": ORDER, "property": "product"},
     {"a": ["mug", "tea"], "b": [], "c": []}),
    ({"aggregate": "distinct_list", "field": "source_id"}, {"a": ["site", "web"], "b": ["web"],
                                                            "c": []}),
    ({"aggregate": "distinct_count", "property": "currency"}, {"a": 2, "b": 0, "c": 0}),
    # filters: equality, comparison, in-list, on strings and numbers
    ({"aggregate": "count", "where": [{"property": "currency", "op": "=", "value": "USD"}]},
     {"a": 2, "b": 0, "c": 0}),
    ({"aggregate": "count", "where": [{"property": "currency", "op": "!=", "value": "USD"}]},
     {"a": 1, "b": 0, "c": 0}),
    ({"aggregate": "count", "where": [{"property": "total", "op": ">=", "value": 12.5}]},
     {"a": 2, "b": 0, "c": 0}),
    ({"aggregate": "count", "where": [{"property": "total", "op": "<", "value": 12.5}]},
     {"a": 0, "b": 1, "c": 0}),
    ({"aggregate": "sum", "field": "order_amount",
      "where": [{"property": "product", "op": "in", "value": ["tea", "cake"]}]},
     {"a": 20.0, "b": 0, "c": 0}),
    ({"aggregate": "count", "where": [{"property": "total", "op": "in", "value": [30, 5]}]},
     {"a": 1, "b": 1, "c": 0}),
    ({"aggregate": "count", "event": [ORDER, "Order Refunded"], "type": "track"},
     {"a": 3, "b": 1, "c": 0}),
    ({"aggregate": "count", "source_id": "site"}, {"a": 1, "b": 0, "c": 0}),
    # windows: last N days from `now`
    ({"aggregate": "count", "event": ORDER, "window_days": 30}, {"a": 2, "b": 0, "c": 0}),
    ({"aggregate": "sum", "event": ORDER, "field": "order_amount", "window_days": 5},
     {"a": 7.5, "b": 0, "c": 0}),
    ({"aggregate": "first", "event": ORDER, "property": "product", "window_days": 30},
     {"a": "tea"}),
]


@pytest.mark.parametrize(("definition", "expected"), CASES)
def test_aggregate(shop: duckdb.DuckDBPyConnection, definition: dict[str, Any],
                   expected: dict[str, Any]) -> None:  # fmt: skip
    define(shop, "t", definition)
    compute_all(shop, now=NOW)
    got = {pid: values["t"] for pid, values in computed(shop).items() if "t" in values}
    numeric = all(isinstance(v, float) for v in expected.values())
    assert got == (pytest.approx(expected) if numeric else expected)


def test_boolean_filter_and_missing_property(con: duckdb.DuckDBPyConnection) -> None:
    add_profiles(con, "a")
    add_event(con, "a", "Signed Up", NOW, {"trial": True})
    add_event(con, "a", "Signed Up", NOW, {"trial": False})
    add_event(con, "a", "Signed Up", NOW, {})
    define(con, "trials", {"aggregate": "count", "where": [{"property": "trial", "value": True}]})
    define(con, "no_trials", {"aggregate": "count",
                              "where": [{"property": "trial", "op": "!=", "value": True}]})
    compute_all(con, now=NOW)
    assert computed(con)["a"] == {"trials": 1, "no_trials": 1}  # missing matches no condition


def test_first_and_last_break_time_ties_by_sequence(con: duckdb.DuckDBPyConnection) -> None:
    add_profiles(con, "a")
    add_event(con, "a", "Plan Changed", NOW, {"plan": "pro"}, seq=20)
    add_event(con, "a", "Plan Changed", NOW, {"plan": "free"}, seq=10)
    add_event(con, "a", "Plan Changed", days_ago(1), {"plan": None}, seq=30)  # null: no value
    define(con, "first_plan", {"aggregate": "first", "property": "plan"})
    define(con, "last_plan", {"aggregate": "last", "property": "plan"})
    compute_all(con, now=NOW)
    assert computed(con)["a"] == {"first_plan": "free", "last_plan": "pro"}


def test_records_aggregate_through_identity_links(con: duckdb.DuckDBPyConnection) -> None:
    add_profiles(con, "a", "b")
    add_record(con, "a", "tickets", "t1", {"satisfaction": "2"}, days_ago(50))
    add_record(con, "a", "tickets", "t2", {"satisfaction": "4"}, days_ago(5))
    add_record(con, "a", "crm", "c1", {"tier": "gold"}, days_ago(5))
    add_record(con, "b", "tickets", "t3", {"satisfaction": "n/a"}, days_ago(5))
    define(con, "csat", {"aggregate": "avg", "source": "records", "property": "satisfaction",
                         "source_id": "tickets"})  # fmt: skip
    define(con, "csat_30d", {"aggregate": "avg", "source": "records",
                             "property": "satisfaction", "window_days": 30})  # fmt: skip
    define(con, "tickets", {"aggregate": "count", "source": "records", "source_id": "tickets"})
    compute_all(con, now=NOW)
    assert computed(con) == {"a": {"csat": 3.0, "csat_30d": 4.0, "tickets": 2},
                             "b": {"tickets": 1}}  # fmt: skip


def test_recompute_keeps_other_traits_and_drops_stale_values(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_profiles(con, "a")
    add_event(con, "a", "Viewed", days_ago(1), {"x": 1})
    define(con, "views", {"aggregate": "count"})
    define(con, "last_x", {"aggregate": "last", "property": "x"})
    compute_all(con, now=NOW)
    con.execute("DELETE FROM profile_events")
    result = compute_all(con, now=NOW, names=["last_x"])
    assert result["traits"] == 1 and result["profiles"] == 1
    assert computed(con)["a"] == {"views": 1}  # views untouched, last_x gone
