"""The privacy API: access and erasure requests, request tracking, suppression, retention."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.config import Settings
from opencdp.workspace import admin_token


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token(settings)}"
        yield test_client


def collect(client: TestClient, key: str, messages: list[dict]) -> None:
    r = client.post("/v1/batch", json={"batch": messages, "writeKey": key})
    assert r.status_code == 200, r.text


def wait_for_profile(client: TestClient, identifier: str) -> str:
    """The stitcher resolves within a second; poll the profile API until it has."""
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = client.get(f"/v1/profiles/{identifier}")
        if r.status_code == 200:
            return str(r.json()["profile_id"])
        time.sleep(0.05)  # polling for the stitcher, not standing in for synchronisation
    raise AssertionError("profile never resolved")


def test_access_erasure_and_requests_over_the_api(client):
    key = client.post("/v1/sources", json={"name": "web"}).json()["write_key"]
    collect(client, key, [
        {"type": "identify", "userId": "u-77", "traits": {"email": "kanya.p@siam-mail.co.th",
                                                          "first_name": "Kanya"}},
        {"type": "track", "userId": "u-77", "event": "Order Completed"},
        {"type": "identify", "userId": "u-88", "traits": {"email": "other.p@siam-mail.co.th"}},
    ])  # fmt: skip
    wait_for_profile(client, "kanya.p@siam-mail.co.th")
    wait_for_profile(client, "u-88")

    r = client.post("/v1/privacy/access", json={"identifier": "kanya.p@siam-mail.co.th"})
    assert r.status_code == 200, r.text
    access = r.json()
    assert access["request"]["status"] == "completed"
    assert len(access["export"]["events"]) == 2
    request_id = access["request"]["request_id"]
    stored = client.get(f"/v1/privacy/requests/{request_id}/export")
    assert stored.status_code == 200 and stored.json()["request_id"] == request_id

    r = client.post("/v1/privacy/erasure", json={"identifier": "u-77"})
    assert r.status_code == 200, r.text
    erasure = r.json()
    assert erasure["status"] == "completed" and erasure["receipt"]["tables"]["events"] == 2
    assert client.get("/v1/profiles/u-77").status_code == 404
    assert client.get("/v1/profiles/u-88").status_code == 200
    assert client.get(f"/v1/privacy/requests/{request_id}/export").status_code == 404

    # nothing readable is left anywhere, the audit trail of these very calls included
    from opencdp.admin import Admin
    from tests.privacy.people import scan

    workspace = client.app.state.workspace
    workspace.audit.flush()  # entries are appended with a later commit
    assert scan(Admin(workspace), ["kanya.p@siam-mail.co.th", "u-77", "Kanya"]) == {}
    audited = workspace.read(lambda con: con.execute(
        "SELECT count(*) FROM audit_log WHERE action LIKE 'privacy.request.%'").fetchone()[0])
    assert audited >= 3, "access, export download and erasure were audited"

    collect(client, key, [{"type": "track", "userId": "u-77", "event": "Back again"}])
    assert client.get("/v1/privacy/suppression").json()["drops"][0]["dropped"] == 1

    listed = client.get("/v1/privacy/requests", params={"kind": "erasure"}).json()
    assert [r["request_id"] for r in listed] == [erasure["request_id"]]
    assert "kanya" not in str(client.get("/v1/privacy/requests").json())
    assert client.get("/v1/privacy/requests/pr_nope").status_code == 404
    assert client.get("/v1/privacy/requests", params={"status": "bogus"}).status_code == 400
    assert client.post("/v1/privacy/erasure", json={"identifier": ""}).status_code == 400


def test_retention_policies_over_the_api(client):
    client.post("/v1/sources", json={"name": "web"})
    r = client.put("/v1/privacy/retention/pageviews", json={"max_age": "90d", "event": "page"})
    assert r.status_code == 200, r.text
    assert r.json()["max_age_days"] == 90
    assert client.put("/v1/privacy/retention/x", json={"max_age": "soon"}).status_code == 400
    assert client.put("/v1/privacy/retention/x", json={"max_age": "1d",
                                                      "source": "nope"}).status_code == 404
    assert [p["name"] for p in client.get("/v1/privacy/retention").json()] == ["pageviews"]
    applied = client.post("/v1/privacy/retention/apply", json={}).json()
    assert applied[0]["name"] == "pageviews" and applied[0]["events"] == 0
    assert client.post("/v1/privacy/retention/apply",
                       json={"names": ["nope"]}).status_code == 404  # fmt: skip
    assert client.delete("/v1/privacy/retention/pageviews").status_code == 200
    assert client.delete("/v1/privacy/retention/pageviews").status_code == 404


def test_privacy_routes_need_a_token(settings):
    with TestClient(create_app(settings)) as anonymous:
        assert anonymous.get("/v1/privacy/requests").status_code == 401
        assert anonymous.post("/v1/privacy/erasure", json={"identifier": "x"}).status_code == 401
