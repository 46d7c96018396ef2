"""Collected traits get the import hygiene rules: fixed values keep their originals in `fixes`."""

from __future__ import annotations

import json


def _identify(client, key, message_id, traits, context=None):
    body = {"userId": "u-" + message_id, "messageId": message_id, "traits": traits}
    if context is not None:
        body["context"] = context
    r = client.post("/v1/identify", content=json.dumps(body), auth=(key, ""))
    assert r.status_code == 200, r.text


def _by_id(client, admin_headers):
    events = client.get("/v1/events", params={"limit": 100}, headers=admin_headers).json()
    return {e["messageId"]: e for e in events}


def test_identify_traits_are_normalised_with_the_sources_region(client, admin_headers):
    r = client.post(
        "/v1/sources", json={"name": "th-shop", "default_region": "Thailand"}, headers=admin_headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["default_region"] == "TH"
    key = r.json()["write_key"]
    _identify(client, key, "m1", {"email": "  Somchai@Siam-Shop.CO.TH ", "phone": "081 234 5678",
                                  "plan": "gold"})  # fmt: skip
    event = _by_id(client, admin_headers)["m1"]
    assert event["traits"] == {"email": "somchai@siam-shop.co.th", "phone": "+66812345678",
                               "plan": "gold"}  # fmt: skip
    assert event["fixes"]["traits.email"]["original"] == "  Somchai@Siam-Shop.CO.TH "
    assert event["fixes"]["traits.phone"] == {"original": "081 234 5678", "cleaned": "+66812345678"}
    assert "traits.plan" not in event["fixes"]


def test_placeholders_are_taken_out_of_traits_and_kept_with_the_reason(
    client, source, admin_headers
):
    key = source["write_key"]
    _identify(client, key, "m2", {"email": "test@test.com", "name": "Ann"},
              context={"traits": {"phone": "0000000000"}})  # fmt: skip
    event = _by_id(client, admin_headers)["m2"]
    assert "email" not in event["traits"] and event["traits"]["name"] == "Ann"
    assert event["context"]["traits"] == {}
    assert event["fixes"]["traits.email"]["original"] == "test@test.com"
    assert event["fixes"]["traits.email"]["problem"].startswith("placeholder")
    assert event["fixes"]["context.traits.phone"]["original"] == "0000000000"
    assert event["fixes"]["context.traits.phone"]["problem"]


def test_clean_messages_carry_no_fixes_and_group_traits_are_left_alone(
    client, source, admin_headers
):
    key = source["write_key"]
    _identify(client, key, "m3", {"email": "ann@mail.co.jp"})
    body = {"userId": "u", "groupId": "g", "messageId": "m4", "traits": {"name": "ACME inc"}}
    assert client.post("/v1/group", content=json.dumps(body), auth=(key, "")).status_code == 200
    events = _by_id(client, admin_headers)
    assert events["m3"]["fixes"] is None
    assert events["m4"]["traits"] == {"name": "ACME inc"} and events["m4"]["fixes"] is None


def test_unknown_region_is_a_bad_request(client, admin_headers):
    r = client.post(
        "/v1/sources", json={"name": "x", "default_region": "Atlantis"}, headers=admin_headers
    )
    assert r.status_code == 400
    assert "unknown region" in r.json()["message"]
    r = client.post("/v1/sources", json={"name": "x"}, headers=admin_headers)
    r = client.put("/v1/sources/x/region", json={"default_region": "jp"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["default_region"] == "JP"


def test_the_quality_report_counts_collector_fixes(client, source, admin_headers):
    key = source["write_key"]
    _identify(client, key, "q1", {"email": "test@test.com"})
    _identify(client, key, "q2", {"email": " Ann@Mail.CO.JP"})
    _identify(client, key, "q3", {"email": "bob@mail.co.jp"})
    report = client.get("/v1/quality", params={"source": "web"}, headers=admin_headers).json()
    (web,) = [s for s in report["sources"] if s["name"] == "web"]
    email = next(f for f in web["fields"] if f["field"] == "traits.email")
    assert (email["refused"], email["fixed"]) == (1, 1)
