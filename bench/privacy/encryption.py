"""What field encryption costs: collection and profile reads, on versus off (issue 6: < 1.3×).

Usage:
  .venv/bin/python bench/privacy/encryption.py                    # all three parts
  .venv/bin/python bench/privacy/encryption.py --skip-server      # in-process parts only

Three measurements, each run with `field_encryption` off and on in fresh data directories,
interleaved round by round so the VM's drift hits both modes alike:

1. **prepare**: the collector's own per-message work before the writer (authenticate,
   decode, validate, normalise, and when on: pseudonymise identifiers, seal personal
   members), over bench/ingest's realistic batches; µs per message.
2. **server**: `bench/ingest/run.py` end to end (HTTP, group commits, identity stitching),
   acknowledged events per second; `--server-env OPENCDP_FIELD_ENCRYPTION=true` for on.
3. **profile read**: `Admin.get_profile(email)` (lookup by e-mail, the 360 view with
   identifiers, traits, merges and the last 50 events) on `--people` people who each sent an
   identify and `--events` tracks; milliseconds per read, over every person.

Prints the machine and, per part, both medians and the ratio on/off.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.payloads import batch_templates
from ingest.report import machine

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.workspace import Workspace

HERE = Path(__file__).resolve().parent
MODES = {"off": False, "on": True}


def _workspace(tmp: Path, mode: str) -> Workspace:
    settings = load_settings(env={}, data_dir=tmp / mode, field_encryption=MODES[mode])
    return Workspace(settings)


def prepare_us(workspace: Workspace, auth: str, bodies: list[bytes]) -> float:
    """The collector's `prepare` per message (no writer, no suppression)."""
    collector = workspace.collector
    messages, spent = 0, 0.0
    for body in bodies:
        started = time.perf_counter()
        _, ingest = collector.prepare(body, authorization=auth, content_encoding=None,
                                      type_hint=None, client_ip="127.0.0.1")  # fmt: skip
        spent += time.perf_counter() - started
        messages += len(ingest.records)
    return spent / messages * 1e6


def people_messages(people: int, events: int, seed: int) -> list[dict[str, Any]]:
    r = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(people):
        who = {"userId": f"cust-{n:07d}", "anonymousId": f"anon-{n:07d}"}
        traits = {
            "email": f"person{n}@mail{n % 50}.example", "phone": f"+4420{n:08d}",
            "firstName": f"First{n}", "lastName": f"Last{n}",
            "birthday": f"1985-03-0{1 + n % 9}", "city": r.choice(["London", "Osaka"]),
            "plan": r.choice(["free", "pro"]),
        }  # fmt: skip
        out.append({"type": "identify", **who, "traits": traits})
        for e in range(events):
            props = {"sku": f"SKU{r.randrange(500)}", "price": e + 0.5}
            event = r.choice(["Viewed", "Ordered"])
            out.append({"type": "track", **who, "event": event, "properties": props})
    return out


def load_people(workspace: Workspace, messages: list[dict[str, Any]]) -> None:
    key = Admin(workspace).create_source("app")["write_key"]
    for start in range(0, len(messages), 500):
        body = orjson.dumps({"batch": messages[start : start + 500], "writeKey": key})
        _, ingest = workspace.collector.prepare(
            body, authorization=None, content_encoding=None, type_hint=None, client_ip=None
        )
        workspace.collector.submit(ingest).result()
    workspace.bring_current()


def read_ms(admin: Admin, emails: list[str]) -> float:
    started = time.perf_counter()
    for email in emails:
        admin.get_profile(email)
    return (time.perf_counter() - started) / len(emails) * 1e3


def server_rate(duration: float, encrypted: bool) -> float:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    cmd = [sys.executable, str(HERE.parent / "ingest" / "run.py"), "--duration", str(duration),
           "--json", str(out)]  # fmt: skip
    if encrypted:
        cmd += ["--server-env", "OPENCDP_FIELD_ENCRYPTION=true"]
    subprocess.run(cmd, check=True, capture_output=True)
    figures = json.loads(out.read_text())
    out.unlink()
    return float(figures["events_per_s"])


def summary(values: dict[str, list[float]], higher_is_better: bool) -> dict[str, Any]:
    off, on = statistics.median(values["off"]), statistics.median(values["on"])
    ratio = off / on if higher_is_better else on / off
    return {"off": round(off, 3), "on": round(on, 3), "cost_ratio": round(ratio, 3),
            "runs": {m: [round(v, 3) for v in vs] for m, vs in values.items()}}  # fmt: skip


def interleaved(rounds: int, measure: Callable[[str], float]) -> dict[str, list[float]]:
    got: dict[str, list[float]] = {"off": [], "on": []}
    for n in range(rounds):
        for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
            got[mode].append(measure(mode))
    return got


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batches", type=int, default=100, help="prepare: 100-message batches")
    p.add_argument("--people", type=int, default=2000)
    p.add_argument("--events", type=int, default=20, help="tracks per person")
    p.add_argument("--reads", type=int, default=500, help="profile reads per round")
    p.add_argument("--duration", type=float, default=20.0, help="server: seconds per run")
    p.add_argument("--skip-server", action="store_true")
    args = p.parse_args()
    report: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        spaces = {mode: _workspace(tmp, mode) for mode in MODES}
        try:
            bodies = [t.fill(n) for n, t in enumerate(batch_templates(7, args.batches, 100, "b"))]
            auth: dict[str, str] = {}
            for mode, ws in spaces.items():
                key = Admin(ws).create_source("web")["write_key"]
                auth[mode] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
            report["prepare_us_per_message"] = summary(interleaved(
                args.rounds, lambda m: prepare_us(spaces[m], auth[m], bodies)), False)  # fmt: skip
            messages = people_messages(args.people, args.events, seed=11)
            for ws in spaces.values():
                load_people(ws, messages)
            admins = {mode: Admin(ws) for mode, ws in spaces.items()}
            r = random.Random(3)
            picks = [r.randrange(args.people) for _ in range(args.reads)]
            emails = [f"person{n}@mail{n % 50}.example" for n in picks]
            for admin in admins.values():  # warm both (first-read costs are not the figure)
                read_ms(admin, emails[:20])
            report["profile_read_ms"] = summary(interleaved(
                args.rounds, lambda m: read_ms(admins[m], emails)), False)  # fmt: skip
            sample = admins["on"].get_profile(emails[0])
            report["profile_read_check"] = {"decrypted_email_seen": emails[0] in json.dumps(sample)}
        finally:
            for ws in spaces.values():
                ws.close()
    if not args.skip_server:
        rates = interleaved(max(2, args.rounds // 2),
                            lambda m: server_rate(args.duration, m == "on"))  # fmt: skip
        report["server_events_per_second"] = summary(rates, True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
