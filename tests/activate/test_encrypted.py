"""Destinations with field encryption on send exactly what they send with it off.

One scenario is built twice, in a plain and an encrypted workspace, through the core API
(`ws.personal`): traits sealed as ingest seals them, identity links as pseudonyms, the
identifiers' plaintext in the vault. Both are synced to a real HTTP receiver, a JSON Lines
file, an email list and a PostgreSQL table; what arrives must be equal, restating the same
values must not count as an update (tokens change, tags do not), and a dead letter must hold
no plaintext while replaying the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from opencdp.activate import Access, create_destination, dead_letters, replay_dead_letter, sync
from opencdp.config import load_settings
from opencdp.workspace import Workspace
from tests.activate.conftest import NOW, SEGMENT
from tests.activate.receiver import SECRET, receiver
from tests.sources.conftest import POSTGRES_URL

FAKE_TOKEN = "enc1:looks.like-one"  # a client's text that only looks like a token
LONG_ADDRESS = "99/1 Moo 4, " + "Sukhumvit Road, " * 10  # over 128 characters: no tag
PEOPLE: dict[str, dict[str, Any]] = {
    "p1": {"traits": {"email": "ann@example.com", "first_name": "Ann", "tier": "gold",
                      "address": LONG_ADDRESS},
           "links": ["email:ann@example.com"]},
    # no golden email: the least of two linked addresses (by plaintext) is sent
    "p2": {"traits": {"first_name": "Bob", "tier": "silver", "code": FAKE_TOKEN},
           "links": ["email:zed@example.com", "email:bob@example.com", "phone:+66812345678"]},
    "p3": {"traits": {"tier": "gold"}, "computed": {"first_name": "Cat"},
           "links": ["email:cat@example.com"]},
    "p4": {"traits": {"email": "dan@example.com", "first_name": "Dan"},
           "links": ["email:dan@example.com"], "consent": False},
}  # fmt: skip
PLAINTEXT = ["ann@example.com", "zed@example.com", "bob@example.com", "Sukhumvit", "+66812345678"]
HOOK_TRAITS = ["email", "phone", "first_name", "tier", "address", "code"]


def _workspace(root: Path, encrypted: bool) -> Workspace:
    mode = "on" if encrypted else "off"
    settings = load_settings(
        env={}, data_dir=root / mode / "data", destination_folders=str(root),
        destination_allowed_hosts="127.0.0.1", field_encryption=encrypted,
    )  # fmt: skip
    return Workspace(settings)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[dict[bool, Workspace]]:
    with ExitStack() as stack:
        made = {mode: stack.enter_context(_workspace(tmp_path, mode)) for mode in (False, True)}
        assert made[True].personal.enabled and not made[False].personal.enabled
        yield made


def _seal(ws: Workspace, profile_id: str, traits: dict[str, Any]) -> str:
    """The profile's traits as ingest would store them (sealed under its first link)."""
    links = [ws.personal.identifier(i) for i in PEOPLE[profile_id]["links"]]
    return json.dumps(ws.personal.seal_members(ws.personal.subject(links), traits))


def _build(ws: Workspace) -> None:
    def write(con: Any) -> None:
        con.execute("INSERT INTO segments (segment_id, name, definition, text)"
                    " VALUES (?, 'VIP', '{}', 'vip')", [SEGMENT])  # fmt: skip
        for pid, person in PEOPLE.items():
            con.execute(
                "INSERT INTO profiles (profile_id, traits, trait_times, computed, updated_at)"
                " VALUES (?, ?, '{}', ?, ?)",
                [pid, _seal(ws, pid, person["traits"]),
                 _seal(ws, pid, person.get("computed", {})), NOW],
            )  # fmt: skip
            for plain in person["links"]:
                kind, _, stored = ws.personal.identifier(plain).partition(":")
                con.execute("INSERT INTO identity_links VALUES (?, ?, ?)", [kind, stored, pid])
                vault = ws.personal.vault_row(plain)
                if vault is not None:
                    con.execute("INSERT INTO identifier_values VALUES (?, ?)", list(vault))
            con.execute(
                "INSERT INTO profile_consents (profile_id, purpose, granted, stated_at, origin)"
                " VALUES (?, 'email_marketing', ?, ?, 'api')",
                [pid, person.get("consent", True), NOW],
            )
            con.execute("INSERT INTO segment_members (segment_id, profile_id, entered_at)"
                        " VALUES (?, ?, ?)", [SEGMENT, pid, NOW])  # fmt: skip

    ws.write(write)


