"""`opencdp audit ...` and the entries commands leave, offline and through a server."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from opencdp.admin import Admin
from opencdp.audit.model import Actor, Entry
from opencdp.config import load_settings
from opencdp.workspace import Workspace
from tests.cli.conftest import ThreadServer, cli, run
from tests.collecting import collect
from tests.conftest import free_port


def _populate(data_dir) -> str:
    with Workspace(load_settings(env={}, data_dir=data_dir)) as ws:
        admin = Admin(ws)
        admin.create_source("web")
        collect(admin, [{"type": "identify", "userId": "u1", "traits": {"country": "TH"}}])
        ws.profiles.catch_up()
        ws.audit.record(Entry("profile.read", Actor("user", "bob"), "api"))
        return str(admin.get_profile("u1")["profile_id"])


def test_offline_commands_are_audited_as_the_local_user(tmp_path):
    data_dir = tmp_path / "data"
    profile_id = _populate(data_dir)
    run(data_dir, "--reason", "ticket 9", "profiles", "get", "u1")  # a real process
    report = cli(data_dir, "audit", "report", "--profile", "u1").stdout  # in this process
    user = getpass.getuser()
    assert report.startswith(f"u1 → {profile_id}")
    assert f"cli:{user} (admin): 1 — profile.read 1" in report
    assert "\tcli:" + user + "\tprofile.read\t" + profile_id + "\tok\tticket 9" in report
    with Workspace(load_settings(env={}, data_dir=data_dir)) as ws:  # and the report itself
        entries = Admin(ws).audit_log(user=f"cli:{user}")
    assert [e["action"] for e in entries] == ["audit.report", "profile.read"]


@pytest.fixture
def threaded(tmp_path: Path) -> Iterator[ThreadServer]:
    server = ThreadServer(tmp_path / "data", free_port())
    server.data_dir.mkdir(parents=True)
    server.start()
    yield server
    server.stop()


def test_through_a_server_the_cli_sends_its_reason_and_user(threaded):
    refused = run(threaded.data_dir, "--reason", "ticket 10", "profiles", "get", "nobody",
                  check=False)  # fmt: skip
    assert refused.returncode == 1
    log = json.loads(cli(threaded.data_dir, "audit", "log", "--action", "profile", "--json").stdout)
    read = log[0]
    assert read["action"] == "profile.read" and read["outcome"] == "not_found"
    assert read["actor"] == "admin_token:admin" and read["reason"] == "ticket 10"
    assert f"(user {getpass.getuser()})" in read["user_agent"]


def test_verify_exits_non_zero_naming_the_first_broken_entry(tmp_path):
    data_dir = tmp_path / "data"
    _populate(data_dir)
    con = duckdb.connect(str(data_dir / "opencdp.duckdb"))
    con.execute("UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = 1")
    con.close()
    broken = run(data_dir, "audit", "verify", check=False)
    assert broken.returncode == 1
    assert broken.stdout.startswith("BROKEN at entry 1: entry 1 was modified")
