"""Users, login, tokens and their limits over the admin API."""

from __future__ import annotations

import json

import duckdb

from tests.api.security_helpers import bearer, user_token

PASSWORD = "correct horse battery staple"


def _login(client, name, password=PASSWORD):
    return client.post("/v1/auth/login", json={"name": name, "password": password})


def test_login_issues_a_session_for_the_right_password_only(client, admin_headers):
    r = client.post("/v1/users", json={"name": "ann", "role": "marketer", "password": PASSWORD},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 201 and PASSWORD not in r.text and "hash" not in r.text
    assert _login(client, "ann", "wrong password!").status_code == 401
    assert _login(client, "nobody", PASSWORD).status_code == 401
    session = _login(client, "ann")
    assert session.status_code == 200, session.text
    assert session.json()["kind"] == "session" and session.json()["role"] == "marketer"
    me = client.get("/v1/auth/me", headers=bearer(session.json())).json()
    assert me["name"] == "ann" and me["kind"] == "user" and "audit:read" not in me["permissions"]
    assert client.post("/v1/auth/logout", headers=bearer(session.json())).status_code == 200
    assert client.get("/v1/auth/me", headers=bearer(session.json())).status_code == 401


def test_weak_passwords_disabled_users_and_password_changes(client, admin_headers):
    r = client.post("/v1/users", json={"name": "bo", "role": "viewer", "password": "short"},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 400 and "at least 12" in r.json()["message"]
    client.post("/v1/users", json={"name": "bo", "role": "viewer", "password": PASSWORD},
                headers=admin_headers)  # fmt: skip
    session = bearer(_login(client, "bo").json())
    r = client.put("/v1/auth/password", headers=session,
                   json={"current_password": "not it at all", "new_password": "x" * 12})
    assert r.status_code == 401
    r = client.put("/v1/auth/password", headers=session,
                   json={"current_password": PASSWORD, "new_password": "a new passphrase"})
    assert r.status_code == 200
    assert _login(client, "bo").status_code == 401
    assert _login(client, "bo", "a new passphrase").status_code == 200
    r = client.patch("/v1/users/bo", json={"disabled": True}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert _login(client, "bo", "a new passphrase").status_code == 401
    assert client.get("/v1/auth/me", headers=session).status_code == 401  # tokens stop too
    dup = client.post("/v1/users", json={"name": "bo", "role": "viewer"}, headers=admin_headers)
    assert dup.status_code == 409


def test_a_token_cannot_read_what_its_scope_excludes(client, admin_headers):
    headers = user_token(client, admin_headers, "admin", ["segments:read"])
    assert client.get("/v1/segments", headers=headers).status_code == 200
    r = client.get("/v1/profiles/u-1", headers=headers)
    assert r.status_code == 403 and "scopes" in r.json()["message"]
    assert client.get("/v1/events", headers=headers).status_code == 403
    r = client.post("/v1/segments", json={"name": "s", "where": 'plan = "gold"'}, headers=headers)
    assert r.status_code == 403
    # segment members carry profile traits: reading them needs profiles:read as well
    assert client.get("/v1/segments/s/members", headers=headers).status_code == 403


def test_tokens_are_shown_once_listed_without_secrets_and_revocable(client, admin_headers):
    mine = user_token(client, admin_headers, "analyst", name="ana")
    created = client.post("/v1/tokens", json={"name": "ci", "scopes": ["events:read"]},
                          headers=mine)  # fmt: skip
    assert created.status_code == 201
    issued = created.json()
    assert issued["token"].startswith("ocdp_") and issued["user"] == "ana"
    listed = client.get("/v1/tokens", headers=mine).json()
    assert {t["token_id"] for t in listed} >= {issued["token_id"]}
    assert issued["token"] not in json.dumps(listed) and all("token" not in t for t in listed)
    shown = client.get(f"/v1/tokens/{issued['token_id']}", headers=mine).json()
    assert "token" not in shown and shown["scopes"] == ["events:read"]
    assert client.get("/v1/events", headers=bearer(issued)).status_code == 200
    r = client.delete(f"/v1/tokens/{issued['token_id']}", headers=mine)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert client.get("/v1/events", headers=bearer(issued)).status_code == 401
    assert issued["token_id"] not in {t["token_id"] for t in client.get(
        "/v1/tokens", headers=mine).json()}  # fmt: skip
    everything = client.get("/v1/tokens", params={"all": True}, headers=mine).json()
    assert {"revoked"} == {t["status"] for t in everything if t["token_id"] == issued["token_id"]}


def test_people_see_and_revoke_only_their_own_tokens(client, admin_headers):
    alice = user_token(client, admin_headers, "marketer", name="alice")
    bob = user_token(client, admin_headers, "marketer", name="bob")
    alice_token = client.get("/v1/tokens", headers=alice).json()[0]["token_id"]
    assert client.get(f"/v1/tokens/{alice_token}", headers=bob).status_code == 404
    assert client.delete(f"/v1/tokens/{alice_token}", headers=bob).status_code == 404
    assert all(t["user"] == "bob" for t in client.get("/v1/tokens", headers=bob).json())
    r = client.get("/v1/tokens", params={"user": "alice"}, headers=bob)
    assert r.status_code == 403
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["*"], "user": "alice"},
                    headers=bob)  # fmt: skip
    assert r.status_code == 403
    # an admin sees and revokes anyone's
    assert client.get(f"/v1/tokens/{alice_token}", headers=admin_headers).status_code == 200
    assert client.delete(f"/v1/tokens/{alice_token}", headers=admin_headers).status_code == 200
    assert client.get("/v1/auth/me", headers=alice).status_code == 401


def test_no_one_grants_more_than_they_hold(client, admin_headers):
    narrow = user_token(client, admin_headers, "admin", ["tokens:write", "segments:read"],
                        name="root")  # fmt: skip
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["profiles:read"]},
                    headers=narrow)  # fmt: skip
    assert r.status_code == 403 and "profiles:read" in r.json()["message"]
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["segments:read"]},
                    headers=narrow)  # fmt: skip
    assert r.status_code == 201
    viewer = user_token(client, admin_headers, "viewer", name="vic")
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["audit:read"]}, headers=viewer)
    assert r.status_code == 400 and "grant nothing" in r.json()["message"]
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["bogus:read"]}, headers=viewer)
    assert r.status_code == 400
    r = client.post("/v1/tokens", json={"name": "x", "scopes": ["*"], "expires_days": 9999},
                    headers=viewer)  # fmt: skip
    assert r.status_code == 400


