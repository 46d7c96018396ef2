"""SIGKILL the server under sustained load: every acknowledged event survives, none twice.

Client threads post batches of 50 events with unique messageIds, as an SDK would: a request
counts as acknowledged only if it got exactly 200 `{"success": true}`; a connection error or
any other answer is "not acknowledged", and the client then either retries the same bytes
or gives the batch up. Now and then a client also sends an acknowledged batch again, as an
SDK does whose 200 was lost. Meanwhile the server is killed at random moments and restarted.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ServerProcess

SEED = 20240229
KILL_CYCLES = 5
CLIENTS = 3
BATCH_SIZE = 50
RETRY_SAME_BATCH = 0.7  # chance a client retries a batch that was not acknowledged
RESEND_ACKNOWLEDGED = 0.1  # chance a client sends an acknowledged batch once more
SUCCESS = {"success": True}


@dataclass(frozen=True)
class Batch:
    body: bytes  # sent again byte for byte
    ids: tuple[str, ...]


def event(client_no: int, run: str, n: int) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"{run}-c{client_no}-{n}",
        "userId": f"user-{client_no}-{n % 97}",
        "event": "Item Viewed",
        "properties": {"client": client_no, "n": n},
        "timestamp": datetime.now(UTC).isoformat(),
    }


@dataclass
class LoadClient:
    """One client thread: what it sent, and what it was told."""

    url: str
    key: str
    number: int
    run: str
    stop: threading.Event
    sent: set[str] = field(default_factory=set)  # every messageId put in some request
    acknowledged: set[str] = field(default_factory=set)
    requests: int = 0
    failed: int = 0  # no 200 {"success": true}: connection errors and error answers
    lost_in_flight: int = 0  # the request went out, its answer never came
    resent: int = 0  # acknowledged batches sent once more
    resent_after_outage: int = 0
    error: BaseException | None = None
    _next: deque[Batch] = field(default_factory=deque)  # retries and resends go first
    _acknowledged_batches: list[Batch] = field(default_factory=list)
    _last_before_outage: Batch | None = None
    _count: int = 0

    def new_batch(self) -> Batch:
        batch = [event(self.number, self.run, self._count + i) for i in range(BATCH_SIZE)]
        self._count += BATCH_SIZE
        body = json.dumps({"batch": batch, "sentAt": datetime.now(UTC).isoformat()}).encode()
        return Batch(body, tuple(m["messageId"] for m in batch))

    def post(self, http: httpx.Client, batch: Batch) -> bool:
        """Whether the batch was acknowledged; notes an outage when the server is down."""
        self.sent.update(batch.ids)
        self.requests += 1
        try:
            r = http.post("/v1/batch", content=batch.body,
                          headers={"Content-Type": "application/json"})  # fmt: skip
        except httpx.ConnectError:
            if self._last_before_outage is None and self._acknowledged_batches:
                self._last_before_outage = self._acknowledged_batches[-1]
            return False
        except httpx.TransportError:
            self.lost_in_flight += 1
            return False
        return r.status_code == 200 and r.json() == SUCCESS

    def run_forever(self, rng: random.Random) -> None:
        with httpx.Client(base_url=self.url, auth=(self.key, ""), timeout=10) as http:
            while not self.stop.is_set():
                batch = self._next.popleft() if self._next else self.new_batch()
                if self.post(http, batch):
                    self.acknowledged.update(batch.ids)
                    self._acknowledged_batches.append(batch)
                    if self._last_before_outage is not None:
                        # As an SDK does whose 200 was lost in the crash: that batch again.
                        self._next.append(self._last_before_outage)
                        self._last_before_outage = None
                        self.resent_after_outage += 1
                    elif rng.random() < RESEND_ACKNOWLEDGED:
                        self._next.append(rng.choice(self._acknowledged_batches))
                        self.resent += 1
                else:
                    self.failed += 1
                    if rng.random() < RETRY_SAME_BATCH:
                        self._next.appendleft(batch)
                    self.stop.wait(0.02)  # back off a little while the server is down

    def __call__(self) -> None:
        try:
            self.run_forever(random.Random(SEED + self.number))
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            self.error = exc


def exported(server: ServerProcess, path: Path) -> list[dict[str, Any]]:
    server.cli("events", "export", "--format", "jsonl", "-o", str(path))
    return [json.loads(line) for line in path.read_text().splitlines()]


def count(server: ServerProcess) -> dict[str, Any]:
    return dict(json.loads(server.cli("events", "count", "--json").stdout))


def test_acknowledged_events_survive_sigkill_once_each(
    server: ServerProcess, tmp_path: Path
) -> None:
    key = str(server.create_source("crash")["write_key"])
    run = uuid.uuid4().hex[:8]
    rng = random.Random(SEED)
    stop = threading.Event()
    clients = [LoadClient(server.url, key, i, run, stop) for i in range(CLIENTS)]
    threads = [threading.Thread(target=client, daemon=True) for client in clients]
    for thread in threads:
        thread.start()

    def total_acknowledged() -> int:
        return sum(len(client.acknowledged) for client in clients)

    acknowledged_per_cycle = []
    try:
        for _ in range(KILL_CYCLES):
            before = total_acknowledged()
            time.sleep(rng.uniform(0.2, 1.5))  # the moment of the crash, not a synchronisation
            server.kill()
            acknowledged_per_cycle.append(total_acknowledged() - before)
            server.start()
        # Let the clients get some more batches through the last restarted server.
        after_restart = total_acknowledged()
        deadline = time.monotonic() + 20
        while total_acknowledged() < after_restart + 10 * BATCH_SIZE:
            assert time.monotonic() < deadline, "no progress after the last restart"
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    for client in clients:
        assert client.error is None, repr(client.error)

    sent = set().union(*(client.sent for client in clients))
    acknowledged = set().union(*(client.acknowledged for client in clients))
    events = exported(server, tmp_path / "events.jsonl")
    stored = Counter(e["messageId"] for e in events)

    # The test did what it claims: kills hit a busy server, clients retried and resent.
    assert sum(client.failed for client in clients) >= KILL_CYCLES
    assert sum(client.lost_in_flight for client in clients) > 0
    assert sum(1 for n in acknowledged_per_cycle if n > 0) >= KILL_CYCLES // 2
    assert sum(client.resent for client in clients) > 0
    assert sum(client.resent_after_outage for client in clients) >= KILL_CYCLES

    assert [m for m, n in stored.items() if n > 1] == [], "messageIds stored twice"
    assert sorted(acknowledged - stored.keys()) == [], "acknowledged events lost"
    assert stored.keys() <= sent, "events stored that no client sent"
    assert len({e["seq"] for e in events}) == len(events)
    for e in events:
        client_no, n = e["properties"]["client"], e["properties"]["n"]
        assert e["messageId"] == f"{run}-c{client_no}-{n}"
        assert (e["type"], e["event"], e["userId"]) == (
            "track", "Item Viewed", f"user-{client_no}-{n % 97}"
        )  # fmt: skip
    counts = count(server)
    assert (counts["total"], counts["quarantined"]) == (len(events), 0)

    # The CLI opens the crashed data directory itself (no server running) ...
    server.kill()
    assert count(server) == counts
    # ... and after a server start and a clean stop, it opens with the same events.
    server.start()
    server.stop()
    assert count(server) == counts
    assert exported(server, tmp_path / "offline.jsonl") == events
