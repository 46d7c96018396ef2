"""Segments over HTTP: create, count, members in real time; clear 4xx for bad definitions."""

from __future__ import annotations

import json
import time


def _send(client, key, batch):
    r = client.post("/v1/batch", content=json.dumps({"batch": batch}), auth=(key, ""))
    assert r.status_code == 200, r.text


def test_segment_lifecycle_and_realtime_membership(client, source, admin_headers):
    key = source["write_key"]
    _send(client, key, [{"type": "identify", "userId": "u1", "traits": {"country": "TH"}}])
    body = {"name": "buyers", "where": 'country = "TH" and did("Order Completed", 30d)'}
    r = client.post("/v1/segments", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["member_count"] == 0
    _send(client, key, [{"type": "track", "userId": "u1", "event": "Order Completed"}])
    deadline = time.monotonic() + 2.0  # real-time membership: the stitcher evaluates it
    while True:
        members = client.get("/v1/segments/buyers/members", headers=admin_headers).json()
        if members["members"]:
            break
        assert time.monotonic() < deadline, "member did not enter within 2 s"
    count = client.get("/v1/segments/buyers/count", headers=admin_headers).json()
    assert count["count"] == 1
    history = client.get("/v1/segments/buyers/history", headers=admin_headers).json()
    assert [(h["change"], h["reason"]) for h in history] == [("entered", "realtime")]
    tree = client.get("/v1/segments/buyers", headers=admin_headers).json()["definition"]
    r = client.post("/v1/segments/preview", json={"definition": tree}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["count"] == 1


def test_bad_definitions_are_400_with_a_reason_and_unknown_names_404(client, admin_headers):
    r = client.post("/v1/segments", json={"name": "x", "where": "country ="},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "invalid_segment"
    assert r.json()["message"]
    r = client.post("/v1/segments", json={"name": "x", "where": 'consent("telepathy")'},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 400 and "telepathy" in r.json()["message"]
    r = client.post("/v1/segments", json={"name": "x", "definition": {"op": "nonsense"}},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 400
    assert client.get("/v1/segments/missing/count", headers=admin_headers).status_code == 404
    assert client.get("/v1/segments").status_code == 401
