"""The real-time path: folding new events, late events for first/last, and window expiry."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from opencdp.profiles.computed import (
    apply_events,
    compute_all,
    compute_for,
    define,
    expire_windows,
    get_trait,
)

from .conftest import NOW, add_event, add_profiles, computed, days_ago


def test_apply_events_folds_without_reading_history(con: duckdb.DuckDBPyConnection) -> None:
    add_profiles(con, "a", "b")
    add_event(con, "a", "Order Completed", days_ago(5), {"total": 10, "item": "mug"})
    define(con, "orders", {"aggregate": "count", "event": "Order Completed"})
    define(con, "spent", {"aggregate": "sum", "event": "Order Completed", "property": "total"})
    define(con, "first_item", {"aggregate": "first", "property": "item"})
    define(con, "last_item", {"aggregate": "last", "property": "item"})
    compute_all(con, now=NOW)
    # history is gone from the table: folding must use the stored values only
    con.execute("DELETE FROM profile_events")
    late = add_event(con, "a", "Order Completed", days_ago(9), {"total": 1, "item": "cup"})
    new = add_event(con, "a", "Order Completed", days_ago(1), {"total": 2, "item": "pot"})
    other = add_event(con, "b", "Page Viewed", days_ago(1), {})
    result = apply_events(con, [late, new, other], now=NOW)
    assert result["profiles"] == 2 and result["folded"] == 4 and result["recomputed"] == 0
    assert computed(con)["a"] == {"orders": 3, "spent": 13.0, "first_item": "cup",
                                  "last_item": "pot"}  # fmt: skip
    assert computed(con)["b"] == {"orders": 0, "spent": 0}
    # an event older than the last but newer than the first changes neither
    middle = add_event(con, "a", "Order Completed", days_ago(7), {"item": "jar"})
    apply_events(con, [middle], now=NOW)
    assert computed(con)["a"]["first_item"] == "cup"
    assert computed(con)["a"]["last_item"] == "pot"
    assert computed(con)["a"]["orders"] == 4


def test_apply_events_recomputes_windowed_traits_of_touched_profiles(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_profiles(con, "a", "b")
    add_event(con, "a", "Viewed", days_ago(3))
    add_event(con, "b", "Viewed", days_ago(3))
    define(con, "views_7d", {"aggregate": "count", "window_days": 7})
    compute_all(con, now=NOW)
    row = add_event(con, "a", "Viewed", NOW)
    add_event(con, "b", "Viewed", NOW)  # in the table, but not applied: b is not touched
    result = apply_events(con, [row], now=NOW)
    assert result["recomputed"] == 1
    assert {p: v["views_7d"] for p, v in computed(con).items()} == {"a": 2, "b": 1}


def test_compute_for_touches_only_listed_profiles(con: duckdb.DuckDBPyConnection) -> None:
    add_profiles(con, "a", "b")
    define(con, "views", {"aggregate": "count"})
    compute_all(con, now=NOW)
    add_event(con, "a", "Viewed", NOW)
    add_event(con, "b", "Viewed", NOW)
    result = compute_for(con, ["a", "ghost"], now=NOW)
    assert (result["requested"], result["profiles"]) == (2, 1)
    assert computed(con) == {"a": {"views": 1}, "b": {"views": 0}}


def test_expire_windows_recomputes_only_profiles_whose_events_left(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_profiles(con, "a", "b", "c")
    add_event(con, "a", "Viewed", days_ago(6))  # leaves a 7-day window after 1 day
    add_event(con, "a", "Viewed", days_ago(1))
    add_event(con, "b", "Viewed", days_ago(2))  # leaves after 5 days
    add_event(con, "c", "Clicked", days_ago(6.5))  # leaves too, but does not match
    define(con, "views_7d", {"aggregate": "count", "event": "Viewed", "window_days": 7})
    define(con, "views", {"aggregate": "count", "event": "Viewed"})
    compute_all(con, now=NOW)
    # a stale value for c shows that c is not recomputed (nothing of its matches the trait)
    con.execute("UPDATE profiles SET computed = '{\"views_7d\": 99, \"views\": 0}'"
                " WHERE profile_id = 'c'")  # fmt: skip
    later = NOW + timedelta(days=1, hours=1)
    result = expire_windows(con, now=later)
    assert (result["recomputed"], result["profiles"], result["full"]) == (["views_7d"], 1, [])
    assert {p: v["views_7d"] for p, v in computed(con).items()} == {"a": 1, "b": 1, "c": 99}
    assert get_trait(con, "views_7d")["computed_at"] == later
    result = expire_windows(con, now=later + timedelta(days=4))
    assert result["profiles"] == 1
    assert {p: v["views_7d"] for p, v in computed(con).items()} == {"a": 1, "b": 0, "c": 99}


def test_expire_windows_computes_a_never_computed_trait_in_full(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_profiles(con, "a")
    add_event(con, "a", "Viewed", days_ago(1))
    define(con, "views_7d", {"aggregate": "count", "window_days": 7})
    result = expire_windows(con, now=NOW)
    assert result["full"] == ["views_7d"]
    assert computed(con)["a"] == {"views_7d": 1}
