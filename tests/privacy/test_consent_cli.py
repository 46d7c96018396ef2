"""`opencdp consent ...` offline (the file) and through a running server (its API)."""

from __future__ import annotations

import json

from tests.cli.conftest import mode  # noqa: F401  (fixture: offline and server)


def cli_json(proc, *args):
    return json.loads(proc.cli(*args, "--json").stdout)


def test_grant_deny_show_history_and_purposes(mode):  # noqa: F811
    proc = mode
    added = cli_json(proc, "consent", "purposes", "add", "research", "--alias", "C0042",
                     "--description", "product research panels")  # fmt: skip
    assert added["purpose"] == "research" and added["aliases"] == ["c0042"]
    listed = {p["purpose"] for p in cli_json(proc, "consent", "purposes")}
    assert {"email_marketing", "sale_of_data", "research"} <= listed

    granted = cli_json(proc, "consent", "grant", "email:ann@mail.co.th", "newsletter",
                       "--policy-version", "v3", "--expires", "2099-01-01",
                       "--jurisdiction", "PDPA", "--at", "2026-01-05T10:00:00Z")  # fmt: skip
    assert granted["statement"]["purpose"] == "email_marketing"
    assert granted["statement"]["expires_at"].startswith("2099-01-01")
    assert granted["profile_id"] is None  # nobody has the address yet: kept for later
    cli_json(proc, "consent", "deny", "email:ann@mail.co.th", "C0042", "--basis", "contract")
    text = proc.cli("consent", "grant", "email:ann@mail.co.th", "ads").stdout
    assert "recorded: email:ann@mail.co.th granted advertising" in text

    shown = cli_json(proc, "consent", "show", "email:ann@mail.co.th")
    assert {c["purpose"]: c["status"] for c in shown["consents"]} == {
        "advertising": "granted", "email_marketing": "granted", "research": "denied"}
    text = proc.cli("consent", "show", "email:ann@mail.co.th").stdout
    assert "research" in text and "denied" in text

    history = cli_json(proc, "consent", "history", "email:ann@mail.co.th", "--purpose", "C0042")
    assert [(h["purpose"], h["granted"], h["legal_basis"]) for h in history] == [
        ("research", False, "contract")]  # fmt: skip
    assert len(cli_json(proc, "consent", "history", "email:ann@mail.co.th")) == 3


def test_refusals_exit_with_a_reason(mode):  # noqa: F811
    proc = mode
    bare = proc.cli("consent", "grant", "ann@mail.co.th", "email", check=False)
    assert bare.returncode != 0 and "type:value" in bare.stderr
    unknown = proc.cli("consent", "deny", "user_id:u1", "telepathy", check=False)
    assert unknown.returncode != 0 and "unknown purpose" in unknown.stderr
    nothing = proc.cli("consent", "show", "user_id:nobody", check=False)
    assert nothing.returncode != 0 and "no profile and no consent" in nothing.stderr
