"""Backups through a running server: collection goes on, nothing acknowledged is lost, and
restore refuses to run under the server."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.cli.conftest import cli
from tests.conftest import ServerProcess, free_port

BATCH = 50


@dataclass
class Collector:
    """A client posting batches of unique messages as fast as it is answered."""

    url: str
    key: str
    prefix: str
    acked: list[tuple[int, float, float]] = field(default_factory=list)  # (n, sent, answered)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    size: int = BATCH  # messages a batch

    def ids(self, n: int) -> list[str]:
        return [f"{self.prefix}-{n}-{i}" for i in range(self.size)]

    def body(self, n: int) -> dict[str, object]:
        return {"batch": [{"type": "track", "event": "Item Viewed", "messageId": m,
                           "userId": f"u{n % 89}", "properties": {"n": n}}
                          for m in self.ids(n)]}  # fmt: skip

    def post(self, client: httpx.Client, n: int) -> None:
        sent = time.monotonic()
        r = client.post(f"{self.url}/v1/batch", json=self.body(n), auth=(self.key, ""))
        if r.status_code == 200 and r.json() == {"success": True}:
            self.acked.append((n, sent, time.monotonic()))
        else:
            self.failures.append(f"{r.status_code} {r.text[:200]}")

    def run(self, start: int) -> None:
        with httpx.Client(timeout=30) as client:
            n = start
            while not self.stop.is_set():
                self.post(client, n)
                n += 1


def restored_message_ids(data_dir: Path) -> set[str]:
    con = duckdb.connect(str(data_dir / "opencdp.duckdb"), read_only=True)
    try:
        return {row[0] for row in con.execute("SELECT message_id FROM events").fetchall()}
    finally:
        con.close()


def test_backup_while_collecting_loses_no_acknowledged_event(server: ServerProcess, tmp_path):
    key = str(json.loads(cli(server.data_dir, "sources", "create", "web", "--json").stdout)[
        "write_key"])  # fmt: skip
    loader = Collector(server.url, key, "pre", size=500)
    with httpx.Client(timeout=30) as client:
        for n in range(20):  # 10,000 events first, so the backup takes a moment
            loader.post(client, n)
    collector = Collector(server.url, key, "live")
    thread = threading.Thread(target=collector.run, args=(0,))
    thread.start()
    try:
        while len(collector.acked) < 5:  # collection is under way before the backup starts
            time.sleep(0.01)
        began = time.monotonic()
        out = server.cli("backup", "-o", str(tmp_path / "live.cdpbackup"), "--json")
        ended = time.monotonic()
        after = len(collector.acked)
        while len(collector.acked) < after + 5:  # and goes on after it
            time.sleep(0.01)
    finally:
        collector.stop.set()
        thread.join()
    made = json.loads(out.stdout)
    assert not collector.failures and not loader.failures
    during = [n for n, sent, answered in collector.acked if sent >= began and answered <= ended]
    assert during, "no batch was acknowledged while the backup ran"
    assert made["server_copy"] and (server.data_dir / "backups" / made["server_copy"]).exists()

    server.stop()
    restored = cli(server.data_dir, "restore", str(tmp_path / "live.cdpbackup"), "--json",
                   check=False)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    ids = restored_message_ids(server.data_dir)
    for n in range(20):
        assert set(loader.ids(n)) <= ids
    for n, sent, answered in collector.acked:
        present = ids.issuperset(collector.ids(n))
        assert present or ids.isdisjoint(collector.ids(n)), f"batch {n} restored in part"
        if answered < began:
            assert present, f"batch {n} was acknowledged before the backup and is missing"
        if sent > ended:
            assert not present, f"batch {n} was sent after the backup finished"
    assert len(ids) == 10_000 + BATCH * sum(
        ids.issuperset(collector.ids(n)) for n, _, _ in collector.acked
    )

    # the restored directory serves again; what it holds is still deduplicated
    server.start()
    first = collector.acked[0][0]
    with httpx.Client(timeout=30) as client:
        collector.post(client, first)
    count = json.loads(cli(server.data_dir, "events", "count", "--json").stdout)["total"]
    assert count == len(ids)


def test_restore_is_refused_while_the_server_runs(server: ServerProcess, tmp_path):
    key = str(json.loads(cli(server.data_dir, "sources", "create", "web", "--json").stdout)[
        "write_key"])  # fmt: skip
    Collector(server.url, key, "x").post(httpx.Client(), 0)
    made = json.loads(cli(server.data_dir, "backup", "--json").stdout)
    assert Path(made["path"]).parent == server.data_dir / "backups"
    refused = server.cli("restore", made["path"], check=False)  # a real process
    assert refused.returncode == 1
    assert "in use by a running opencdp server" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert json.loads(cli(server.data_dir, "events", "count", "--json").stdout)["total"] == BATCH
    listed = json.loads(cli(server.data_dir, "backups", "list", "--json").stdout)
    assert [b["name"] for b in listed] == [made["name"]]
    token = server.admin_token()
    headers = {"Authorization": f"Bearer {token}"}
    for name in ("nope.cdpbackup", "..%2Fopencdp.duckdb", made["name"] + ".partial"):
        assert httpx.get(f"{server.url}/v1/backups/{name}", headers=headers).status_code == 404
    assert httpx.post(f"{server.url}/v1/backups").status_code == 401
    # the default key file lies in the data directory: the server said so when it started
    started = (server.data_dir.parent / "server.log").read_text(encoding="utf-8")
    assert "master key file" in started and "inside the data directory" in started


@pytest.fixture
def offline(tmp_path):
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.data_dir.mkdir(parents=True)
    return proc


def test_offline_backup_verify_and_clear_errors(offline: ServerProcess, tmp_path):
    cli(offline.data_dir, "sources", "create", "web")
    made = json.loads(offline.cli("backup", "--json").stdout)  # a real process
    verified = cli(offline.data_dir, "backups", "verify", made["path"])
    assert "intact" in verified.stdout
    listed = cli(offline.data_dir, "backups", "list").stdout
    assert listed.startswith(made["name"])

    cut = tmp_path / "cut.cdpbackup"
    cut.write_bytes(Path(made["path"]).read_bytes()[:-100])
    out = offline.cli("restore", str(cut), check=False)  # a real process
    assert out.returncode == 1 and "truncated" in out.stderr and "Traceback" not in out.stderr

    stranger = ServerProcess(tmp_path / "other", free_port())
    stranger.data_dir.mkdir()
    (stranger.data_dir / "master.key").write_text("A" * 43 + "=\n")
    out = cli(stranger.data_dir, "restore", made["path"], check=False)
    assert out.returncode == 1 and "different master key" in out.stderr
    assert not (stranger.data_dir / "opencdp.duckdb").exists()

    exists = cli(offline.data_dir, "backup", "-o", made["path"], check=False)
    assert exists.returncode == 1 and "exists" in exists.stderr
