"""A saturated writer answers 503 with Retry-After instead of queueing without bound."""

from __future__ import annotations

import threading
from dataclasses import replace

from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.workspace import admin_token


def test_saturated_writer_gets_503_retry_after_and_recovers(settings):
    settings = replace(settings, max_pending_events=1)
    app = create_app(settings)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {admin_token(settings)}"}
        key = client.post("/v1/sources", json={"name": "web"}, headers=headers).json()["write_key"]
        gate = threading.Event()
        blocker = app.state.workspace.writer.call(lambda con: gate.wait(30))
        r = client.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(key, ""))
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        assert r.json()["code"] == "overloaded"
        assert client.get("/ready").status_code == 503
        gate.set()
        blocker.result(timeout=30)
        r = client.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(key, ""))
        assert r.status_code == 200
        assert client.get("/v1/events/count", headers=headers).json()["total"] == 1
