"""Built-in traits: RFM (hand-computed on ten profiles), e-mail rates, NPS, satisfaction,
channels, order value."""

from __future__ import annotations

import duckdb
import pytest

from opencdp.profiles.computed import compute_all, compute_for, register_builtins
from opencdp.profiles.computed.rfm import segment_for, thresholds_of

from .conftest import NOW, add_event, add_profiles, add_record, computed, days_ago

ORDER = "Order Completed"


@pytest.fixture
def builtins(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    register_builtins(con)
    return con


def test_rfm_grid_names_every_cell() -> None:
    expected = {
        (1, 1): "Lost", (1, 2): "Hibernating", (2, 1): "Hibernating", (2, 2): "Hibernating",
        (1, 3): "At risk", (2, 4): "At risk", (1, 5): "Cannot lose them",
        (2, 5): "Cannot lose them", (3, 1): "About to sleep", (3, 2): "About to sleep",
        (3, 3): "Need attention", (3, 4): "Loyal", (4, 5): "Loyal", (4, 1): "Promising",
        (5, 1): "New", (4, 2): "Potential loyalist", (5, 3): "Potential loyalist",
        (5, 4): "Champions", (5, 5): "Champions",
    }  # fmt: skip
    for (r, f), name in expected.items():
        assert segment_for(r, f) == name, (r, f)
    names = {segment_for(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert len(names) == 11


def test_rfm_on_ten_profiles(builtins: duckdb.DuckDBPyConnection) -> None:
    # p<i> has i orders of 10 each, the last one i*10 days ago: the most frequent buyers are
    # the least recent. Ten profiles, so ranks 1-2 score 1, 3-4 score 2, … 9-10 score 5.
    ids = [f"p{i:02d}" for i in range(1, 11)]
    add_profiles(builtins, *ids, "nobody")
    for i, pid in enumerate(ids, start=1):
        for k in range(i):
            add_event(builtins, pid, ORDER, days_ago(i * 10 + k), {"total": 10})
    add_event(builtins, "nobody", "Product Viewed", days_ago(1))
    compute_all(builtins, now=NOW)
    values = computed(builtins)
    assert "rfm" not in values["nobody"]
    expected_scores = {1: (5, 1), 2: (5, 1), 3: (4, 2), 4: (4, 2), 5: (3, 3), 6: (3, 3),
                       7: (2, 4), 8: (2, 4), 9: (1, 5), 10: (1, 5)}  # fmt: skip
    groups = {1: "New", 2: "New", 3: "Potential loyalist", 4: "Potential loyalist",
              5: "Need attention", 6: "Need attention", 7: "At risk", 8: "At risk",
              9: "Cannot lose them", 10: "Cannot lose them"}  # fmt: skip
    for i, pid in enumerate(ids, start=1):
        r, f = expected_scores[i]
        assert values[pid]["rfm"] == {
            "recency_days": i * 10, "frequency": i, "monetary": 10.0 * i, "r": r, "f": f,
            "m": f, "score": f"{r}{f}{f}", "segment": groups[i],
        }, pid  # fmt: skip
    assert values["p03"]["order_count"] == 3
    assert values["p03"]["total_spent"] == 30.0
    assert values["p03"]["average_order_value"] == 10.0


def test_rfm_ties_share_a_score_and_compute_for_uses_stored_thresholds(
    builtins: duckdb.DuckDBPyConnection,
) -> None:
    # frequencies 1,1,1,2,3: three profiles below 2 -> 1+floor(5*3/5) = 4; four below 3 -> 5
    add_profiles(builtins, "a", "b", "c", "d", "e")
    for pid, n in {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}.items():
        for _ in range(n):
            add_event(builtins, pid, ORDER, days_ago(5), {"price": 2, "quantity": 3})
    compute_all(builtins, now=NOW)
    scores = {pid: v["rfm"]["f"] for pid, v in computed(builtins).items()}
    assert scores == {"a": 1, "b": 1, "c": 1, "d": 4, "e": 5}
    assert computed(builtins)["e"]["rfm"]["monetary"] == 18.0  # price × quantity
    assert thresholds_of([1, 1, 1, 2, 3]) == [1, 1, 1, 2]
    # a buys twice more (3 orders, one today): scored against the stored population
    add_event(builtins, "a", ORDER, NOW, {"total": 1})
    add_event(builtins, "a", ORDER, NOW, {"total": 1})
    compute_for(builtins, ["a"], now=NOW)
    rfm = computed(builtins)["a"]["rfm"]
    assert (rfm["r"], rfm["f"], rfm["recency_days"]) == (5, 5, 0)
    assert computed(builtins)["b"]["rfm"]["f"] == 1


def test_email_rates_count_each_campaign_once(builtins: duckdb.DuckDBPyConnection) -> None:
    add_profiles(builtins, "a", "b", "c")
    for campaign in ("c1", "c2", "c3", "c4"):
        add_event(builtins, "a", "Email Sent", days_ago(9), {"campaign_id": campaign})
    for campaign in ("c1", "c1", "c2", "c3"):  # c1 opened twice
        add_event(builtins, "a", "Email Opened", days_ago(8), {"campaign_id": campaign})
    add_event(builtins, "a", "Email Link Clicked", days_ago(8), {"campaign_id": "c2"})
    add_event(builtins, "b", "Email Sent", days_ago(9), {})
    add_event(builtins, "c", "Email Opened", days_ago(9), {"campaign_id": "c1"})  # never sent
    compute_all(builtins, now=NOW)
    values = computed(builtins)
    assert (values["a"]["email_open_rate"], values["a"]["email_click_rate"]) == (0.75, 0.25)
    assert (values["b"]["email_open_rate"], values["b"]["email_click_rate"]) == (0.0, 0.0)
    assert "email_open_rate" not in values["c"]


def test_nps_category_and_satisfaction(builtins: duckdb.DuckDBPyConnection) -> None:
    cases = {"pro": "10", "pas": "7", "det": "6", "bad": "11"}
    add_profiles(builtins, *cases, "none")
    for pid, score in cases.items():
        add_record(builtins, pid, "survey", f"old-{pid}", {"nps": "0", "rating": "1"},
                   days_ago(100))  # fmt: skip
        add_record(builtins, pid, "survey", f"new-{pid}", {"nps": score, "rating": "5"},
                   days_ago(1))  # fmt: skip
    add_record(builtins, "pro", "tickets", "t1", {"satisfaction": "3"}, days_ago(3))
    compute_all(builtins, now=NOW)
    values = computed(builtins)
    got = {pid: (values[pid].get("nps"), values[pid].get("nps_category")) for pid in cases}
    assert got == {"pro": (10.0, "promoter"), "pas": (7.0, "passive"),
                   "det": (6.0, "detractor"), "bad": (0.0, "detractor")}  # 11 is no score
    assert values["pro"]["satisfaction"] == 3.0  # (1 + 5 + 3) / 3
    assert values["pas"]["satisfaction"] == 3.0
    assert values["none"] == {"order_count": 0, "total_spent": 0, "channels_used": []}


def test_channels_and_last_seen(builtins: duckdb.DuckDBPyConnection) -> None:
    add_profiles(builtins, "a")
    add_event(builtins, "a", None, days_ago(3), type_="page", source="website")
    add_event(builtins, "a", "Order Completed", days_ago(2), {"total": 5}, source="shopify")
    add_event(builtins, "a", None, days_ago(1), type_="screen", source="ios")
    add_event(builtins, "a", None, NOW, type_="identify", source="crm")  # not an interaction
    compute_all(builtins, now=NOW)
    values = computed(builtins)["a"]
    assert values["channels_used"] == ["ios", "shopify", "website"]
    assert values["last_seen"] == "2024-06-01T12:00:00.000Z"
    assert values["first_seen"] == "2024-05-29T12:00:00.000Z"
    assert values["last_order_at"] == "2024-05-30T12:00:00.000Z"
