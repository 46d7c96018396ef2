"""Consent over HTTP: the Sec-GPC header on collection, and the consent endpoints."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opencdp.api.app import create_app
from opencdp.config import Settings
from opencdp.privacy.plaintext import reveal
from opencdp.workspace import admin_token
from tests.api.security_helpers import user_token


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin_token(settings)}"
        yield test_client


@pytest.fixture
def write_key(client: TestClient) -> str:
    created = client.post("/v1/sources", json={"name": "web"})
    assert created.status_code == 201, created.text
    return str(created.json()["write_key"])


def send(client: TestClient, key: str, body: dict[str, Any], **headers: str) -> None:
    basic = base64.b64encode(f"{key}:".encode()).decode()
    sent = client.post("/v1/batch", json=body, headers={"Authorization": f"Basic {basic}",
                                                        **headers})  # fmt: skip
    assert sent.status_code == 200, sent.text


def settle(client: TestClient) -> None:
    client.app.state.workspace.bring_current()


def ledger(client: TestClient) -> list[tuple[Any, ...]]:
    """The ledger's statements, identifiers as typed (read through the vault when field
    encryption stores them as pseudonyms)."""
    ws = client.app.state.workspace

    def read(con: Any) -> list[tuple[Any, ...]]:
        rows = con.execute("SELECT subject_type || ':' || subject_value, purpose, granted, source"
                           " FROM consent_ledger ORDER BY statement_id").fetchall()  # fmt: skip
        return [tuple(row) for row in reveal(con, ws.personal, [list(r) for r in rows])]

    return list(ws.read(read))


def test_sec_gpc_records_a_denial_of_sale_and_advertising(client, write_key):
    prefs = {"consent": {"categoryPreferences": {"Advertising": True, "Analytics": True}}}
    send(client, write_key, {"batch": [
        {"type": "page", "anonymousId": "gpc-1", "name": "Home", "context": prefs},
        {"type": "track", "anonymousId": "gpc-1", "event": "Viewed"},
    ]}, **{"Sec-GPC": "1"})  # fmt: skip
    send(client, write_key, {"batch": [{"type": "page", "anonymousId": "plain", "name": "Home"}]})
    settle(client)
    events = client.get("/v1/events", params={"limit": 10}).json()
    assert {e["anonymousId"]: e["context"].get("gpc") for e in events} == {
        "gpc-1": True, "plain": None}  # fmt: skip
    # the signal overrides the same message's grant of advertising; repeats are kept once
    assert ledger(client) == [
        ("anonymous_id:gpc-1", "advertising", False, "gpc"),
        ("anonymous_id:gpc-1", "analytics", True, "event"),
        ("anonymous_id:gpc-1", "sale_of_data", False, "gpc"),
    ]
    found = client.get("/v1/profiles/anonymous_id:gpc-1/consents").json()
    assert {c["purpose"]: (c["status"], c["source"]) for c in found["consents"]} == {
        "advertising": ("denied", "gpc"), "analytics": ("granted", "event"),
        "sale_of_data": ("denied", "gpc")}  # fmt: skip


def test_recording_and_reading_consent(client, write_key):
    send(client, write_key, {"batch": [
        {"type": "identify", "userId": "u1", "anonymousId": "a1",
         "traits": {"email": "ann@mail.co.th"}}]})  # fmt: skip
    settle(client)
    made = client.post("/v1/consents", json={
        "identifier": "email:Ann@Mail.co.th", "purpose": "newsletter", "granted": True,
        "policy_version": "2026-01", "jurisdiction": "PDPA", "note": "signup form",
        "expires_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["statement"]["subject"] == "email:ann@mail.co.th"
    assert answer["statement"]["source"] == "api" and answer["statement"]["seq"] is None
    assert answer["consent"]["status"] == "granted"
    assert answer["consent"]["expires_at"].startswith("2099-01-01")
    many = client.post("/v1/consents/batch", json={"statements": [
        {"identifier": "user_id:u1", "purpose": "sms", "granted": False},
        {"identifier": "anonymous_id:a1", "purpose": "analytics", "granted": True,
         "legal_basis": "legitimate_interest"},
    ]})  # fmt: skip
    assert many.status_code == 201 and len(many.json()) == 2
    shown = client.get("/v1/profiles/user_id:u1/consents").json()
    assert {c["purpose"]: c["status"] for c in shown["consents"]} == {
        "analytics": "granted", "email_marketing": "granted", "sms_marketing": "denied"}
    assert [h["purpose"] for h in shown["history"]] == [
        "analytics", "sms_marketing", "email_marketing"]  # newest first
    only = client.get("/v1/profiles/ann@mail.co.th/consents", params={"purpose": "sms"})
    assert [c["purpose"] for c in only.json()["consents"]] == ["sms_marketing"]
    ws = client.app.state.workspace
    notes = ws.read(lambda con: con.execute(
        "SELECT note FROM consent_ledger WHERE purpose = 'email_marketing'").fetchall())
    assert [ws.personal.open(n) for (n,) in notes] == ["signup form"]  # sealed when on


@pytest.mark.parametrize(("body", "reason"), [
    ({"identifier": "ann@mail.co.th", "purpose": "email", "granted": True}, "type:value"),
    ({"identifier": "email:nobody", "purpose": "email", "granted": True}, "usable email"),
    ({"identifier": "user_id:u9", "purpose": "spam", "granted": True}, "unknown purpose"),
    ({"identifier": "user_id:u9", "purpose": "email", "granted": True,
      "legal_basis": "whim"}, "legal basis"),
    ({"identifier": "user_id:u9", "purpose": "email", "granted": True,
      "stated_at": "2999-01-01T00:00:00Z"}, "future"),
    ({"identifier": "user_id:u9", "purpose": "email", "granted": False,
      "expires_at": "2099-01-01T00:00:00Z"}, "does not expire"),
    ({"identifier": "user_id:u9", "purpose": "email", "granted": True,
      "stated_at": "2025-01-02T00:00:00Z", "expires_at": "2025-01-01T00:00:00Z"},
     "after stated_at"),
])  # fmt: skip
def test_statements_refused_with_a_reason(client, body, reason):
    refused = client.post("/v1/consents", json=body)
    assert refused.status_code == 400, refused.text
    assert reason in refused.json()["message"]
    assert ledger(client) == []


def test_unknown_identifiers_and_purposes(client):
    missing = client.get("/v1/profiles/user_id:nobody/consents")
    assert missing.status_code == 404
    assert client.post("/v1/consents", json={"identifier": "user_id:u1", "purpose": "email",
                                             "granted": "yes"}).status_code == 400  # fmt: skip
    added = client.post("/v1/consents/purposes",
                        json={"name": "Research", "aliases": ["C0042"]})  # fmt: skip
    assert added.status_code == 201 and added.json()["purpose"] == "research"
    listed = {p["purpose"]: p for p in client.get("/v1/consents/purposes").json()}
    assert listed["research"]["aliases"] == ["c0042"] and listed["advertising"]["builtin"]
    assert client.post("/v1/consents", json={"identifier": "user_id:u1", "purpose": "C0042",
                                             "granted": True}).status_code == 201  # fmt: skip
    clash = client.post("/v1/consents/purposes", json={"name": "newsletter"})
    assert clash.status_code == 400 and "built-in" in clash.json()["message"]


def test_consent_needs_its_permissions(client, settings):
    admin = {"Authorization": f"Bearer {admin_token(settings)}"}
    viewer = user_token(client, admin, "viewer")  # no consent rights at all
    analyst = user_token(client, admin, "analyst")  # reads consent, records none
    body = {"identifier": "user_id:u1", "purpose": "email", "granted": True}
    assert client.post("/v1/consents", json=body, headers=viewer).status_code == 403
    assert client.get("/v1/consents/purposes", headers=viewer).status_code == 403
    assert client.post("/v1/consents", json=body, headers=analyst).status_code == 403
    assert client.get("/v1/consents/purposes", headers=analyst).status_code == 200
    assert client.post("/v1/consents", json=body, headers=admin).status_code == 201
