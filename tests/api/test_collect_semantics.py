"""What the collector stores: fields, batch context, clock-skew correction, dedupe, browsers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq


def send(client, key, path, payload, **headers):
    r = client.post(path, content=json.dumps(payload), auth=(key, ""), headers=headers)
    assert r.status_code == 200, r.text
    return r


def stored(client, admin_headers):
    return client.get("/v1/events", params={"limit": 1000}, headers=admin_headers).json()


def test_all_six_types_keep_their_fields(client, source, admin_headers):
    key = source["write_key"]
    send(
        client,
        key,
        "/v1/identify",
        {"userId": "u1", "traits": {"email": "ann@mail.co.jp"}, "messageId": "m1"},
    )
    send(
        client,
        key,
        "/v1/track",
        {
            "anonymousId": "a1",
            "event": "Viewed",
            "messageId": "m2",
            "properties": {"price": 9.5, "tags": ["x"]},
        },
    )
    send(
        client,
        key,
        "/v1/page",
        {"userId": "u1", "name": "Home", "messageId": "m3", "properties": {"path": "/"}},
    )
    send(client, key, "/v1/screen", {"userId": "u1", "name": "Cart", "messageId": "m4"})
    send(
        client,
        key,
        "/v1/group",
        {"userId": "u1", "groupId": "g1", "messageId": "m5", "traits": {"plan": "team"}},
    )
    send(
        client,
        key,
        "/v1/alias",
        {
            "userId": "u1",
            "previousId": "a1",
            "messageId": "m6",
            "integrations": {"All": False},
            "custom": {"k": 1},
        },
    )
    events = {e["messageId"]: e for e in stored(client, admin_headers)}
    assert {e["type"] for e in events.values()} == {
        "identify",
        "track",
        "page",
        "screen",
        "group",
        "alias",
    }
    assert events["m1"]["traits"] == {"email": "ann@mail.co.jp"}
    assert events["m2"]["anonymousId"] == "a1" and events["m2"]["userId"] is None
    assert events["m2"]["properties"] == {"price": 9.5, "tags": ["x"]}
    assert events["m3"]["name"] == "Home"
    assert events["m5"]["groupId"] == "g1" and events["m5"]["traits"] == {"plan": "team"}
    assert events["m6"]["previousId"] == "a1"
    assert events["m6"]["integrations"] == {"All": False}
    assert events["m6"]["extra"] == {"custom": {"k": 1}}, "unknown top-level fields are kept"
    assert all(e["sourceId"] == source["source_id"] for e in events.values())


def test_batch_context_and_integrations_merge_under_message(client, source, admin_headers):
    send(
        client,
        source["write_key"],
        "/v1/batch",
        {
            "batch": [
                {
                    "type": "track",
                    "userId": "u",
                    "event": "A",
                    "messageId": "a",
                    "context": {"locale": "th-TH"},
                },
                {"type": "track", "userId": "u", "event": "B", "messageId": "b"},
            ],
            "context": {"library": {"name": "sdk"}, "locale": "en-US"},
            "integrations": {"Mixpanel": False},
        },
    )
    events = {e["messageId"]: e for e in stored(client, admin_headers)}
    assert events["a"]["context"]["locale"] == "th-TH", "the message's own context wins"
    assert events["a"]["context"]["library"] == {"name": "sdk"}
    assert events["b"]["context"]["locale"] == "en-US"
    assert events["b"]["integrations"] == {"Mixpanel": False}
    assert "ip" in events["b"]["context"], "the client address is recorded like Segment does"


def test_clock_skew_is_corrected_from_sent_at(client, source, admin_headers):
    # The client's clock is 1 hour fast: it says the event happened 10 s before sending.
    client_now = datetime.now(UTC) + timedelta(hours=1)
    original = client_now - timedelta(seconds=10)
    before = datetime.now(UTC)
    send(
        client,
        source["write_key"],
        "/v1/batch",
        {
            "batch": [
                {
                    "type": "track",
                    "userId": "u",
                    "event": "E",
                    "messageId": "s",
                    "timestamp": original.isoformat(),
                }
            ],
            "sentAt": client_now.isoformat(),
        },
    )
    after = datetime.now(UTC)
    event = stored(client, admin_headers)[0]
    received = datetime.fromisoformat(event["receivedAt"])
    timestamp = datetime.fromisoformat(event["timestamp"])
    assert before <= received <= after
    assert datetime.fromisoformat(event["originalTimestamp"]) == original
    assert abs((received - timestamp) - timedelta(seconds=10)) < timedelta(milliseconds=1)


def test_without_sent_at_the_client_time_is_kept(client, source, admin_headers):
    send(
        client,
        source["write_key"],
        "/v1/track",
        {"userId": "u", "event": "E", "timestamp": "2025-03-01T12:00:00+07:00"},
    )
    event = stored(client, admin_headers)[0]
    assert datetime.fromisoformat(event["timestamp"]) == datetime(2025, 3, 1, 5, tzinfo=UTC)


def test_retried_message_is_stored_once_per_source(client, source, admin_headers):
    key = source["write_key"]
    payload = {
        "batch": [
            {"type": "track", "userId": "u", "event": "E", "messageId": "dup"},
            {"type": "track", "userId": "u", "event": "E", "messageId": "dup"},
        ]
    }
    send(client, key, "/v1/batch", payload)
    send(client, key, "/v1/batch", payload)
    assert len(stored(client, admin_headers)) == 1
    other = client.post("/v1/sources", json={"name": "app"}, headers=admin_headers).json()
    send(client, other["write_key"], "/v1/batch", payload)
    assert len(stored(client, admin_headers)) == 2, "dedupe is per source"


def test_cors_preflight_and_text_plain_beacon(client, source, admin_headers):
    r = client.options(
        "/v1/t",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    # navigator.sendBeacon: text/plain body, write key inside, no auth header.
    beacon = json.dumps(
        {"writeKey": source["write_key"], "type": "track", "anonymousId": "a", "event": "Left Page"}
    )
    r = client.post(
        "/v1/t",
        content=beacon,
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"},
    )
    assert r.status_code == 200 and r.json() == {"success": True}
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
    assert stored(client, admin_headers)[0]["event"] == "Left Page"


def test_export_formats_hold_every_field(client, source, admin_headers):
    send(
        client,
        source["write_key"],
        "/v1/track",
        {"userId": "u", "event": "E", "messageId": "x1", "properties": {"a": 1}},
    )
    r = client.get("/v1/events/export", params={"format": "jsonl"}, headers=admin_headers)
    row = json.loads(r.text.splitlines()[0])
    assert row["messageId"] == "x1" and row["properties"] == {"a": 1}
    assert {"timestamp", "receivedAt", "originalTimestamp", "sentAt", "context"} <= set(row)
    r = client.get("/v1/events/export", params={"format": "parquet"}, headers=admin_headers)
    table = pq.read_table(io.BytesIO(r.content))
    assert table.column("messageId").to_pylist() == ["x1"]
    r = client.get("/v1/events/export", params={"format": "csv"}, headers=admin_headers)
    assert r.text.splitlines()[0].startswith('"seq","sourceId","messageId"')
    assert r.headers["x-row-count"] == "1"


def test_quarantine_replay_after_fix(client, source, admin_headers):
    r = client.post(
        "/v1/batch",
        auth=(source["write_key"], ""),
        content=json.dumps(
            {"batch": [{"type": "track", "userId": "u"}, {"type": "page", "userId": "u"}]}
        ),
    )
    assert r.status_code == 200
    (item,) = client.get("/v1/quarantine", headers=admin_headers).json()
    r = client.post(f"/v1/quarantine/{item['quarantine_id']}/replay", headers=admin_headers)
    assert r.status_code == 409 and "still invalid" in r.json()["message"]
    fixed = {**json.loads(item["payload"]), "event": "Fixed"}
    r = client.post(
        f"/v1/quarantine/{item['quarantine_id']}/replay",
        json={"payload": fixed},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert client.get("/v1/quarantine", headers=admin_headers).json() == []
    events = stored(client, admin_headers)
    assert {e["event"] for e in events if e["type"] == "track"} == {"Fixed"}
    r = client.post(f"/v1/quarantine/{item['quarantine_id']}/replay", headers=admin_headers)
    assert r.status_code == 409, "a replayed record cannot be replayed twice"


def test_admin_api_needs_the_token(client, source):
    assert client.get("/v1/sources").status_code == 401
    r = client.get("/v1/sources", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    r = client.get("/v1/sources", headers={"Authorization": f"Bearer {source['write_key']}"})
    assert r.status_code == 401, "a write key can only ingest"


def test_health_and_ready(client):
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").status_code == 200
