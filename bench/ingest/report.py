"""Machine description, latency statistics and the printed report of a benchmark run."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

# RudderStack's published gateway throughput on an m5.large (2 cores, 8 GB), Postgres on a
# separate db.m4.xlarge: https://rudderstack.com/docs/user-guides/administrators-guide/infra-provisioning
RUDDERSTACK_2_CORES = 1700


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    versions = {name: metadata.version(name) for name in ("duckdb", "uvicorn", "fastapi", "orjson")}
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "kernel": platform.release(),
        **versions,
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class RunResult:
    mode: str
    target: str
    connections: int
    batch_size: int
    rate: float
    duration: float
    generators: list[dict[str, Any]]
    rss_samples: list[tuple[float, int]] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    machine_busy_seconds: float = 0.0
    stored: int | None = None
    quarantined: int | None = None

    @property
    def acked_events(self) -> int:
        return sum(g["acked_events"] for g in self.generators)

    @property
    def window_events(self) -> int:
        return sum(g["window_events"] for g in self.generators)

    @property
    def window_requests(self) -> int:
        return sum(g["window_requests"] for g in self.generators)

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for g in self.generators:
            for status, n in g["errors"].items():
                total[status] = total.get(status, 0) + n
        return total

    def summary(self) -> dict[str, Any]:
        latencies = sorted(x for g in self.generators for x in g["latencies"])
        wall = max(g["wall_seconds"] for g in self.generators)
        gen_cpu = sum(g["cpu_seconds"] for g in self.generators)
        rss = [r for _, r in self.rss_samples]
        return {
            "events_per_s": self.window_events / self.duration,
            "requests_per_s": self.window_requests / self.duration,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
            "acked_events": self.acked_events,
            "stored_events": self.stored,
            "quarantined": self.quarantined,
            "errors": self.errors(),
            "generator_cpu_share_of_one_core": gen_cpu / wall,
            "server_cpu_share_of_one_core": self.server_cpu_seconds / wall,
            "server_cpu_us_per_event": self.server_cpu_seconds / max(self.acked_events, 1) * 1e6,
            "other_processes_cpu_share_of_one_core": max(
                0.0, self.machine_busy_seconds - self.server_cpu_seconds - gen_cpu
            )
            / wall,
            "rss_mib_start": rss[0] / 2**20 if rss else None,
            "rss_mib_max": max(rss) / 2**20 if rss else None,
            "rss_mib_end": rss[-1] / 2**20 if rss else None,
        }


def _rss_timeline(samples: list[tuple[float, int]], points: int = 10) -> str:
    if len(samples) < 2:
        return ""
    step = max(1, len(samples) // points)
    picked = [*samples[::step], samples[-1]] if (len(samples) - 1) % step else samples[::step]
    return "  ".join(f"{t:.0f}s:{r / 2**20:.0f}" for t, r in picked)


def print_report(result: RunResult, info: dict[str, Any], baseline_eps: float | None) -> None:
    s = result.summary()
    cores = info["cores"] or 1
    rate = f"offered {result.rate:,.0f} events/s" if result.rate else "closed loop (max load)"
    print("\n=== opencdp ingest benchmark ===")
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, "
        f"Linux {info['kernel']}, Python {info['python']}, DuckDB {info['duckdb']}, "
        f"uvicorn {info['uvicorn']}, FastAPI {info['fastapi']}, orjson {info['orjson']}"
    )
    what = (
        "/v1/track, 1 event/request"
        if result.mode == "track"
        else (f"/v1/batch, {result.batch_size} events/request")
    )
    print(
        f"target: {result.target} · {what} · {result.connections} keep-alive connections · "
        f"{rate} · {result.duration:.0f} s measured"
    )
    print(
        f"acknowledged events/s: {s['events_per_s']:,.0f}   requests/s: {s['requests_per_s']:,.1f}"
    )
    print(
        f"ack latency: p50 {s['p50_ms']:.1f} ms   p99 {s['p99_ms']:.1f} ms   "
        f"max {s['max_ms']:.1f} ms"
    )
    print(f"errors by status: {s['errors'] or 'none'}")
    if result.stored is not None:
        verdict = "OK" if result.stored == result.acked_events else "MISMATCH"
        print(
            f"stored events (opencdp events count): {result.stored:,} · acknowledged: "
            f"{result.acked_events:,} · {verdict} · quarantined: {result.quarantined}"
        )
    print(
        f"CPU: load generator {s['generator_cpu_share_of_one_core']:.0%} of one core "
        f"({s['generator_cpu_share_of_one_core'] / cores:.0%} of the machine) · "
        f"server {s['server_cpu_share_of_one_core']:.0%} of one core "
        f"({s['server_cpu_us_per_event']:.1f} µs per acknowledged event) · "
        f"other processes {s['other_processes_cpu_share_of_one_core']:.0%} of one core"
    )
    if s["rss_mib_start"] is not None:
        print(
            f"server RSS MiB: start {s['rss_mib_start']:.0f}  max {s['rss_mib_max']:.0f}  "
            f"end {s['rss_mib_end']:.0f}"
        )
        print(f"  RSS over time (s since load start: MiB): {_rss_timeline(result.rss_samples)}")
    print(
        f"peer: RudderStack publishes ~{RUDDERSTACK_2_CORES:,} events/s on 2 cores "
        f"(m5.large, Postgres on a separate host) → this run: "
        f"{s['events_per_s'] / RUDDERSTACK_2_CORES:.1f}×"
    )
    if baseline_eps:
        print(
            f"ceiling: bare FastAPI parse-and-200 on this machine: {baseline_eps:,.0f} events/s"
            f" → opencdp reaches {s['events_per_s'] / baseline_eps:.0%} of it"
        )
