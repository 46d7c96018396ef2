"""Consent is enforced wherever data leaves: every destination kind and every export path.

Six people are in one segment; only Ann may be used for advertising, e-mail marketing and
analytics. Bob denied, Cho never said, Dee's grant lapsed, Eve's device granted after her
account denied, Fay consented but is suppressed. Each exit must carry Ann and nobody else.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opencdp.admin import Admin
from opencdp.api.app import create_app
from opencdp.workspace import Workspace, admin_token
from tests.activate.receiver import SECRET, receiver
from tests.cli.conftest import run
from tests.collecting import collect
from tests.sources.conftest import (  # noqa: F401  (fixtures)
    MARIADB_URL,
    POSTGRES_URL,
    mariadb,
    postgres,
    table_name,
)

NOW = datetime.now(UTC)
PURPOSES = ("advertising", "email_marketing", "analytics")
PEOPLE = ("ann", "bob", "cho", "dee", "eve", "fay")
ALL = dict.fromkeys(("Advertising", "Email", "Analytics"), True)
NONE = dict.fromkeys(("Advertising", "Email", "Analytics"), False)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def email(name: str) -> str:
    return f"{name}@mail.co.th"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def people(admin: Admin) -> None:
    def signup(name: str, prefs: dict[str, bool] | None = None) -> dict[str, object]:
        context = {"consent": {"categoryPreferences": prefs}} if prefs else {}
        return {"type": "identify", "userId": name, "timestamp": ago(10), "context": context,
                "traits": {"email": email(name), "first_name": name.title(), "country": "TH",
                           "phone": "+66812345678" if name == "ann" else None}}  # fmt: skip

    collect(admin, [
        signup("ann", ALL), signup("bob", NONE), signup("cho"), signup("dee"),
        signup("eve", NONE), signup("fay", ALL),
        *[{"type": "track", "userId": n, "event": "Signed Up", "timestamp": ago(9)}
          for n in PEOPLE],
        # Eve's phone browser grants later; her account's denial still stands
        {"type": "page", "anonymousId": "eve-phone", "userId": "eve", "name": "Home",
         "timestamp": ago(8)},
        {"type": "page", "anonymousId": "eve-phone", "name": "Home", "timestamp": ago(7),
         "context": {"consent": {"categoryPreferences": ALL}}},
        {"type": "track", "anonymousId": "stranger", "event": "Signed Up", "timestamp": ago(9)},
    ])  # fmt: skip
    admin.ws.profiles.catch_up()
    for purpose in PURPOSES:  # Dee granted for a month, which is over
        admin.state_consent("user_id:dee", purpose, True, stated_at=ago(40), expires_at=ago(10))
    fay = admin.get_profile("user_id:fay")["profile_id"]
    admin.ws.write(lambda con: con.execute(
        "INSERT INTO suppressed_profiles (profile_id, reason) VALUES (?, 'objection')", [fay]))
    admin.create_segment("everyone", 'did("Signed Up")')


@pytest.fixture
def admin(workspace: Workspace) -> Admin:
    admin = Admin(workspace)
    admin.create_source("web")
    people(admin)
    return admin


def profile_ids(admin: Admin) -> dict[str, str]:
    return {n: admin.get_profile(f"user_id:{n}")["profile_id"] for n in PEOPLE}


def test_the_people_are_as_described(admin):
    status = {n: {c["purpose"]: c["status"]
                  for c in admin.get_consents(f"user_id:{n}")["consents"]}
              for n in PEOPLE}  # fmt: skip
    assert status["ann"] == dict.fromkeys(PURPOSES, "granted")
    assert status["bob"] == status["eve"] == dict.fromkeys(PURPOSES, "denied")
    assert status["cho"] == {}
    assert status["dee"] == dict.fromkeys(PURPOSES, "expired")
    assert status["fay"] == dict.fromkeys(PURPOSES, "granted")  # but suppressed
    assert admin.segment_members("everyone")["count"] == 7  # with the stranger


# --- destinations: every kind ---------------------------------------------------------


def _files_text(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _only_ann_in(text: str, *, hashed: bool = False) -> None:
    for name in PEOPLE:
        shown = sha(email(name)) if hashed else email(name)
        assert (shown in text) == (name == "ann"), name


@pytest.mark.parametrize("kind", ["file", "google_customer_match", "meta_custom_audience",
                                  "email_list"])  # fmt: skip
def test_file_kinds_send_only_the_consenting(admin, tmp_path, kind):
    purpose = {"email_list": "email_marketing", "file": "analytics"}.get(kind, "advertising")
    folder = tmp_path / "out"
    config: dict[str, object] = {"path": str(folder)}
    if kind == "file":
        config.update(format="jsonl", traits=["email"])
    admin.create_destination("out", kind, "everyone", purpose, config)
    result = admin.sync_destination("out", "full")
    assert (result["sent"], result["skipped_no_consent"]) == (1, 6)
    _only_ann_in(_files_text(folder), hashed=kind in ("google_customer_match",
                                                         "meta_custom_audience"))  # fmt: skip


def test_webhooks_receive_only_the_consenting(admin):
    with receiver() as hook:
        admin.create_destination("hook", "webhook", "everyone", "ads",
                                 {"url": hook.url, "secret": SECRET, "traits": ["email"],
                                  "backoff_seconds": 0.01})  # fmt: skip
        assert admin.sync_destination("hook", "full")["sent"] == 1
        sent = [m for r in hook.requests for m in r.body["entered"] + r.body["updated"]]
        assert [m["traits"]["email"] for m in sent] == [email("ann")]
        # Ann withdraws: the next sync removes her; nobody else is ever sent
        admin.state_consent("user_id:ann", "advertising", False)
        admin.sync_destination("hook")
        last = hook.requests[-1].body
        assert last["exited"] == [{"profile_id": profile_ids(admin)["ann"]}]
        assert last["entered"] == last["updated"] == []


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_database_tables_receive_only_the_consenting(admin, request, table_name, engine):  # noqa: F811
    connection = request.getfixturevalue(engine)
    url = POSTGRES_URL if engine == "postgres" else MARIADB_URL
    admin.create_destination("wh", "database", "everyone", "analytics",
                             {"url": url, "table": table_name, "traits": ["email"]})  # fmt: skip
    try:
        assert admin.sync_destination("wh", "full")["sent"] == 1
        cursor = connection.cursor()
        cursor.execute(f"SELECT email FROM {table_name}")
        assert [tuple(r) for r in cursor.fetchall()] == [(email("ann"),)]
    finally:
        connection.cursor().execute(f"DROP TABLE IF EXISTS {table_name}")


# --- exports -----------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_event_exports_for_a_purpose_leave_out_everyone_else(admin, tmp_path):
    everyone = tmp_path / "all.jsonl"
    assert admin.export_events(everyone, "jsonl") == 15  # raw: the whole log
    out = tmp_path / "ads.jsonl"
    written = admin.export_events(out, "jsonl", purpose="ads")
    events = _jsonl(out)
    assert written == len(events) == 2
    assert {e["userId"] for e in events} == {"ann"}
    for fmt in ("csv", "parquet"):
        assert admin.export_events(tmp_path / f"ads.{fmt}", fmt, purpose="advertising") == 2


def test_profile_and_segment_exports_carry_only_the_consenting(admin, tmp_path):
    ids = profile_ids(admin)
    for purpose in PURPOSES:
        out = tmp_path / f"{purpose}.jsonl"
        assert admin.export_people(out, "jsonl", purpose) == 1
        (row,) = _jsonl(out)
        assert row["profile_id"] == ids["ann"] and row["email"] == email("ann")
        assert row["traits"]["first_name"] == "Ann" and row["consent_legal_basis"] == "consent"
    segment = tmp_path / "segment.csv"
    assert admin.export_people(segment, "csv", "ads", segment="everyone") == 1
    assert email("ann") in segment.read_text() and email("bob") not in segment.read_text()
    admin.create_segment("thai-bobs", 'first_name = "Bob"')
    assert admin.export_people(tmp_path / "none.jsonl", "jsonl", "ads", "thai-bobs") == 0


def test_segment_activation_lists_and_counts_only_the_consenting(admin):
    ids = profile_ids(admin)
    members = admin.segment_members("everyone", purpose="newsletter")
    assert members["count"] == 1 and [m["profile_id"] for m in members["members"]] == [ids["ann"]]
    assert admin.preview_segment('did("Signed Up")', purpose="ads")["count"] == 1
    assert admin.preview_segment('did("Signed Up")')["count"] == 7
    # the segment language reads the ledger-derived consent (granted, not lapsed)
    assert sorted(admin.preview_segment('consent("ads")')["sample"]) == sorted(
        [ids["ann"], ids["fay"]])  # suppression applies where data leaves, not in segments
    assert admin.preview_segment('not consent("ads")')["count"] == 5


def test_the_api_exports_only_the_consenting(settings):
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {admin_token(settings)}"}
        admin = Admin(client.app.state.workspace)
        admin.create_source("web")
        people(admin)
        ann = admin.get_profile("user_id:ann")["profile_id"]
        found = client.get("/v1/events/export", params={"purpose": "ads"}, headers=headers)
        assert found.status_code == 200 and found.headers["x-row-count"] == "2"
        assert {json.loads(x)["userId"] for x in found.text.splitlines()} == {"ann"}
        found = client.get("/v1/profiles/export", params={"purpose": "email"}, headers=headers)
        assert [json.loads(x)["profile_id"] for x in found.text.splitlines()] == [ann]
        found = client.get("/v1/segments/everyone/export",
                           params={"purpose": "analytics", "format": "csv"}, headers=headers)
        assert found.headers["x-row-count"] == "1" and email("bob") not in found.text
        found = client.get("/v1/segments/everyone/members", params={"purpose": "ads"},
                           headers=headers)  # fmt: skip
        assert [m["profile_id"] for m in found.json()["members"]] == [ann]
        found = client.post("/v1/segments/preview", headers=headers,
                            json={"where": 'did("Signed Up")', "purpose": "ads"})
        assert found.json()["count"] == 1
        missing = client.get("/v1/profiles/export", headers=headers)
        assert missing.status_code in (400, 422)  # a purpose is required
        unknown = client.get("/v1/profiles/export", params={"purpose": "spam"}, headers=headers)
        assert unknown.status_code == 400 and "unknown purpose" in unknown.json()["message"]


def test_cli_exports_only_the_consenting(settings, tmp_path):
    with Workspace(settings) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        people(admin)
    data = settings.data_dir
    run(data, "events", "export", "--purpose", "ads", "-o", str(tmp_path / "e.jsonl"))
    assert {e["userId"] for e in _jsonl(tmp_path / "e.jsonl")} == {"ann"}
    run(data, "profiles", "export", "--purpose", "email", "-o", str(tmp_path / "p.jsonl"))
    assert [p["email"] for p in _jsonl(tmp_path / "p.jsonl")] == [email("ann")]
    out = run(data, "segments", "export", "everyone", "--purpose", "analytics").stdout
    assert [json.loads(x)["email"] for x in out.splitlines()] == [email("ann")]
    out = run(data, "segments", "members", "everyone", "--purpose", "ads", "--json").stdout
    assert json.loads(out)["count"] == 1
    refused = run(data, "profiles", "export", "--purpose", "spam", check=False)
    assert refused.returncode == 1 and "unknown purpose" in refused.stderr
