"""Load generator process: keep-alive HTTP/1.1 over raw asyncio sockets (uvloop if present).

Run by run.py as a separate process; prints one JSON document of results on stdout.
Closed loop (no --rate): every connection sends its next request as soon as the previous is
answered. Open loop (--rate): requests are scheduled at fixed intervals and latency is
measured from the *scheduled* time, so a slow server cannot hide queueing delay
(no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import resource
import sys
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any, cast

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from payloads import Template, batch_templates, track_templates

SUCCESS = orjson.loads(b'{"success": true}')


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end == -1:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.find(b"\r\n", at)]) if at != -1 else 0
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(head + b"%d\r\n\r\n" % len(body) + body)
        return await self.waiter


class Stats:
    def __init__(self) -> None:
        self.latencies = array("d")  # seconds, acknowledged requests inside the window
        self.acked_events = 0  # events in 200 {"success": true} answers, whole run
        self.window_events = 0  # the same, inside the measurement window only
        self.window_requests = 0
        self.sent_requests = 0
        self.errors: Counter[str] = Counter()


async def worker(
    args: argparse.Namespace, index: int, templates: list[Template], head: bytes,
    schedule: asyncio.Queue[float] | None, stats: Stats, window: tuple[float, float],
) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    conn: Connection | None = None
    number = 0
    events = args.batch_size if args.mode != "track" else 1
    while True:
        if schedule is not None:
            start = await schedule.get()
            if start < 0:
                break
        else:
            start = time.perf_counter()
            if start >= window[1]:
                break
        if conn is None or conn.closed.done():
            _, conn = await loop.create_connection(Connection, args.host, args.port)
        template = templates[number % len(templates)]
        number += 1
        stats.sent_requests += 1
        try:
            status, body = await conn.request(head, template.fill(number))
        except ConnectionError:
            stats.errors["connection"] += 1
            conn = None
            continue
        done = time.perf_counter()
        if status != 200:
            stats.errors[str(status)] += 1
            continue
        if orjson.loads(body) != SUCCESS:
            stats.errors["200 without success"] += 1
            continue
        stats.acked_events += events
        if window[0] <= start < window[1]:
            stats.window_events += events
            stats.window_requests += 1
            stats.latencies.append(done - start)
    if conn is not None and conn.transport is not None:
        conn.transport.close()


async def scheduler(
    args: argparse.Namespace, queue: asyncio.Queue[float], begin: float, end: float
) -> None:
    """Open loop: one request every `interval` seconds, whatever the server does."""
    per_request = args.batch_size if args.mode != "track" else 1
    interval = per_request / args.rate
    next_at = begin
    while next_at < end:
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        while next_at <= now and next_at < end:
            queue.put_nowait(next_at)
            next_at += interval
    for _ in range(args.connections):
        queue.put_nowait(-1.0)


def request_head(args: argparse.Namespace) -> bytes:
    path = "/v1/track" if args.mode == "track" else "/v1/batch"
    auth = base64.b64encode(f"{args.write_key}:".encode()).decode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
        f"User-Agent: opencdp-bench\r\nContent-Length: "
    ).encode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    head = request_head(args)
    per_worker = []
    for w in range(args.connections):
        prefix = f"{args.run_id:08x}-{args.generator:04x}-{w:04x}"
        seed = args.generator * 10_000 + w
        if args.mode == "track":
            per_worker.append(track_templates(seed, args.templates, prefix))
        else:
            per_worker.append(batch_templates(seed, args.templates, args.batch_size, prefix))
    stats = Stats()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    begin = time.perf_counter()
    window = (begin + args.warmup, begin + args.warmup + args.duration)
    queue: asyncio.Queue[float] | None = asyncio.Queue() if args.rate else None
    tasks = [
        asyncio.create_task(worker(args, w, per_worker[w], head, queue, stats, window))
        for w in range(args.connections)
    ]
    if queue is not None:
        tasks.append(asyncio.create_task(scheduler(args, queue, begin, window[1])))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - begin
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "acked_events": stats.acked_events,
        "window_events": stats.window_events,
        "window_requests": stats.window_requests,
        "sent_requests": stats.sent_requests,
        "errors": dict(stats.errors),
        "latencies": stats.latencies.tolist(),
        "wall_seconds": wall,
        "window_seconds": args.duration,
        "cpu_seconds": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--write-key", required=True)
    parser.add_argument("--mode", choices=["batch", "track"], default="batch")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=0.0, help="events/s; 0: as fast as possible")
    parser.add_argument("--templates", type=int, default=64, help="distinct bodies per connection")
    parser.add_argument("--run-id", type=int, default=0)
    parser.add_argument("--generator", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    sys.stdout.buffer.write(orjson.dumps(result))


if __name__ == "__main__":
    main()
