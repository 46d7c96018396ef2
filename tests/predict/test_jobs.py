"""Training on the shop: every kind scores, validates on a time split and lands in the registry;
scores are usable in segments; too few examples refuse with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.predict.features import features_at
from opencdp.predict.propensity import NotEnoughExamples
from opencdp.predict.service import refresh_due
from opencdp.workspace import Workspace
from tests.collecting import collect
from tests.predict import shop
from tests.predict.conftest import AS_OF


def scores(admin: Admin, name: str) -> dict[str, float]:
    rows = admin.ws.read(lambda con: con.execute(
        "SELECT profile_id, value FROM profile_predictions WHERE prediction = ?", [name]
    ).fetchall())  # fmt: skip
    return dict(rows)


def test_clv_scores_every_buyer_and_validates_on_a_holdout(shop_admin):
    model = shop_admin.train_prediction("clv", as_of=AS_OF)
    assert model["status"] == "active" and model["algorithm"] == "bgnbd+gamma_gamma"
    holdout = model["metrics"]["holdout"]
    assert holdout["correlation"] > 0.5
    clv, alive = scores(shop_admin, "clv"), scores(shop_admin, "clv_alive")
    assert len(clv) == model["profiles_scored"] == len(alive) > 500
    assert all(v >= 0 for v in clv.values()) and all(0 <= v <= 1 for v in alive.values())
    percentile = scores(shop_admin, "clv_percentile")
    top = max(clv, key=clv.get)
    assert percentile[top] == 100.0 and min(percentile.values()) > 0


def test_churn_scores_are_segmentable_with_a_threshold_and_a_percentile(shop_admin):
    model = shop_admin.train_prediction("churn", options={"algorithm": "logistic"}, as_of=AS_OF)
    m = model["metrics"]
    assert m["auc"] > 0.75 and m["positives"] >= 100 and m["negatives"] >= 100
    assert [d["decile"] for d in m["calibration"]] == list(range(10, 0, -1))
    assert m["calibration"][0]["lift"] > 1 > m["calibration"][-1]["lift"]
    churn = scores(shop_admin, "churn")
    high = {p for p, v in churn.items() if v > 0.7}
    found = shop_admin.preview_segment('prediction("churn") > 0.7', sample=100000)
    assert found["count"] == len(high) > 0
    top_tenth = shop_admin.preview_segment('prediction("churn_percentile") >= 90', sample=0)
    assert 0 < top_tenth["count"] <= len(churn) // 10 + 1
    labelled = shop_admin.preview_segment('prediction("churn") = "high"', sample=0)
    assert labelled["count"] == pytest.approx(len(churn) * 0.2, abs=2)


def test_purchase_propensity_with_boosted_trees_beats_recency(shop_admin):
    model = shop_admin.train_prediction("propensity", "buyer_30d", {"days": 30}, as_of=AS_OF)
    m = model["metrics"]
    assert model["algorithm"] == "gbm"
    assert m["auc"] > m["recency_baseline_auc"] - 0.02 and m["auc"] > 0.8
    assert m["top_decile_lift"] > 2
    assert "trained on features at 2024-04-02" in m["validation"]


def test_a_retrained_prediction_supersedes_its_model_and_refresh_follows_the_interval(shop_admin):
    first = shop_admin.train_prediction("propensity", "opens", {"event": "Email Opened",
                                        "days": 14, "algorithm": "logistic"},
                                        refresh_hours=24, as_of=AS_OF)  # fmt: skip
    ws = shop_admin.ws
    assert refresh_due(ws.read, ws.write, shop.NOW + timedelta(hours=23)) == []
    done = refresh_due(ws.read, ws.write, shop.NOW + timedelta(hours=25))
    assert [d["name"] for d in done] == ["opens"] and done[0]["status"] == "active"
    history = shop_admin.list_prediction_models("opens")
    assert [m["status"] for m in history] == ["active", "superseded"]
    assert history[1]["model_id"] == first["model_id"]
    assert shop_admin.get_prediction("opens")["model"]["model_id"] == done[0]["model_id"]


def test_next_product_beats_most_popular_on_the_time_split(shop_admin):
    model = shop_admin.train_prediction("recommend", options={"holdout_days": 90}, as_of=AS_OF)
    m = model["metrics"]
    assert m["profiles_evaluated"] >= 50
    assert m["recall@10"] > m["popular_recall@10"]
    assert m["ndcg@10"] > m["popular_ndcg@10"]
    some = next(iter(scores(shop_admin, "next_product")))
    items = shop_admin.ws.read(lambda con: con.execute(
        "SELECT item FROM profile_recommendations WHERE profile_id = ? ORDER BY rank", [some]
    ).fetchall())  # fmt: skip
    bought = shop_admin.ws.read(lambda con: con.execute(
        "SELECT DISTINCT unnest(json_extract_string(properties, '$.products[*].product_id'))"
        " FROM profile_events WHERE profile_id = ? AND event = 'Order Completed'", [some]
    ).fetchall())  # fmt: skip
    assert len(items) == 10 and not {i for (i,) in items} & {b for (b,) in bought}


def test_sales_forecast_beats_seasonal_naive(shop_admin):
    model = shop_admin.train_prediction("forecast", options={"period": "week"}, as_of=AS_OF)
    m = model["metrics"]
    assert m["baseline"] == "seasonal naive" and m["mape"] < m["seasonal_naive_mape"]
    assert len(m["forecast"]) == 8 and all(f["low"] <= f["value"] <= f["high"]
                                           for f in m["forecast"])  # fmt: skip


def test_trends_and_retention_lists(shop_admin):
    found = shop_admin.prediction_trends("category", 60, 5, as_of=AS_OF)
    assert found["popular"][0]["item"] == "Grocery"  # the most favoured category
    assert all(x["change"] > 0 for x in found["rising"])
    declining = shop_admin.prediction_list("declining", 20, 30, as_of=AS_OF)["profiles"]
    assert declining and all(p["active_days_recent"] * 2 <= p["active_days_before_average"]
                             for p in declining)  # fmt: skip
    assert shop_admin.prediction_list("high_value", 5)["profiles"]


def test_too_few_examples_refuse_with_a_reason_and_the_failure_is_recorded(tmp_path):
    with Workspace(load_settings(env={}, data_dir=tmp_path / "data")) as ws:
        ws.write(lambda con: shop.load(con, shop.build(60, seed=3)))
        admin = Admin(ws)
        with pytest.raises(NotEnoughExamples, match="at least 100 of each are needed"):
            admin.train_prediction("churn", options={"algorithm": "logistic"}, as_of=AS_OF)
        failed = admin.list_prediction_models("churn")
        assert failed[0]["status"] == "failed" and "at least 100" in failed[0]["error"]
        assert admin.ws.read(lambda con: con.execute(
            "SELECT count(*) FROM profile_predictions").fetchone())[0] == 0  # fmt: skip


def at(when) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_features_do_not_see_anything_after_the_cutoff(tmp_path):
    """Time-split leakage: adding, changing and deleting later events changes no feature, nor
    does a later login that merges an anonymous visitor's browsing into a customer (M9)."""
    cut = shop.NOW - timedelta(days=60)
    with Workspace(load_settings(env={}, data_dir=tmp_path / "data")) as ws:
        admin = Admin(ws)
        admin.create_source("site")
        # a customer who orders, and a visitor who browses, before the cut-off (two profiles)
        collect(admin, [
            *({"type": "track", "userId": "buyer", "event": "Order Completed",
               "properties": {"total": 30}, "timestamp": at(cut - timedelta(days=d))}
              for d in (40, 20)),
            *({"type": "track", "anonymousId": "visitor", "event": "Product Viewed",
               "properties": {"product_id": "sku-001"}, "timestamp": at(cut - timedelta(days=d))}
              for d in (30, 10, 5)),
        ], source="site")  # fmt: skip
        ws.profiles.catch_up()
        ws.write(lambda con: shop.load(con, shop.build(150, seed=5)))
        ws.write(lambda con: con.execute(
            "INSERT INTO computed_traits (name, definition) VALUES ('views', '{\"aggregate\":"
            " \"count\", \"event\": \"Product Viewed\"}')"))  # fmt: skip
        before = ws.read(lambda con: features_at(con, cut))
        assert "trait.views" in before.names and len(before) > 50

        def rewrite_the_future(con):
            con.execute("UPDATE profile_events SET properties = json_object('total', 1e9)"
                        " WHERE \"timestamp\" >= ?", [cut])  # fmt: skip
            con.execute("DELETE FROM profile_events WHERE \"timestamp\" >= ? AND seq % 3 = 0",
                        [cut])  # fmt: skip
            con.execute(
                "INSERT INTO profile_events (profile_id, seq, source_id, type, event,"
                " \"timestamp\", properties) SELECT profile_id, seq + 10000000, 'web', 'track',"
                " 'Order Completed', ?, '{\"total\": 5}' FROM profile_events", [cut],
            )  # fmt: skip

        ws.write(rewrite_the_future)
        # after the cut-off the visitor logs in as the customer: the two profiles merge
        collect(admin, [{"type": "identify", "userId": "buyer", "anonymousId": "visitor",
                         "timestamp": at(cut + timedelta(days=3))}], source="site")  # fmt: skip
        ws.profiles.catch_up()
        site = "(SELECT source_id FROM sources WHERE name = 'site')"
        merged = ws.read(lambda con: con.execute(
            "SELECT count(*), count(DISTINCT profile_id) FROM profile_events"
            f" WHERE source_id = {site}").fetchone())  # fmt: skip
        assert merged == (6, 1)
        after = ws.read(lambda con: features_at(con, cut))
    assert before.names == after.names
    assert list(before.profile_ids) == list(after.profile_ids)
    assert before.values.tobytes() == after.values.tobytes()