def test_expired_tokens_are_refused(client, admin_headers):
    headers = user_token(client, admin_headers, "viewer", name="eve")
    assert client.get("/v1/segments", headers=headers).status_code == 200
    token_id = headers["Authorization"].split("_")[1]
    client.app.state.workspace.write(lambda con: con.execute(
        "UPDATE api_tokens SET expires_at = now() - INTERVAL 1 MINUTE WHERE token_id = ?",
        [token_id]))  # fmt: skip
    r = client.get("/v1/segments", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]


def test_write_keys_only_ingest(client, admin_headers, source):
    key = source["write_key"]
    for headers in ({"Authorization": f"Bearer {key}"}, {"Authorization": f"Basic {key}"}):
        assert client.get("/v1/sources", headers=headers).status_code == 401
        assert client.get("/v1/profiles/u-1", headers=headers).status_code == 401
    r = client.get("/v1/sources", auth=(key, ""))
    assert r.status_code == 401
    # only callers who may change sources see write keys (a key lets its holder ingest)
    viewer = user_token(client, admin_headers, "viewer")
    assert client.get("/v1/sources", headers=viewer).json()[0]["write_key"] is None
    assert client.get("/v1/sources/web", headers=viewer).json()["write_key"] is None
    assert client.get("/v1/sources/web", headers=admin_headers).json()["write_key"] == key
    r = client.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(key, ""))
    assert r.status_code == 200


def test_passwords_and_tokens_are_stored_only_as_hashes(settings, admin_headers):
    from fastapi.testclient import TestClient

    from opencdp.api.app import create_app

    with TestClient(create_app(settings)) as client:
        client.post("/v1/users", json={"name": "hal", "role": "admin", "password": PASSWORD},
                    headers=admin_headers)  # fmt: skip
        session = _login(client, "hal").json()["token"]
        api = client.post("/v1/tokens", json={"name": "x", "scopes": ["*"], "user": "hal"},
                          headers=admin_headers).json()["token"]  # fmt: skip
        assert client.get("/v1/auth/me", headers={"Authorization": f"Bearer {api}"}).json()[
            "name"] == "hal"  # fmt: skip
    # the server has stopped: look at every byte of the database and its log
    files = [settings.database_path, settings.database_path.with_suffix(".duckdb.wal")]
    data = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (PASSWORD, session, api, session.split("_")[2], api.split("_")[2]):
        assert secret.encode() not in data
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        stored = con.execute("SELECT password_hash FROM users WHERE name = 'hal'").fetchone()
        assert stored is not None and stored[0].startswith("$argon2id$")
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            text = json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str)
            assert PASSWORD not in text and api not in text and session not in text


def test_api_and_write_key_rate_limits_answer_429(tmp_path):
    from fastapi.testclient import TestClient

    from opencdp.api.app import create_app
    from opencdp.config import load_settings
    from opencdp.workspace import admin_token

    settings = load_settings(env={
        "OPENCDP_API_RATE_PER_SECOND": "0.01", "OPENCDP_API_RATE_BURST": "3",
        "OPENCDP_WRITE_KEY_EVENTS_PER_SECOND": "0.01", "OPENCDP_WRITE_KEY_EVENTS_BURST": "4",
    }, data_dir=tmp_path / "d")  # fmt: skip
    headers = {"Authorization": f"Bearer {admin_token(settings)}"}
    with TestClient(create_app(settings)) as client:
        key = client.post("/v1/sources", json={"name": "web"}, headers=headers).json()["write_key"]
        assert [client.get("/v1/sources", headers=headers).status_code for _ in range(2)] == [
            200, 200]  # fmt: skip
        r = client.get("/v1/sources", headers=headers)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) >= 1 and "per second" in r.json()["message"]
        batch = {"batch": [{"type": "track", "userId": "u", "event": "E"}] * 3}
        assert client.post("/v1/batch", json=batch, auth=(key, "")).status_code == 200
        r = client.post("/v1/batch", json=batch, auth=(key, ""))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "rate limit" in r.json()["message"]


def test_logins_are_rate_limited_per_name(tmp_path):
    from fastapi.testclient import TestClient

    from opencdp.api.app import create_app
    from opencdp.config import load_settings

    settings = load_settings(env={"OPENCDP_LOGIN_ATTEMPTS_PER_MINUTE": "3"},
                             data_dir=tmp_path / "d")  # fmt: skip
    with TestClient(create_app(settings)) as client:
        codes = [_login(client, "mallory", "guess number " + str(i)).status_code
                 for i in range(4)]  # fmt: skip
    assert codes == [401, 401, 401, 429]
