"""Destinations over HTTP: a segment synced to a folder, its history, and clear errors."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path


def _send(client, key, batch):
    r = client.post("/v1/batch", content=json.dumps({"batch": batch}), auth=(key, ""))
    assert r.status_code == 200, r.text


def test_segment_synced_to_a_folder_sends_only_consented_members(
    client, source, admin_headers, tmp_path
):
    key = source["write_key"]
    _send(client, key, [
        {"type": "identify", "userId": "u1", "traits": {"email": "a@x.com", "country": "TH",
                                                         "email_opt_in": True}},
        {"type": "identify", "userId": "u2", "traits": {"email": "b@x.com", "country": "TH",
                                                         "email_opt_in": False}},
        {"type": "identify", "userId": "u3", "traits": {"email": "c@x.com", "country": "TH",
                                                         "note": "=HYPERLINK(\"http://evil\")",
                                                         "newsletter_consent": "yes"}},
    ])  # fmt: skip
    r = client.post("/v1/segments", json={"name": "thai", "where": 'country = "TH"'},
                    headers=admin_headers)  # fmt: skip
    deadline = time.monotonic() + 2.0
    while client.get("/v1/segments/thai", headers=admin_headers).json()["member_count"] < 3:
        client.post("/v1/segments/thai/evaluate", headers=admin_headers)
        assert time.monotonic() < deadline, "profiles not current within 2 s"
    folder = tmp_path / "out"
    body = {"name": "newsletter", "kind": "file", "segment": "thai", "purpose": "email",
            "config": {"path": str(folder), "format": "csv", "traits": ["email", "note"]}}
    r = client.post("/v1/destinations", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    r = client.post("/v1/destinations/newsletter/sync", params={"mode": "full"},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    synced = r.json()
    assert synced["status"] == "completed"
    files = [Path(f) for f in synced["files"]]
    with files[0].open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    sent = sorted((row["email"], row["note"]) for row in rows)
    # b@x.com opted out; the formula-looking note is defused with a leading quote
    assert sent == [("a@x.com", ""), ("c@x.com", "'=HYPERLINK(\"http://evil\")")]
    history = client.get("/v1/destinations/newsletter/syncs", headers=admin_headers).json()
    assert [h["status"] for h in history] == ["completed"]


def test_bad_destinations_are_4xx_with_reasons(client, admin_headers, tmp_path):
    client.post("/v1/segments", json={"name": "all", "where": "email exists"},
                headers=admin_headers)  # fmt: skip
    body = {"name": "x", "kind": "fax", "segment": "all", "purpose": "email", "config": {}}
    r = client.post("/v1/destinations", json=body, headers=admin_headers)
    assert r.status_code == 400 and "fax" in r.json()["message"]
    body = {"name": "x", "kind": "file", "segment": "all", "purpose": "mind-reading",
            "config": {"path": str(tmp_path), "format": "csv"}}
    r = client.post("/v1/destinations", json=body, headers=admin_headers)
    assert r.status_code == 400 and "purpose" in r.json()["message"]
    r = client.post("/v1/destinations/missing/sync", headers=admin_headers)
    assert r.status_code == 404
