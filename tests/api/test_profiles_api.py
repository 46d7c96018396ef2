"""The 360° profile over HTTP, current within a second of ingestion."""

from __future__ import annotations

import json
import time


def _send(client, key, batch):
    r = client.post("/v1/batch", content=json.dumps({"batch": batch}), auth=(key, ""))
    assert r.status_code == 200, r.text


def _profile_within_a_second(client, admin_headers, identifier, expect):
    """Poll until the profile satisfies `expect`; the requirement is one second."""
    deadline = time.monotonic() + 1.0
    while True:
        r = client.get(f"/v1/profiles/{identifier}", headers=admin_headers)
        if r.status_code == 200 and expect(r.json()):
            return r.json()
        assert time.monotonic() < deadline, f"profile not current after 1 s: {r.text}"


def test_new_identifiers_show_on_the_profile_within_a_second(client, source, admin_headers):
    key = source["write_key"]
    _send(client, key, [{"type": "page", "anonymousId": "anon-9", "name": "Home"}])
    _profile_within_a_second(client, admin_headers, "anon-9", lambda p: True)
    _send(client, key, [{"type": "identify", "anonymousId": "anon-9", "userId": "user-9",
                         "traits": {"email": "nine@mail.co.jp"}}])  # fmt: skip
    profile = _profile_within_a_second(
        client, admin_headers, "email:nine@mail.co.jp",
        lambda p: {"type": "user_id", "value": "user-9"} in p["identifiers"],
    )  # fmt: skip
    assert {"type": "anonymous_id", "value": "anon-9"} in profile["identifiers"]
    assert [i["type"] for i in profile["timeline"]["items"]] == ["identify", "page"]


def test_a_shared_device_glues_nobody(client, source, admin_headers):
    key = source["write_key"]
    batch = [{"type": "track", "userId": f"kiosk-user-{i}", "event": "Checked In",
              "context": {"device": {"id": "kiosk-tablet"}}} for i in range(60)]  # fmt: skip
    _send(client, key, batch)
    last = _profile_within_a_second(client, admin_headers, "kiosk-user-59", lambda p: True)
    assert [i["type"] for i in last["identifiers"]] == ["user_id"]
    r = client.post("/v1/identity/rebuild", headers=admin_headers)
    assert r.status_code == 200 and r.json()["merges"] == 0 and r.json()["profiles"] >= 60


def test_unknown_identifier_is_404_and_search_needs_two_characters(client, admin_headers):
    r = client.get("/v1/profiles/email:nobody@mail.co.jp", headers=admin_headers)
    assert r.status_code == 404 and "no profile" in r.json()["message"]
    assert client.get("/v1/profiles", params={"q": "x"}, headers=admin_headers).status_code == 400
    assert client.get("/v1/profiles/anything").status_code == 401


def test_without_real_time_stitching_a_rebuild_brings_profiles_up_to_date(tmp_path):
    from fastapi.testclient import TestClient

    from opencdp.api.app import create_app
    from opencdp.config import load_settings
    from opencdp.workspace import admin_token

    settings = load_settings(env={"OPENCDP_IDENTITY_STITCHING": "off"}, data_dir=tmp_path / "d")
    headers = {"Authorization": f"Bearer {admin_token(settings)}"}
    with TestClient(create_app(settings)) as client:
        key = client.post("/v1/sources", json={"name": "web"}, headers=headers).json()["write_key"]
        _send(client, key, [{"type": "identify", "userId": "u-5", "anonymousId": "a-5"}])
        assert client.get("/v1/profiles/u-5", headers=headers).status_code == 404
        assert client.post("/v1/identity/rebuild", headers=headers).json()["profiles"] == 1
        profile = client.get("/v1/profiles/a-5", headers=headers).json()
        assert {"type": "user_id", "value": "u-5"} in profile["identifiers"]
