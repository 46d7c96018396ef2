"""Ingestion benchmark: start a server on a fresh data directory, load it, report.

  .venv/bin/python bench/ingest/run.py                         # max load, /v1/batch
  .venv/bin/python bench/ingest/run.py --rate 10000            # p99 at 10,000 events/s
  .venv/bin/python bench/ingest/run.py --mode track            # single-message /v1/track
  .venv/bin/python bench/ingest/run.py --duration 300          # memory over 5 minutes
  .venv/bin/python bench/ingest/run.py --baseline              # bare FastAPI ceiling
  .venv/bin/python bench/ingest/run.py --compare-baseline      # both, with the ratio

The load generator runs in separate processes (loadgen.py); its CPU use is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RunResult, machine, print_report

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def opencdp(data_dir: Path, *args: str) -> Any:
    env = {**os.environ, "OPENCDP_DATA_DIR": str(data_dir)}
    out = subprocess.run(
        [str(BIN / "opencdp"), *args, "--json"], env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout)


class Server:
    """The server under test, as a subprocess; RSS and CPU are sampled while it runs."""

    def __init__(self, baseline: bool, data_dir: Path, extra_env: dict[str, str]) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        if baseline:
            cmd = [sys.executable, str(HERE / "baseline_app.py"), "--port", str(self.port)]
        else:
            cmd = [str(BIN / "opencdp"), "serve", "--port", str(self.port)]
        env = {**os.environ, "OPENCDP_DATA_DIR": str(data_dir), "OPENCDP_LOG_LEVEL": "WARNING",
               **extra_env}  # fmt: skip
        self.log = (data_dir / "server.log").open("wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.samples: list[tuple[float, int]] = []
        self._sampling = threading.Event()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited; see {self.data_dir / 'server.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("server did not become ready")

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def sample_rss(self, every: float = 1.0) -> threading.Thread:
        self._sampling.set()
        start = time.monotonic()

        def loop() -> None:
            while self._sampling.is_set():
                self.samples.append((time.monotonic() - start, self.ps.memory_info().rss))
                time.sleep(every)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    def stop_sampling(self) -> None:
        self._sampling.clear()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy (all processes, all cores) since boot."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0))


def run_generators(args: argparse.Namespace, port: int, write_key: str) -> list[dict[str, Any]]:
    counts = [args.connections // args.generators] * args.generators
    for i in range(args.connections % args.generators):
        counts[i] += 1
    run_id = int(time.time()) & 0xFFFFFFFF
    procs = []
    for g, connections in enumerate(counts):
        cmd = [
            sys.executable, str(HERE / "loadgen.py"), "--port", str(port),
            "--write-key", write_key, "--mode", args.mode, "--batch-size", str(args.batch_size),
            "--connections", str(connections), "--duration", str(args.duration),
            "--warmup", str(args.warmup), "--rate", str(args.rate / args.generators),
            "--run-id", str(run_id), "--generator", str(g),
        ]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE))
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"load generator failed with status {proc.returncode}")
        results.append(json.loads(out))
    return results


def profile(pid: int, seconds: float, out: Path, gil: bool) -> subprocess.Popen[bytes]:
    """py-spy the server: speedscope JSON, or collapsed stacks if `out` ends in .txt."""
    spy = shutil.which("py-spy", path=str(BIN)) or "py-spy"
    fmt = "raw" if out.suffix == ".txt" else "speedscope"
    cmd = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100",
           "--nonblocking", "--threads", "--output", str(out), "--format", fmt]  # fmt: skip
    cmd.append("--gil" if gil else "--idle")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench(args: argparse.Namespace, baseline: bool) -> RunResult:
    data_dir = Path(tempfile.mkdtemp(prefix="opencdp-bench-"))
    try:
        write_key = "baseline"
        if not baseline:
            write_key = opencdp(data_dir, "sources", "create", "bench")["write_key"]
        extra_env = dict(kv.split("=", 1) for kv in args.server_env)
        server = Server(baseline, data_dir, extra_env)
        try:
            server.sample_rss()
            cpu_before = server.cpu_seconds()
            machine_before = busy_seconds()
            spy = None
            if args.profile:
                seconds = args.warmup + args.duration
                spy = profile(server.proc.pid, seconds, Path(args.profile), args.profile_gil)
            generators = run_generators(args, server.port, write_key)
            server_cpu = server.cpu_seconds() - cpu_before
            machine_busy = busy_seconds() - machine_before
            server.stop_sampling()
            if spy is not None:
                spy.wait()
            result = RunResult(
                mode=args.mode, target="bare FastAPI (baseline)" if baseline else "opencdp serve",
                connections=args.connections, batch_size=args.batch_size, rate=args.rate,
                duration=args.duration, generators=generators, rss_samples=server.samples,
                server_cpu_seconds=server_cpu, machine_busy_seconds=machine_busy,
            )  # fmt: skip
            if not baseline:
                counts = opencdp(data_dir, "events", "count")
                result.stored = int(counts["total"])
                result.quarantined = counts.get("quarantined")
        finally:
            server.stop()
    finally:
        if args.keep_data:
            print(f"data directory kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=30.0, help="measured seconds (default 30)")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    p.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    p.add_argument("--rate", type=float, default=0.0, help="offered events/s (open loop)")
    p.add_argument("--mode", choices=["batch", "track"], default="batch")
    p.add_argument("--batch-size", type=int, default=100, help="events per /v1/batch request")
    p.add_argument("--generators", type=int, default=1, help="load generator processes")
    p.add_argument("--baseline", action="store_true", help="load the bare FastAPI app only")
    p.add_argument("--compare-baseline", action="store_true", help="also run the baseline")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server, e.g. OPENCDP_MAX_COMMIT_EVENTS=20000",
    )
    p.add_argument("--profile", metavar="FILE", help="py-spy the server (speedscope, or .txt)")
    p.add_argument("--profile-gil", action="store_true", help="profile only GIL holders")
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data directory")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = p.parse_args()
    if args.mode == "track" and args.batch_size != 100:
        p.error("--batch-size applies to --mode batch only")
    return args


def main() -> None:
    args = parse_args()
    info = machine()
    result = bench(args, baseline=args.baseline)
    baseline_eps = None
    if args.compare_baseline and not args.baseline:
        baseline_eps = bench(args, baseline=True).summary()["events_per_s"]
    print_report(result, info, baseline_eps)
    if args.json:
        payload = {"machine": info, "args": vars(args), **result.summary(),
                   "baseline_events_per_s": baseline_eps}  # fmt: skip
        Path(args.json).write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