def _access(ws: Workspace) -> Access:
    return Access(ws.read, ws.write)


def _destinations(ws: Workspace, folder: Path, hook_url: str, table: str | None) -> None:
    def write(con: Any) -> None:
        create_destination(con, "hook", "webhook", SEGMENT, "email_marketing",
                           {"url": hook_url, "secret": SECRET, "traits": HOOK_TRAITS,
                            "backoff_seconds": 0, "max_attempts": 2})  # fmt: skip
        create_destination(con, "file", "file", SEGMENT, "email_marketing",
                           {"path": str(folder / "file"), "format": "jsonl",
                            "traits": HOOK_TRAITS})  # fmt: skip
        create_destination(con, "list", "email_list", SEGMENT, "email_marketing",
                           {"path": str(folder / "list"), "tags": ["vip"]})  # fmt: skip
        if table is not None:
            create_destination(con, "table", "database", SEGMENT, "email_marketing",
                               {"url": POSTGRES_URL, "table": table,
                                "traits": ["email", "first_name", "tier"]})  # fmt: skip

    (folder / "file").mkdir(parents=True)
    (folder / "list").mkdir()
    ws.write(write)


def _restate(ws: Workspace, profile_id: str, traits: dict[str, Any]) -> None:
    """The person states traits again: fresh tokens (when on) for the same plaintext."""
    sealed = _seal(ws, profile_id, traits)
    ws.write(lambda con: con.execute(
        "UPDATE profiles SET traits = ? WHERE profile_id = ?", [sealed, profile_id]))


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in ("entered", "updated", "exited", "batch", "batches", "mode")}


def _counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    return result["sent"], result["added"], result["updated"], result["removed"]


def _run(ws: Workspace, folder: Path, table: str | None) -> dict[str, Any]:
    """Sync every destination, restate and change values, sync again; what arrived."""
    _build(ws)
    out: dict[str, Any] = {"counts": []}
    with receiver() as hook:
        _destinations(ws, folder, hook.url, table)
        names = ["hook", "file", "list"] + (["table"] if table else [])
        files = {}
        for name in names:
            result = sync(_access(ws), name, now=NOW, sleep=lambda s: None)
            out["counts"].append((name, _counts(result)))
            files[name] = result["files"]
        # the same values stated again, and an extra address that is not the least one
        _restate(ws, "p1", PEOPLE["p1"]["traits"])
        _restate(ws, "p3", PEOPLE["p3"]["traits"])
        _add_link(ws, "p2", "email:zzz@example.com")
        for name in names:
            result = sync(_access(ws), name, now=NOW.replace(hour=13), sleep=lambda s: None)
            out["counts"].append((name + " restated", _counts(result)))
        _restate(ws, "p1", {**PEOPLE["p1"]["traits"], "tier": "platinum"})
        _add_link(ws, "p2", "email:abe@example.com")  # now the least: p2 is updated
        for name in names:
            result = sync(_access(ws), name, now=NOW.replace(hour=14), sleep=lambda s: None)
            out["counts"].append((name + " changed", _counts(result)))
            files[name + " changed"] = result["files"]
    out["webhook"] = [_sent(r.body) for r in hook.requests]
    assert all(r.signed for r in hook.requests)
    out["files"] = {name: [Path(p).read_text(encoding="utf-8") for p in paths]
                    for name, paths in files.items()}  # fmt: skip
    return out


def _add_link(ws: Workspace, profile_id: str, plain: str) -> None:
    kind, _, stored = ws.personal.identifier(plain).partition(":")
    vault = ws.personal.vault_row(plain)

    def write(con: Any) -> None:
        con.execute("INSERT INTO identity_links VALUES (?, ?, ?)", [kind, stored, profile_id])
        if vault is not None:
            con.execute("INSERT INTO identifier_values VALUES (?, ?)", list(vault))

    ws.write(write)


