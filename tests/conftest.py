"""Shared fixtures: a data directory, an in-process workspace, and a real server process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from opencdp.config import Settings, load_settings
from opencdp.workspace import Workspace

# `OPENCDP_TEST_ENCRYPTION=1 scripts/test` runs the suite with field encryption on in every
# new data directory (Settings built in tests and server or CLI child processes alike).
ENCRYPTED = os.environ.get("OPENCDP_TEST_ENCRYPTION") == "1"
if ENCRYPTED:
    _plain_init = Settings.__init__

    def _encrypted_init(self: Settings, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("field_encryption", True)
        _plain_init(self, *args, **kwargs)  # type: ignore[arg-type]

    Settings.__init__ = _encrypted_init  # type: ignore[method-assign]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Tests deliver to their own folders and local servers: allowed here explicitly (the
    # defaults allow only `<data_dir>/exports` and public hosts; tests/security checks them).
    return load_settings(env={}, data_dir=tmp_path / "data", destination_folders=str(tmp_path),
                         destination_allowed_hosts="127.0.0.1,::1,localhost")  # fmt: skip


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    with Workspace(settings) as ws:
        yield ws


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """An `opencdp serve` child process on a data directory, restartable and killable."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCDP_")}
        env["OPENCDP_DATA_DIR"] = str(self.data_dir)
        if ENCRYPTED:
            env["OPENCDP_FIELD_ENCRYPTION"] = "true"
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "opencdp", *args],
            env=self.env(), capture_output=True, text=True, check=check, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        log = open(self.data_dir.parent / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "opencdp", "serve", "--port", str(self.port)],
            env=self.env(), stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)  # polling for readiness, not standing in for synchronisation
        raise RuntimeError("server did not become ready in 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no checkpoint — a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def admin_token(self) -> str:
        return (self.data_dir / "admin-token").read_text().strip()

    def create_source(self, name: str, *extra: str) -> dict[str, object]:
        out = self.cli("sources", "create", name, "--json", *extra)
        return dict(json.loads(out.stdout))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.data_dir.mkdir(parents=True)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a whole test module: tests keep apart by each using its own source."""
    proc = ServerProcess(tmp_path_factory.mktemp("shared") / "data", free_port())
    proc.data_dir.mkdir(parents=True)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
