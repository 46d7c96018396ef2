"""The prediction API and CLI: train, read the registry and scores, clear errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.config import load_settings
from opencdp.workspace import Workspace, admin_token
from tests.cli.conftest import ThreadServer, cli, run
from tests.conftest import free_port
from tests.predict import shop
from tests.predict.conftest import AS_OF, shop_data


def test_api_trains_lists_and_reads_predictions(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    headers = {"Authorization": f"Bearer {admin_token(settings)}"}
    with TestClient(create_app(settings)) as client:
        client.app.state.workspace.write(lambda con: shop.load(con, shop_data()))
        body = {"options": {"algorithm": "logistic", "days": 60}, "as_of": AS_OF,
                "refresh_hours": 24}  # fmt: skip
        r = client.post("/v1/predictions/churn", json=body, headers=headers)
        assert r.status_code == 201, r.text
        model = r.json()
        assert model["name"] == "churn" and model["metrics"]["auc"] > 0.7
        listed = client.get("/v1/predictions", headers=headers).json()
        assert [(p["name"], p["refresh_hours"]) for p in listed] == [("churn", 24)]
        shown = client.get("/v1/predictions/churn", headers=headers).json()
        assert shown["model"]["model_id"] == model["model_id"]
        assert len(shown["model"]["metrics"]["calibration"]) == 10
        top = client.get("/v1/predictions/churn/scores", params={"limit": 3},
                         headers=headers).json()  # fmt: skip
        assert len(top) == 3 and top[0]["value"] >= top[1]["value"] and top[0]["percentile"]
        models = client.get("/v1/predictions/models", params={"name": "churn"},
                            headers=headers).json()  # fmt: skip
        assert [m["model_id"] for m in models] == [model["model_id"]]
        r = client.post("/v1/predictions/recommend", json={"as_of": AS_OF}, headers=headers)
        assert r.status_code == 201, r.text
        recs = client.get(f"/v1/predictions/recommendations/{top[0]['profile_id']}",
                          headers=headers).json()  # fmt: skip
        assert len(recs["items"]) == 10 and recs["items"][0]["rank"] == 1
        trends = client.get("/v1/predictions/trends", params={"as_of": AS_OF, "by": "category"},
                            headers=headers).json()  # fmt: skip
        assert trends["popular"]
        # errors: unknown name 404, bad option 400, no token 401
        assert client.get("/v1/predictions/nope", headers=headers).status_code == 404
        r = client.post("/v1/predictions/churn", json={"options": {"algorithm": "svm"}},
                        headers=headers)  # fmt: skip
        assert r.status_code == 400 and "algorithm" in r.json()["message"]
        r = client.post("/v1/predictions/clv", json={"options": {"colour": 1}}, headers=headers)
        assert r.status_code == 400 and "colour" in r.json()["message"]
        assert client.get("/v1/predictions").status_code == 401


@pytest.fixture(params=["offline", "server"])
def shop_dir(request, tmp_path):
    server = ThreadServer(tmp_path / "data", free_port())  # a server in a thread, see there
    with Workspace(load_settings(env={}, data_dir=server.data_dir)) as ws:
        ws.write(lambda con: shop.load(con, shop_data(400)))
    if request.param == "server":
        server.start()
    yield server
    server.stop()


def test_cli_trains_and_shows_predictions_offline_and_through_the_server(shop_dir):
    out = cli(shop_dir.data_dir, "predict", "clv", "--as-of", AS_OF, "--json")  # in-process
    model = json.loads(out.stdout)
    assert model["kind"] == "clv" and model["metrics"]["holdout"]["correlation"] > 0.5
    text = cli(shop_dir.data_dir, "predict", "models").stdout
    assert model["model_id"] in text and "bgnbd+gamma_gamma" in text
    failed = run(shop_dir.data_dir, "predict", "show", "nope", check=False)  # a real process
    assert failed.returncode == 1 and "no prediction named 'nope'" in failed.stderr
