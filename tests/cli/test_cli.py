"""The CLI works the same whether or not a server runs on the data directory."""

from __future__ import annotations

import json

import httpx
import pyarrow.parquet as pq

from tests.cli.conftest import cli, run


def test_sources_lifecycle(either):
    key = run(either.data_dir, "sources", "create", "web").stdout.strip()  # a real process
    assert key.startswith("wk_")
    listed = json.loads(cli(either.data_dir, "sources", "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["web"] and listed[0]["write_key"] == key
    rotated = json.loads(cli(either.data_dir, "sources", "rotate-key", "web", "--json").stdout)
    assert rotated["write_key"] != key
    disabled = json.loads(cli(either.data_dir, "sources", "disable", "web", "--json").stdout)
    assert disabled["enabled"] is False
    if either.process is not None:
        r = httpx.post(
            f"{either.url}/v1/track",
            json={"userId": "u", "event": "E"},
            auth=(rotated["write_key"], ""),
        )
        assert r.status_code == 404, "the running server sees the CLI's change at once"


def test_source_phone_region(either):
    created = json.loads(
        cli(either.data_dir, "sources", "create", "shop", "--region", "th", "--json").stdout
    )
    assert created["default_region"] == "TH"
    changed = json.loads(
        cli(either.data_dir, "sources", "set-region", "shop", "Japan", "--json").stdout
    )
    assert changed["default_region"] == "JP"
    cleared = json.loads(cli(either.data_dir, "sources", "set-region", "shop", "--json").stdout)
    assert cleared["default_region"] is None
    bad = cli(either.data_dir, "sources", "set-region", "shop", "Atlantis", check=False)
    assert bad.returncode == 1 and "unknown region" in bad.stderr


def test_user_errors_exit_non_zero_with_a_message(either):
    cli(either.data_dir, "sources", "create", "web")
    dup = cli(either.data_dir, "sources", "create", "web", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    missing = run(either.data_dir, "sources", "show", "nope", check=False)  # a real process
    assert missing.returncode == 1 and "no source named" in missing.stderr
    bad = cli(either.data_dir, "sources", "create", "bad/name", check=False)
    assert bad.returncode == 1 and "source name" in bad.stderr
    assert "Traceback" not in dup.stderr + missing.stderr + bad.stderr


def test_events_count_recent_export_and_quarantine(either, tmp_path):
    key = cli(either.data_dir, "sources", "create", "web").stdout.strip()
    messages = [
        {"type": "track", "userId": f"u{i}", "event": "Order Completed", "messageId": f"m{i}"}
        for i in range(5)
    ] + [{"type": "track", "userId": "x"}]
    offline = either.process is None
    if offline:
        either.start()  # ingest needs the server; the CLI below then works on the file alone
    r = httpx.post(f"{either.url}/v1/batch", json={"batch": messages}, auth=(key, ""))
    assert r.status_code == 200
    if offline:
        either.stop()
        assert not (either.data_dir / "server.json").exists()
    counts = json.loads(run(either.data_dir, "events", "count", "--json").stdout)  # a process
    assert counts["total"] == 5 and counts["by_type"] == {"track": 5}
    assert counts["quarantined"] == 1
    counts = json.loads(cli(either.data_dir, "events", "count", "--source", "web", "--json").stdout)
    assert counts["total"] == 5
    recent = json.loads(cli(either.data_dir, "events", "recent", "--limit", "2", "--json").stdout)
    assert [e["messageId"] for e in recent] == ["m4", "m3"]
    out = tmp_path / "events.parquet"
    cli(either.data_dir, "events", "export", "--format", "parquet", "-o", str(out))
    assert sorted(pq.read_table(out).column("messageId").to_pylist()) == [f"m{i}" for i in range(5)]
    jsonl = cli(either.data_dir, "events", "export", "--format", "jsonl").stdout.splitlines()
    assert len(jsonl) == 5 and json.loads(jsonl[0])["event"] == "Order Completed"
    (item,) = json.loads(cli(either.data_dir, "quarantine", "list", "--json").stdout)
    assert "non-empty string event" in item["reason"]
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**json.loads(item["payload"]), "event": "Fixed"}))
    replay = ("quarantine", "replay", str(item["quarantine_id"]), "--payload", str(fixed))
    cli(either.data_dir, *replay)
    counts = json.loads(cli(either.data_dir, "events", "count", "--json").stdout)
    assert counts["total"] == 6 and counts["quarantined"] == 0
