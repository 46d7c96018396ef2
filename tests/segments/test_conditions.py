"""Each kind of condition against hand-computed members on small data in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from opencdp.segments import InvalidSegment
from tests.segments.world import NOW, Event, World, ago, load, members, new_database


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = new_database()
    load(con, WORLD)
    yield con
    con.close()


WORLD = World(
    traits={
        "ann": {"country": "TH", "score": 12, "email": "Ann@Gmail.com", "vip": True,
                "signup_at": ago(days=3).isoformat(), "birthday": "1990-05-01",
                "address": {"city": "Bangkok"}, "first name": "Ann"},
        "bob": {"country": "JP", "score": "7.5", "email": "bob@example.com", "vip": False,
                "signup_at": ago(days=40).isoformat(), "birthday": "2010-01-01"},
        "cat": {"country": "th", "score": "n/a", "signup_at": ago(days=30).isoformat()},
        "dan": {},
    },
    computed={"ann": {"ltv": 250}, "bob": {"ltv": 40}, "cat": {}, "dan": {"ltv": 0}},
    events=[
        Event("ann", "Order Completed", ago(days=2), {"total": 120, "currency": "THB"}),
        Event("ann", "Order Completed", ago(days=10), {"total": 80, "currency": "THB"}),
        Event("ann", "Product Viewed", ago(days=11)),
        Event("bob", "Order Completed", ago(days=45), {"total": 300, "currency": "JPY"}),
        Event("bob", "Product Viewed", ago(days=1)),
        Event("bob", "Order Completed", ago(hours=1), {"total": "n/a"}),
        Event("cat", "Email Opened", ago(days=7)),
        Event("cat", "Product Viewed", ago(days=20)),
        Event("cat", "Order Completed", ago(days=12)),
    ],
    identifiers=[("email", "ann@gmail.com", "ann"), ("email", "bob@example.com", "bob"),
                 ("phone", "+6681234", "ann"), ("email", "old@gmail.com", "cat")],
    consents=[("ann", "email_marketing", True), ("bob", "email_marketing", False),
              ("cat", "advertising", True)],
    predictions=[("ann", "churn", 0.9, "high", ago(days=1)),
                 ("ann", "churn", 0.2, "low", ago(days=9)),
                 ("bob", "churn", 0.3, "low", ago(days=1))],
    members={"seg_churn": {"bob", "dan"}},
)  # fmt: skip


@pytest.mark.parametrize(("segment", "expected"), [
    ('country = "TH"', {"ann"}),
    ('country = "th" ignore_case', {"ann", "cat"}),
    ('country != "TH"', {"bob", "cat"}),  # dan has no country: != needs a value
    ('not country = "TH"', {"bob", "cat", "dan"}),
    ("score > 10", {"ann"}),
    ("score <= 7.5", {"bob"}),  # "7.5" is a number; "n/a" is none
    ("score >= 7.5 and score < 12", {"bob"}),
    ('score = "12"', {"ann"}),
    ('country in ["TH", "JP"]', {"ann", "bob"}),
    ('country not in ["TH", "JP"]', {"cat"}),
    ('country in ["th"] ignore_case', {"ann", "cat"}),
    ("score in [12, 7.5]", {"ann", "bob"}),
    ('email contains "@gmail"', set()),
    ('email contains "@gmail" ignore_case', {"ann"}),
    ('email starts_with "bob"', {"bob"}),
    ('email ends_with ".COM" ignore_case', {"ann", "bob"}),
    ("email exists", {"ann", "bob"}),
    ("email not exists", {"cat", "dan"}),
    ("vip = true", {"ann"}),
    ("vip != true", {"bob"}),
    ("score between 7.5 and 12", {"ann", "bob"}),
    ('birthday between date("1990-01-01") and date("2000-12-31")', {"ann"}),
    ('birthday < date("2000-01-01")', {"ann"}),
    ("signup_at within 30d", {"ann", "cat"}),  # cat signed up exactly 30 days ago
    ("signup_at within 29d", {"ann"}),
    ("signup_at before 30d ago", {"bob"}),
    ("signup_at after 30d ago", {"ann"}),
    ("birthday before 18y ago", {"ann"}),
    ("address.city = \"Bangkok\"", {"ann"}),
    ('trait("first name") = "Ann"', {"ann"}),
    ("ltv >= 40", {"ann", "bob"}),  # bare name of a computed trait
    ("computed(\"ltv\") = 0", {"dan"}),
    ("trait(\"ltv\") exists", set()),
])  # fmt: skip
def test_trait_conditions(con: duckdb.DuckDBPyConnection, segment: str, expected: set[str]) -> None:
    assert members(con, segment, computed=frozenset({"ltv"})) == expected


def test_a_bare_name_is_a_trait_unless_a_computed_trait_has_it(
        con: duckdb.DuckDBPyConnection) -> None:
    assert members(con, "ltv exists") == set()
    assert members(con, "ltv exists", computed=frozenset({"ltv"})) == {"ann", "bob", "dan"}


@pytest.mark.parametrize(("segment", "expected"), [
    ('did("Order Completed")', {"ann", "bob", "cat"}),
    ('did("Order Completed", 7d)', {"ann", "bob"}),
    ('not did("Order Completed", 7d)', {"cat", "dan"}),
    ('did("Email Opened", 7d)', {"cat"}),  # exactly 7 days ago is inside the window
    ('did("Email Opened", 167h)', set()),
    ('did("Order Completed" where total > 100 and currency = "THB")', {"ann"}),
    ('did("Order Completed" where currency not exists)', {"bob", "cat"}),
    ('count("Order Completed", 30d) >= 2', {"ann"}),
    ('count("Order Completed") = 2', {"ann", "bob"}),
    ('count("Order Completed", 30d) < 1', {"dan"}),
    ('count("Order Completed", 30d) = 0', {"dan"}),
    ('count("Order Completed", 30d where total > 100) != 1', {"bob", "cat", "dan"}),
    ('sum("Order Completed", "total") > 200', {"bob"}),  # "n/a" totals count as nothing
    ('sum("Order Completed", "total", 30d) = 200', {"ann"}),
    ('sum("Order Completed", "total", 30d) < 100', {"bob", "cat", "dan"}),  # none is 0
    ('avg("Order Completed", "total") = 100', {"ann"}),
    ('min("Order Completed", "total") < 100', {"ann"}),
    ('max("Order Completed", "total") >= 300', {"bob"}),
    ('avg("Order Completed", "total") >= 0', {"ann", "bob"}),  # cat has no numeric total
])  # fmt: skip
def test_event_conditions(con: duckdb.DuckDBPyConnection, segment: str, expected: set[str]) -> None:
    assert members(con, segment) == expected


@pytest.mark.parametrize(("segment", "expected"), [
    ('did("Product Viewed") then did("Order Completed")', {"ann", "bob", "cat"}),
    ('did("Product Viewed") then did("Order Completed") within 2d', {"ann", "bob"}),
    ('did("Product Viewed") then did("Order Completed") within 23h', {"bob"}),
    ('did("Product Viewed") then did("Order Completed") within 8d', {"ann", "bob", "cat"}),
    ('did("Order Completed") then did("Product Viewed")', {"bob"}),
    ('did("Order Completed") then did("Order Completed")', {"ann", "bob"}),
    ('did("Product Viewed" ) then did("Order Completed" where total > 100)', {"ann"}),
    ('did("Product Viewed", 5d) then did("Order Completed")', {"bob"}),
    ('did("Product Viewed") then did("Order Completed") then did("Email Opened")', {"cat"}),
    ('not did("Product Viewed") then did("Order Completed")', {"dan"}),
])  # fmt: skip
def test_sequences(con: duckdb.DuckDBPyConnection, segment: str, expected: set[str]) -> None:
    assert members(con, segment) == expected


@pytest.mark.parametrize(("segment", "expected"), [
    ('identifier("email") exists', {"ann", "bob", "cat"}),
    ('identifier("phone") not exists', {"bob", "cat", "dan"}),
    ('identifier("email") ends_with "@gmail.com"', {"ann", "cat"}),
    ('identifier("email") = "bob@example.com"', {"bob"}),
    ('consent("email")', {"ann"}),
    ('consent("newsletter")', {"ann"}),
    ('consent("ads")', {"cat"}),
    ('not consent("email")', {"bob", "cat", "dan"}),
    ('in_segment("churn-risk")', {"bob", "dan"}),
    ('not in_segment("churn-risk")', {"ann", "cat"}),
    ('prediction("churn") > 0.7', {"ann"}),  # the latest score counts, not the older 0.2
    ('prediction("churn") = "low"', {"bob"}),
    ('prediction("churn") exists', {"ann", "bob"}),
    ('prediction("churn") not exists', {"cat", "dan"}),
    ('country = "TH" and did("Order Completed", 30d) or in_segment("churn-risk")',
     {"ann", "bob", "dan"}),
    ('country = "TH" and (did("Email Opened") or in_segment("churn-risk"))', set()),
])  # fmt: skip
def test_profile_conditions(con: duckdb.DuckDBPyConnection, segment: str,
                            expected: set[str]) -> None:  # fmt: skip
    assert members(con, segment, segments={"churn-risk": "seg_churn"}) == expected


def test_windows_move_with_now(con: duckdb.DuckDBPyConnection) -> None:
    from datetime import timedelta

    later = NOW + timedelta(days=5)
    assert members(con, 'did("Order Completed", 7d)', now=later) == {"ann", "bob"}
    assert members(con, 'did("Order Completed", 6d)', now=later) == {"bob"}
    assert members(con, "signup_at within 30d", now=later) == {"ann"}


def test_restrict_to_evaluates_only_the_listed_profiles(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE arrived AS SELECT 'ann' AS profile_id UNION ALL SELECT 'dan'")
    assert members(con, 'count("Order Completed", 30d) < 1', restrict_to="arrived") == {"dan"}
    assert members(con, 'did("Order Completed")', restrict_to="arrived") == {"ann"}
    assert members(con, 'identifier("phone") exists', restrict_to="arrived") == {"ann"}


def test_unknown_segment_names_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidSegment, match="unknown segment 'nope'") as info:
        members(con, 'country = "TH" and in_segment("nope")')
    assert info.value.path == "args[1].segment"


def test_restrict_to_must_be_a_table_name(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="not a table name"):
        members(con, "x exists", restrict_to="t; DROP TABLE profiles")
