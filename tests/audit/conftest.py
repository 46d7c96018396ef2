"""Audit fixtures: an app over a workspace with a source, two people, a segment and a
destination, and helpers that read what the log recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.audit.query import Filters, entries
from opencdp.config import Settings
from opencdp.workspace import Workspace, admin_token


def recorded(ws: Workspace, **filters: Any) -> list[dict[str, Any]]:
    """Entries in the log (newest first), after flushing what is buffered."""
    ws.audit.flush()
    return ws.read(lambda con: entries(con, ws.audit.keys, Filters(**filters)))


def raw_count(ws: Workspace) -> int:
    ws.audit.flush()
    row = ws.read(lambda con: con.execute("SELECT count(*) FROM audit_log").fetchone())
    assert row is not None
    return int(row[0])


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return replace(settings, identity_stitching=False, schedule_seconds=0)


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


@pytest.fixture
def headers(api_settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(api_settings)}"}


@pytest.fixture
def ws(client: TestClient) -> Workspace:
    workspace: Workspace = client.app.state.workspace  # type: ignore[attr-defined]
    return workspace


@pytest.fixture
def populated(client: TestClient, headers: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """Source `web`, people u1 (TH) and u2, segment `thai`, file destination `out`."""
    r = client.post("/v1/sources", json={"name": "web"}, headers=headers)
    assert r.status_code == 201, r.text
    batch = [
        {"type": "identify", "userId": "u1", "traits": {"country": "TH", "name": "Ann"}},
        {"type": "track", "userId": "u1", "event": "Order Completed"},
        {"type": "identify", "userId": "u2", "traits": {"country": "JP"}},
    ]
    r = client.post("/v1/batch", content=json.dumps({"batch": batch}),
                    auth=(r.json()["write_key"], ""))  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.post("/v1/identity/rebuild", headers=headers).status_code == 200
    r = client.post("/v1/segments", json={"name": "thai", "where": 'country = "TH"'},
                    headers=headers)  # fmt: skip
    assert r.status_code == 201, r.text
    r = client.post("/v1/destinations", headers=headers, json={
        "name": "out", "kind": "file", "segment": "thai", "purpose": "analytics",
        "config": {"path": str(tmp_path / "out"), "format": "jsonl"}})  # fmt: skip
    assert r.status_code == 201, r.text
    profile = client.get("/v1/profiles/u1", headers=headers).json()
    return {"u1": profile["profile_id"]}
