"""`opencdp users` and `opencdp tokens` offline and through a running server."""

from __future__ import annotations

import json

import httpx

from tests.cli.conftest import cli
from tests.cli.conftest import run as process


def run(data_dir, *args, stdin=None):
    """A real `opencdp` process (one command of each group runs so)."""
    return process(data_dir, *args, stdin=stdin, check=False)


def call(data_dir, *args, stdin=None):
    """The same command in this process (`tests/cli/conftest.py`)."""
    return cli(data_dir, *args, stdin=stdin, check=False)


def ok(out):
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_users_and_tokens_lifecycle(either):
    data = either.data_dir
    added = json.loads(ok(run(data, "users", "add", "mia", "--role", "marketer",
                              "--password-stdin", "--json", stdin="a long passphrase\n")))
    assert added["role"] == "marketer" and "hash" not in json.dumps(added)
    weak = call(data, "users", "add", "leo", "--role", "viewer", "--password-stdin", stdin="x\n")
    assert weak.returncode == 1 and "at least 12" in weak.stderr
    ok(call(data, "users", "add", "leo", "--role", "viewer", "--no-password"))
    listed = ok(call(data, "users", "list"))
    assert "mia\tmarketer\tenabled" in listed and "leo\tviewer\tenabled" in listed

    issued = json.loads(ok(call(data, "tokens", "create", "--user", "mia", "--scope",
                               "segments:read", "--scope", "profiles:read", "--name", "ci",
                               "--json")))  # fmt: skip
    assert issued["token"].startswith("ocdp_") and issued["scopes"] == ["profiles:read",
                                                                         "segments:read"]
    tokens = json.loads(ok(call(data, "tokens", "list", "--user", "mia", "--json")))
    assert [t["token_id"] for t in tokens] == [issued["token_id"]]
    assert issued["token"] not in json.dumps(tokens)
    too_much = call(data, "tokens", "create", "--user", "mia", "--scope", "audit:read")
    assert too_much.returncode == 1 and "grant nothing" in too_much.stderr

    if either.process is not None:  # the token works against the running server
        headers = {"Authorization": f"Bearer {issued['token']}"}
        assert httpx.get(f"{either.url}/v1/segments", headers=headers).status_code == 200
        assert httpx.get(f"{either.url}/v1/events", headers=headers).status_code == 403

    revoked = json.loads(ok(call(data, "tokens", "revoke", issued["token_id"], "--json")))
    assert revoked["status"] == "revoked"
    assert json.loads(ok(call(data, "tokens", "list", "--json"))) == []
    assert len(json.loads(ok(call(data, "tokens", "list", "--all", "--json")))) == 1
    missing = call(data, "tokens", "revoke", "0123456789abcdef")
    assert missing.returncode == 1 and "no token" in missing.stderr

    ok(call(data, "users", "passwd", "mia", "--password-stdin", stdin="another passphrase\n"))
    if either.process is not None:
        login = httpx.post(f"{either.url}/v1/auth/login",
                           json={"name": "mia", "password": "another passphrase"})  # fmt: skip
        assert login.status_code == 200
    ok(call(data, "users", "disable", "mia"))
    assert "mia\tmarketer\tdisabled" in ok(call(data, "users", "list"))
    ok(call(data, "users", "set-role", "leo", "analyst"))
    assert "leo\tanalyst" in ok(call(data, "users", "list"))
    unknown = call(data, "users", "disable", "nobody")
    assert unknown.returncode == 1 and "no user named" in unknown.stderr
