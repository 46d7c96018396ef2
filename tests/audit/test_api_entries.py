"""Every API read of customer data, export, activation, login and change leaves one entry
naming the principal, the route, the profiles read, where from and why."""

from __future__ import annotations

import json

from tests.audit.conftest import raw_count, recorded

READS = [
    ("GET", "/v1/profiles/u1", {}, "profile.read"),
    ("GET", "/v1/profiles", {"params": {"q": "u1"}}, "profile.search"),
    ("GET", "/v1/events", {"params": {"limit": 5}}, "events.read"),
    ("GET", "/v1/events/export", {"params": {"format": "jsonl"}}, "events.export"),
    ("GET", "/v1/profiles/export", {"params": {"purpose": "analytics"}}, "profile.export"),
    ("GET", "/v1/segments/thai/export", {"params": {"purpose": "analytics"}}, "segment.export"),
    ("GET", "/v1/quarantine", {}, "quarantine.read"),
    ("POST", "/v1/segments/preview", {"json": {"where": 'country = "TH"'}}, "segment.preview"),
    ("GET", "/v1/segments/thai/count", {"params": {"sample": 5}}, "segment.count"),
    ("GET", "/v1/segments/thai/members", {}, "segment.members"),
    ("GET", "/v1/segments/thai/history", {}, "segment.history"),
    ("POST", "/v1/destinations/out/sync", {}, "destination.sync"),
    ("GET", "/v1/destinations/out/dead-letters", {}, "destination.dead_letters"),
    ("GET", "/v1/identity/review", {}, "identity.review"),
    ("GET", "/v1/identity/clusters", {}, "identity.clusters"),
    ("GET", "/v1/quality", {}, "quality.report"),
    ("GET", "/v1/audit/log", {}, "audit.log"),
    ("GET", "/v1/audit/verify", {}, "audit.verify"),
]


def test_each_read_of_customer_data_records_one_entry(client, headers, populated, ws):
    for method, path, kwargs, action in READS:
        before = raw_count(ws)
        r = client.request(method, path, headers={**headers, "X-Opencdp-Reason": "ticket 7"},
                           **kwargs)  # fmt: skip
        assert r.status_code == 200, (path, r.text)
        assert raw_count(ws) == before + 1, path
        entry = recorded(ws, limit=1)[0]
        assert entry["action"] == action
        assert entry["actor"] == "admin_token:admin" and entry["role"] == "admin"
        assert entry["status"] == 200 and entry["outcome"] == "ok"
        assert entry["route"].startswith(method + " /v1/")
        assert entry["client_ip"] == "testclient" and entry["user_agent"] == "testclient"
        assert entry["reason"] == "ticket 7"
        if action in ("profile.read", "profile.search"):
            assert entry["profiles"] == [populated["u1"]]
        if "{name}" in entry["route"]:
            assert (entry["target_kind"], entry["target"]) in (
                ("segment", "thai"), ("destination", "out")), entry  # fmt: skip
        if action == "events.export":
            assert entry["details"]["rows"] == 3 and entry["details"]["format"] == "jsonl"
        if action.endswith(".export"):
            assert isinstance(entry["details"]["rows"], int), entry


def test_identifiers_and_search_text_are_kept_only_as_keyed_hashes(client, headers, populated, ws):
    client.get("/v1/profiles/user_id:u1", headers=headers)
    client.get("/v1/profiles", params={"q": "Ann"}, headers=headers)
    read, search = recorded(ws, limit=2)[::-1]
    assert read["profiles"] == [populated["u1"]] and "identifier" in read["details"]["hashed"]
    assert search["details"]["hashed"]["q"] == ws.audit.keys.identifier_hash("Ann")
    dump = ws.read(lambda con: con.execute("SELECT * FROM audit_log").fetchall())
    text = repr(dump)
    assert "user_id:u1" not in text and "Ann" not in text
    assert populated["u1"] not in text  # profile ids are keyed hashes and sealed


