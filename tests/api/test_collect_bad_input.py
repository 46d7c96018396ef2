"""Bad input gets its documented status and leaves the store correct."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient


def count(client: TestClient, admin_headers: dict[str, str]) -> dict[str, int]:
    r = client.get("/v1/events/count", headers=admin_headers)
    assert r.status_code == 200
    body = r.json()
    return {"total": body["total"], "quarantined": body["quarantined"]}


def post(client: TestClient, key: str, path: str, content: bytes, **headers: str):
    return client.post(path, content=content, auth=(key, ""), headers=headers)


def error_of(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"code", "message"} and body["message"]
    return response.status_code, body["code"]


GOOD = {"userId": "u1", "event": "Signed Up"}


def test_valid_track_is_exactly_200_success(client, source, admin_headers):
    r = post(client, source["write_key"], "/v1/track", json.dumps(GOOD).encode())
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert count(client, admin_headers) == {"total": 1, "quarantined": 0}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"userId": "u1", "event": ', "truncated JSON"),
        (b"not json at all", "not JSON"),
        (b'{"userId": "\xff\xfe", "event": "x"}', "invalid UTF-8"),
        (b'{"userId": "u1", "event": "x", "n": NaN}', "NaN is not JSON"),
        (b"[" * 5000 + b"]" * 5000, "deep nesting"),
        (b"", "empty body"),
    ],
)
def test_unparseable_bodies_are_400_and_store_nothing(
    client, source, admin_headers, content, reason
):
    r = post(client, source["write_key"], "/v1/batch", content)
    assert error_of(r) == (400, "invalid_json"), reason
    assert count(client, admin_headers) == {"total": 0, "quarantined": 0}


def test_missing_unknown_and_disabled_keys(client, source, admin_headers):
    body = json.dumps(GOOD).encode()
    assert error_of(client.post("/v1/track", content=body)) == (401, "unauthorized")
    assert error_of(post(client, "wk_nope", "/v1/track", body)) == (401, "unauthorized")
    r = client.post("/v1/sources/web/disable", headers=admin_headers)
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert error_of(post(client, source["write_key"], "/v1/track", body)) == (
        404,
        "source_disabled",
    )
    client.post("/v1/sources/web/enable", headers=admin_headers)
    assert post(client, source["write_key"], "/v1/track", body).status_code == 200
    assert count(client, admin_headers)["total"] == 1


def test_write_key_in_body_and_basic_without_colon(client, source, admin_headers):
    key = source["write_key"]
    r = client.post("/v1/track", content=json.dumps({**GOOD, "writeKey": key}))
    assert r.status_code == 200
    import base64

    r = client.post(
        "/v1/track",
        content=json.dumps(GOOD),
        headers={"Authorization": "Basic " + base64.b64encode(key.encode()).decode()},
    )
    assert r.status_code == 200
    assert count(client, admin_headers)["total"] == 2


def test_rotated_key_replaces_old_one(client, source, admin_headers):
    r = client.post("/v1/sources/web/rotate-key", headers=admin_headers)
    new_key = r.json()["write_key"]
    assert new_key != source["write_key"]
    body = json.dumps(GOOD).encode()
    assert post(client, source["write_key"], "/v1/track", body).status_code == 401
    assert post(client, new_key, "/v1/track", body).status_code == 200


def test_oversize_batch_is_413_and_source_can_raise_limit(client, source, admin_headers):
    big = {
        "batch": [
            {"type": "track", "userId": "u", "event": "e", "properties": {"pad": "x" * 20_000}}
            for _ in range(30)
        ]
    }
    content = json.dumps(big).encode()
    assert len(content) > 500 * 1024
    assert error_of(post(client, source["write_key"], "/v1/batch", content)) == (
        413,
        "payload_too_large",
    )
    zipped = gzip.compress(content)
    assert len(zipped) < 500 * 1024
    r = post(client, source["write_key"], "/v1/batch", zipped, **{"Content-Encoding": "gzip"})
    assert error_of(r) == (413, "payload_too_large"), "limit applies after decompression"
    assert count(client, admin_headers)["total"] == 0
    r = client.put(
        "/v1/sources/web/limits", json={"max_batch_bytes": 4 * 1024 * 1024}, headers=admin_headers
    )
    assert r.status_code == 200
    assert post(client, source["write_key"], "/v1/batch", content).status_code == 200
    assert count(client, admin_headers)["total"] == 30


def test_oversize_message_is_quarantined_not_lost(client, source, admin_headers):
    batch = {
        "batch": [
            {"type": "track", "userId": "u", "event": "big", "properties": {"pad": "x" * 40_000}},
            {"type": "track", "userId": "u", "event": "small"},
        ]
    }
    r = post(client, source["write_key"], "/v1/batch", json.dumps(batch).encode())
    assert r.status_code == 200
    assert count(client, admin_headers) == {"total": 1, "quarantined": 1}
    q = client.get("/v1/quarantine", headers=admin_headers).json()
    assert "over this source's limit" in q[0]["reason"]


def test_gzip_body_is_accepted(client, source, admin_headers):
    content = gzip.compress(json.dumps({"batch": [{**GOOD, "type": "track"}] * 3}).encode())
    r = post(client, source["write_key"], "/v1/batch", content, **{"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json() == {"success": True}
    # three messages without messageId are three events (no id, nothing to dedupe on)
    assert count(client, admin_headers)["total"] == 3


def test_corrupt_gzip_is_400(client, source):
    r = post(
        client,
        source["write_key"],
        "/v1/batch",
        b"\x1f\x8b\x08garbage",
        **{"Content-Encoding": "gzip"},
    )
    assert error_of(r) == (400, "bad_encoding")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "track", "event": "x"}, "userId or an anonymousId"),
        ({"type": "track", "userId": "u"}, "non-empty string event"),
        ({"type": "track", "userId": {"a": 1}, "event": "x"}, "userId must be a string"),
        ({"type": "track", "userId": True, "event": "x"}, "userId must be a string"),
        ({"type": "identify", "userId": "u", "traits": [1, 2]}, "traits must be an object"),
        (
            {"type": "track", "userId": "u", "event": "x", "properties": "p"},
            "properties must be an object",
        ),
        ({"type": "page", "userId": "u", "timestamp": "yesterday"}, "ISO-8601"),
        ({"type": "page", "userId": "u", "timestamp": 12345}, "ISO-8601"),
        ({"type": "alias", "userId": "u"}, "previousId"),
        ({"type": "group", "userId": "u"}, "groupId"),
        ({"type": "purchase", "userId": "u"}, "unknown message type"),
        ({"userId": "u"}, "unknown message type"),
        ("just a string", "JSON object"),
    ],
)
def test_invalid_message_in_batch_is_quarantined_with_reason(
    client, source, admin_headers, message, reason
):
    batch = {"batch": [message, {"type": "track", "userId": "ok", "event": "Valid"}]}
    r = post(client, source["write_key"], "/v1/batch", json.dumps(batch).encode())
    assert r.status_code == 200 and r.json() == {"success": True}
    assert count(client, admin_headers) == {"total": 1, "quarantined": 1}
    q = client.get("/v1/quarantine", headers=admin_headers).json()
    assert reason in q[0]["reason"]
    assert json.loads(q[0]["payload"]) == message


def test_request_with_no_valid_message_is_400_but_kept(client, source, admin_headers):
    r = post(client, source["write_key"], "/v1/track", json.dumps({"userId": "u"}).encode())
    assert error_of(r) == (400, "invalid_message")
    assert "non-empty string event" in r.json()["message"]
    assert count(client, admin_headers) == {"total": 0, "quarantined": 1}


def test_huge_numbers_cost_one_message_not_the_batch(client, source, admin_headers):
    content = (
        b'{"batch": [{"type": "track", "userId": "u", "event": "big",'
        b' "properties": {"n": 123456789012345678901234567890}},'
        b' {"type": "track", "userId": "u", "event": "inf", "properties": {"n": 1e400}},'
        b' {"type": "track", "userId": "u", "event": "fine", "properties": {"n": 1.5e300}}]}'
    )
    r = post(client, source["write_key"], "/v1/batch", content)
    assert r.status_code == 200
    assert count(client, admin_headers) == {"total": 1, "quarantined": 2}
    stored = client.get("/v1/events", headers=admin_headers).json()
    assert stored[0]["event"] == "fine" and stored[0]["properties"]["n"] == 1.5e300
    q = client.get("/v1/quarantine", headers=admin_headers).json()
    assert all(
        "123456789012345678901234567890" in r["payload"] or "1E+400" in r["payload"].upper()
        for r in q
    )


def test_batch_body_must_hold_a_batch_array(client, source, admin_headers):
    for content in (b"[]", b'{"batch": {}}', b'{"nobatch": []}', b'{"batch": [], "context": 5}'):
        r = post(client, source["write_key"], "/v1/batch", content)
        assert r.status_code == 400, content
    assert count(client, admin_headers) == {"total": 0, "quarantined": 0}


def test_empty_batch_is_400(client, source):
    r = post(client, source["write_key"], "/v1/batch", b'{"batch": []}')
    assert error_of(r) == (400, "invalid_request")


def test_multi_member_gzip_is_read_whole_and_trailing_garbage_refused(
    client, source, admin_headers
):
    whole = json.dumps({"batch": [{"type": "track", "userId": "u", "event": "E"}]}).encode()
    split = gzip.compress(whole[:20]) + gzip.compress(whole[20:])
    r = post(client, source["write_key"], "/v1/batch", split, **{"Content-Encoding": "gzip"})
    assert r.status_code == 200
    trailing = gzip.compress(whole) + b"junk"
    r = post(client, source["write_key"], "/v1/batch", trailing, **{"Content-Encoding": "gzip"})
    assert error_of(r) == (400, "bad_encoding")
    assert count(client, admin_headers)["total"] == 1
