from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.config import Settings
from opencdp.workspace import admin_token


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["X-Test"] = "1"
        yield test_client


@pytest.fixture
def admin_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(settings)}"}


@pytest.fixture
def source(client: TestClient, admin_headers: dict[str, str]) -> dict[str, object]:
    r = client.post("/v1/sources", json={"name": "web"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    return dict(r.json())