def test_collection_is_not_audited_but_config_changes_are(client, headers, populated, ws):
    key = client.get("/v1/sources/web", headers=headers).json()["write_key"]
    before = raw_count(ws)
    r = client.post("/v1/track", content=json.dumps({"userId": "u1", "event": "Viewed"}),
                    auth=(key, ""))  # fmt: skip
    assert r.status_code == 200
    assert client.get("/v1/sources", headers=headers).status_code == 200  # no customer data
    assert raw_count(ws) == before
    r = client.put("/v1/segments/thai", json={"where": 'country = "JP"', "reason": "re-target"},
                   headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    r = client.post("/v1/sources", json={"name": "crm"}, headers=headers)
    assert r.status_code == 201
    create, update = recorded(ws, limit=2)
    assert update["action"] == "config.change" and update["target"] == "thai"
    assert update["details"]["operation"] == "PUT /v1/segments/{name}"
    assert update["reason"] == "re-target"  # from the JSON body's `reason` field
    assert create["action"] == "config.change" and create["target"] == "crm"
    assert create["status"] == 201


def test_refused_access_is_recorded_as_denied(client, populated, ws):
    r = client.get("/v1/profiles/u1", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    entry = recorded(ws, limit=1)[0]
    assert entry["action"] == "profile.read" and entry["outcome"] == "denied"
    assert entry["actor"] == "anonymous:anonymous" and entry["profiles"] == []
    assert client.get("/v1/profiles/nobody", headers={"Authorization": "Bearer wrong"})
    r = client.get("/v1/no-such-route")
    assert r.status_code == 404 and recorded(ws, limit=1)[0]["route"] != "GET /v1/no-such-route"


def test_logins_and_a_users_reads_name_the_user(client, headers, populated, ws):
    r = client.post(
        "/v1/users",
        headers=headers,
        json={"name": "alice", "role": "analyst", "password": "correct horse 1"},
    )
    assert r.status_code == 201, r.text
    r = client.post("/v1/auth/login", json={"name": "alice", "password": "wrong password!"})
    assert r.status_code == 401
    failed = recorded(ws, limit=1)[0]
    assert failed["action"] == "auth.login" and failed["outcome"] == "denied"
    # what was typed as a name may be a password: kept only as a keyed hash
    assert failed["actor"] == "unverified:unknown user " + ws.audit.keys.name_hash("alice")
    assert failed["target"] == "unknown user " + ws.audit.keys.name_hash("alice")
    stored = ws.read(lambda con: con.execute(
        "SELECT actor_name, target FROM audit_log WHERE action = 'auth.login'"
        " AND outcome = 'denied'").fetchall())  # fmt: skip
    assert stored and not any("alice" in str(value) for row in stored for value in row)
    typed = "my secret passphrase " * 6  # longer than a name may be: refused, still audited
    assert client.post("/v1/auth/login", json={"name": typed, "password": "x"}).status_code == 400
    refused = recorded(ws, limit=1)[0]
    assert refused["action"] == "auth.login" and refused["actor"].startswith("unverified:unknown")
    sql = "SELECT actor_name, target FROM audit_log WHERE seq = ?"
    raw = ws.read(lambda con: con.execute(sql, [refused["seq"]]).fetchone())
    assert raw is not None and not any("passphrase" in str(value) for value in raw)
    r = client.post("/v1/auth/login", json={"name": "alice", "password": "correct horse 1"})
    assert r.status_code == 200, r.text
    session = r.json()
    login = recorded(ws, limit=1)[0]
    assert login["action"] == "auth.login" and login["actor"] == "user:alice"
    assert login["token_id"] == session["token_id"]
    r = client.get("/v1/profiles/u1", headers={"Authorization": f"Bearer {session['token']}"})
    assert r.status_code == 200, r.text
    read = recorded(ws, limit=1)[0]
    assert read["actor"] == "user:alice" and read["role"] == "analyst"
    assert read["token_id"] == session["token_id"] and read["profiles"] == [populated["u1"]]
    mine = recorded(ws, user="alice")
    assert [e["action"] for e in mine] == ["profile.read", "auth.login", "auth.login"]


def test_privacy_requests_are_audited_and_found_by_the_person_after_erasure(
    client, headers, populated, ws
):
    r = client.post("/v1/privacy/access", json={"identifier": "user_id:u1"}, headers=headers)
    assert r.status_code == 200, r.text
    r = client.post("/v1/privacy/erasure", json={"identifier": "user_id:u1",
                                                 "reason": "GDPR art. 17, ticket 5"},
                    headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    erasure, access = recorded(ws, action="privacy", limit=2)
    assert access["action"] == "privacy.request.access"
    assert access["profiles"] == [populated["u1"]]  # resolved from the identifier
    assert erasure["action"] == "privacy.request.erasure"
    assert erasure["reason"] == "GDPR art. 17, ticket 5"
    assert erasure["details"]["hashed"]["identifier"] == ws.audit.keys.identifier_hash(
        "user_id:u1")  # fmt: skip
    # the person is gone, their access history is not: by profile id, and by identifier
    report = client.get("/v1/audit/report", params={"profile": populated["u1"]},
                        headers=headers).json()  # fmt: skip
    assert report["profile_id"] is None
    assert {"profile.read", "privacy.request.access"} <= set(
        report["actors"][0]["actions"])  # fmt: skip
    by_identifier = client.get("/v1/audit/log", params={"profile": "user_id:u1"},
                               headers=headers).json()  # fmt: skip
    assert {e["action"] for e in by_identifier} >= {"privacy.request.erasure",
                                                     "privacy.request.access"}  # fmt: skip


def test_reasons_are_stored_sealed_bounded_and_shown_in_reports(client, headers, populated, ws):
    reason = "DSR for jane.doe@example.com, call +66 81 234 5678 " + "x" * 400
    r = client.get("/v1/profiles/u1", headers={**headers, "X-Opencdp-Reason": reason})
    assert r.status_code == 200, r.text
    entry = recorded(ws, limit=1)[0]
    assert entry["reason"] == reason[:200]  # shown in full up to the limit
    stored = ws.read(lambda con: con.execute(
        "SELECT reason FROM audit_log WHERE seq = ?", [entry["seq"]]).fetchone())  # fmt: skip
    assert stored is not None and stored[0].startswith("sealed:")
    assert "jane" not in stored[0] and "5678" not in stored[0]
