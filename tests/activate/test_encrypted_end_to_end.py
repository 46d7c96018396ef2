"""End to end through the real collector: with field encryption on, destinations receive
what they receive with it off, and a person re-identifying with the same details is no update.

The same messages go into a plain and an encrypted workspace; profile ids differ between the
two (they derive from stored identifiers), so payloads are compared with each profile id
replaced by its person's user id.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from opencdp.admin import Admin
from opencdp.config import load_settings
from opencdp.workspace import Workspace
from tests.activate.receiver import SECRET, receiver
from tests.collecting import collect

CONSENT = {"consent": {"categoryPreferences": {"email": True, "advertising": True}}}
PEOPLE = {  # user id → identify traits, as people type them
    "u-ann": {"email": "Ann.Lee@Siam-Mail.CO.TH", "phone": "081-234-5671", "first_name": "Ann",
              "last_name": "Lee", "country": "TH"},
    "u-bob": {"email": "bob@siam-mail.co.th", "first_name": "Bob", "city": "Bangkok"},
    "u-cat": {"phone": "+66812345673", "first_name": "Cat", "last_name": "O'Neil"},
}  # fmt: skip
TRAITS = ["email", "phone", "first_name", "last_name", "city"]


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _identify(user: str, traits: dict[str, Any], days: float) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "traits": traits, "timestamp": _ago(days),
            "context": CONSENT}  # fmt: skip


def _messages() -> list[dict[str, Any]]:
    out = []
    for user, traits in PEOPLE.items():
        out.append(_identify(user, traits, 3))
        out.append({"type": "track", "userId": user, "event": "Order Completed",
                    "properties": {"total": 10}, "timestamp": _ago(2)})  # fmt: skip
    return out


@pytest.fixture
def admins(tmp_path: Path) -> Iterator[dict[bool, Admin]]:
    with ExitStack() as stack:
        made = {}
        for encrypted in (False, True):
            settings = load_settings(
                env={}, data_dir=tmp_path / str(encrypted) / "data",
                destination_folders=str(tmp_path), destination_allowed_hosts="127.0.0.1",
                field_encryption=encrypted,
            )  # fmt: skip
            made[encrypted] = Admin(stack.enter_context(Workspace(settings)))
        yield made


def _read(path: str) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _run(admin: Admin, out: Path, hook_url: str) -> dict[str, Any]:
    admin.create_source("web", default_region="TH")
    collect(admin, _messages())
    admin.ws.bring_current()
    admin.create_segment("buyers", 'did("Order Completed")')
    out.mkdir()
    admin.create_destination("hook", "webhook", "buyers", "email",
                             {"url": hook_url, "secret": SECRET, "traits": TRAITS})  # fmt: skip
    admin.create_destination("file", "file", "buyers", "email",
                             {"path": str(out), "format": "jsonl", "traits": TRAITS})  # fmt: skip
    admin.create_destination("ads", "google_customer_match", "buyers", "advertising",
                             {"path": str(out)})  # fmt: skip
    names = ("hook", "file", "ads")
    results: dict[str, Any] = {name: admin.sync_destination(name) for name in names}
    # everyone re-identifies with the same details (typed the same way): no update
    collect(admin, [_identify(user, traits, 1) for user, traits in PEOPLE.items()])
    admin.ws.bring_current()
    results |= {f"{name} again": admin.sync_destination(name) for name in names}
    collect(admin, [_identify("u-bob", {**PEOPLE["u-bob"], "first_name": "Robert"}, 0.5)])
    admin.ws.bring_current()
    results |= {f"{name} changed": admin.sync_destination(name) for name in names}
    ids = {admin.get_profile(user)["profile_id"]: user for user in PEOPLE}
    text = orjson.dumps({
        "counts": {k: (r["sent"], r["added"], r["updated"], r["removed"])
                   for k, r in results.items()},
        "files": {k: [_read(f) if f.endswith(".csv") else Path(f).read_text() for f in r["files"]]
                  for k, r in results.items()},
    }).decode()  # fmt: skip
    for profile_id, user in ids.items():
        text = text.replace(profile_id, user)
    found = dict(orjson.loads(text))
    for name, contents in found["files"].items():  # rows in user order, header first
        found["files"][name] = [sorted(c.splitlines()) if isinstance(c, str) else
                                c[:1] + sorted(c[1:]) for c in contents]  # fmt: skip
    return found


def _bodies(requests: list[Any], ids: dict[str, str]) -> list[Any]:
    """Each batch's groups, profile ids replaced by user ids and members in that order."""
    out = []
    for request in requests:
        text = orjson.dumps({k: request.body[k] for k in ("entered", "updated", "exited")})
        for profile_id, user in ids.items():
            text = text.replace(profile_id.encode(), user.encode())
        groups = orjson.loads(text)
        out.append({k: sorted(v, key=lambda m: m["profile_id"]) for k, v in groups.items()})
    return out


def test_collected_people_reach_every_destination_the_same_on_and_off(admins, tmp_path):
    runs, bodies = {}, {}
    for encrypted, admin in admins.items():
        with receiver() as hook:
            runs[encrypted] = _run(admin, tmp_path / f"out-{encrypted}", hook.url)
        ids = {admin.get_profile(user)["profile_id"]: user for user in PEOPLE}
        bodies[encrypted] = _bodies(hook.requests, ids)
    on, off = runs[True], runs[False]
    assert bodies[True] == bodies[False]
    assert on == off
    assert on["counts"]["hook"] == [3, 3, 0, 0]
    assert on["counts"]["hook again"] == [0, 0, 0, 0], "the same details again: no update"
    assert on["counts"]["hook changed"] == [1, 0, 1, 0]
    entered = {m["profile_id"]: m["traits"] for m in bodies[True][0]["entered"]}
    assert entered["u-ann"] == {"email": "ann.lee@siam-mail.co.th", "phone": "+66812345671",
                                "first_name": "Ann", "last_name": "Lee", "city": None}
    assert entered["u-cat"]["phone"] == "+66812345673"
    assert bodies[True][-1]["updated"][0]["traits"]["first_name"] == "Robert"
    stored = admins[True].ws.read(lambda con: str(con.execute(
        "SELECT list(traits), list(identifier_value) FROM profiles, identity_links").fetchall()))
    assert "ann.lee@siam-mail.co.th" not in stored.lower() and "Robert" not in stored
