"""With field encryption on, no identifier typed into an audited call reaches `audit_log`
readable: reads, consent statements and privacy requests by e-mail and phone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.config import load_settings
from opencdp.workspace import Workspace, admin_token

EMAIL = "khun.malee@siam-post.co.th"
PHONE = "+66812345688"
NOTE = "asked at the Chiang Mai counter"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(env={}, data_dir=tmp_path / "data", field_encryption=True)
    settings = replace(settings, identity_stitching=False, schedule_seconds=0)
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token(settings)}"
        yield test_client


def test_no_identifier_reaches_the_audit_log_readable(client: TestClient) -> None:
    ws: Workspace = client.app.state.workspace  # type: ignore[attr-defined]
    assert ws.personal.enabled
    r = client.post("/v1/sources", json={"name": "web"})
    assert r.status_code == 201, r.text
    batch = [{"type": "identify", "userId": "u-malee", "traits": {"email": EMAIL,
                                                                  "phone": PHONE}}]  # fmt: skip
    r = client.post("/v1/batch", content=json.dumps({"batch": batch}),
                    auth=(r.json()["write_key"], ""))  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.post("/v1/identity/rebuild").status_code == 200
    assert client.get(f"/v1/profiles/{EMAIL}").status_code == 200
    r = client.post("/v1/consents", json={"identifier": f"phone:{PHONE}",
                                          "purpose": "email_marketing", "granted": False,
                                          "note": NOTE})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    assert client.get(f"/v1/profiles/phone:{PHONE}/consents").status_code == 200
    r = client.post("/v1/privacy/erasure", json={"identifier": EMAIL})
    assert r.status_code == 200, r.text
    assert r.json()["receipt"]["found"]
    ws.audit.flush()
    dump = repr(ws.read(lambda con: con.execute("SELECT * FROM audit_log").fetchall()))
    assert ws.read(lambda con: con.execute("SELECT count(*) FROM audit_log").fetchone())[0] >= 4
    for value in (EMAIL, PHONE, PHONE[1:], "812345688", NOTE, "u-malee"):
        assert value not in dump, value