def test_every_destination_receives_the_same_plaintext_on_and_off(pair, tmp_path, postgres):
    tables = {mode: f"enc_{mode}_{tmp_path.name[-8:].replace('-', '_')}" for mode in (0, 1)}
    try:
        runs = {mode: _run(pair[mode], tmp_path / f"out{int(mode)}", tables[int(mode)])
                for mode in (False, True)}  # fmt: skip
        rows = {mode: postgres.execute(
            f"SELECT profile_id, email, first_name, tier FROM {tables[mode]} ORDER BY 1"
        ).fetchall() for mode in (0, 1)}  # fmt: skip
    finally:
        for name in tables.values():
            postgres.execute(f"DROP TABLE IF EXISTS {name}")
    off, on = runs[False], runs[True]
    assert on["webhook"] == off["webhook"]
    assert on["files"] == off["files"]
    assert rows[1] == rows[0] == [
        ("p1", "ann@example.com", "Ann", "platinum"),
        ("p2", "abe@example.com", "Bob", "silver"),
        ("p3", "cat@example.com", "Cat", "gold"),
    ]
    assert on["counts"] == off["counts"]
    counts = dict(on["counts"])
    assert counts["hook"] == (3, 3, 0, 0)
    assert counts["hook restated"] == (0, 0, 0, 0), "re-stated values are not an update"
    assert counts["hook changed"] == (2, 0, 2, 0)
    first = on["webhook"][0]["entered"]
    assert first[1] == {"profile_id": "p2", "traits": {
        "email": "bob@example.com", "phone": "+66812345678", "first_name": "Bob",
        "tier": "silver", "address": None, "code": FAKE_TOKEN,
    }}, "the least linked address, as without encryption; token-like text sent as it is"
    assert first[0]["traits"]["address"] == LONG_ADDRESS
    assert on["files"]["list changed"] == [  # the list sends no tier: only p2 changed there
        "Email Address,First Name,Last Name,Tags\nabe@example.com,Bob,,vip\n"
    ]


def _stored_profiles(ws: Workspace) -> str:
    return str(ws.read(lambda con: con.execute(
        "SELECT list(traits) FROM profiles").fetchall()))  # fmt: skip


def test_the_encrypted_scenario_really_stores_tokens_and_pseudonyms(pair):
    """Guard for the differential: on, nothing this test sends is stored in plaintext."""
    for mode, ws in pair.items():
        _build(ws)
        stored = _stored_profiles(ws) + str(ws.read(lambda con: con.execute(
            "SELECT list(identifier_value), (SELECT list(token) FROM identifier_values)"
            " FROM identity_links").fetchall()))  # fmt: skip
        for text in PLAINTEXT:
            assert (text in stored) is not mode, (mode, text)


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_dead_letter_holds_no_plaintext_and_replays_the_same_bytes(tmp_path, encrypted):
    with _workspace(tmp_path, encrypted) as ws:
        _build(ws)
        with receiver() as hook:
            hook.script = [(500, {})] * 2
            _destinations(ws, tmp_path / "out", hook.url, None)
            failed = sync(_access(ws), "hook", now=NOW, sleep=lambda s: None)
            assert failed["status"] == "failed"
            (letter,) = ws.read(lambda con: dead_letters(con, "hook"))
            body = ws.read(lambda con: con.execute(
                "SELECT body FROM destination_dead_letters").fetchall())[0][0]  # fmt: skip
            replayed = replay_dead_letter(_access(ws), "hook", letter["letter_id"],
                                          sleep=lambda s: None)  # fmt: skip
        assert replayed["status"] == "replayed"
        assert hook.requests[-1].raw == hook.requests[0].raw
        assert hook.requests[-1].key == letter["idempotency_key"]
        assert "ann@example.com" in hook.requests[-1].raw.decode()
        if encrypted:
            assert body.startswith("enc1:")
            assert [t for t in PLAINTEXT if t in body] == []  # (3 letters may occur in base64)
        else:
            assert body.encode() == hook.requests[0].raw
