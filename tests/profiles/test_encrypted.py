"""Field encryption is transparent to readers of profiles: one scenario, collected into a
data directory with encryption off and one with it on, reads back the same — the 360 view,
lookups across e-mail case and phone formats, segment members, computed traits, exports —
once profile ids (derived from pseudonyms when on) are mapped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opencdp.admin import Admin, NotFound
from opencdp.config import load_settings
from opencdp.profiles.computed import define
from opencdp.profiles.lookup import find_profile_id
from opencdp.workspace import Workspace
from tests.collecting import collect

ANN = {"email": "Ann@Mail.co.jp", "phone": "081 234 5678", "first_name": "Ann",
       "last_name": "Lee", "birthday": "1990-04-01", "country": "TH"}  # fmt: skip
ADS = {"consent": {"categoryPreferences": {"Advertising": True}}}
MESSAGES: list[dict[str, Any]] = [
    {"type": "track", "anonymousId": "anon-1", "event": "Product Viewed", "messageId": "m1",
     "timestamp": "2026-01-01T00:00:00Z", "properties": {"sku": "A1"}},
    {"type": "identify", "anonymousId": "anon-1", "userId": "u-1", "messageId": "m2",
     "timestamp": "2026-01-02T00:00:00Z", "traits": ANN, "context": ADS},
    {"type": "track", "userId": "u-1", "event": "Order Completed", "messageId": "m3",
     "timestamp": "2026-01-03T00:00:00Z", "properties": {"total": 42, "email": "ann@mail.co.jp"}},
    {"type": "identify", "userId": "u-2", "messageId": "m4", "timestamp": "2026-01-04T00:00:00Z",
     "traits": {"email": "bob@other.jp", "first_name": "Bob", "birthday": "1970-12-31"},
     "context": ADS},
    {"type": "identify", "userId": "u-2", "messageId": "m5", "timestamp": "2026-01-05T00:00:00Z",
     "traits": {"first_name": "BOB"}},
    {"type": "identify", "userId": "u-3", "messageId": "m6", "timestamp": "2026-01-06T00:00:00Z",
     "traits": {"email": "test@test.com", "first_name": "Placeholder"}},
    {"type": "identify", "userId": "u-4", "messageId": "m7", "timestamp": "2026-01-07T00:00:00Z",
     "traits": {"email": "cho@mail.co.jp", "first_name": "Cho"}},
    {"type": "identify", "anonymousId": "anon-1", "userId": "u-4", "messageId": "m8",
     "timestamp": "2026-01-08T00:00:00Z"},  # refused (a second user id), not merged
    {"type": "track", "userId": "test@test.com", "anonymousId": "anon-9", "event": "Seen",
     "messageId": "m9", "timestamp": "2026-01-09T00:00:00Z"},  # a placeholder user id
]  # fmt: skip
DERIVED = frozenset({"email_domain", "birth_year"})  # kept beside sealed values when on


def _admin(folder: Path, on: bool) -> Iterator[Admin]:
    settings = load_settings(env={}, data_dir=folder / "data", field_encryption=on)
    with Workspace(settings) as ws:
        assert ws.personal.enabled is on
        admin = Admin(ws)
        admin.create_source("web", default_region="TH")
        collect(admin, MESSAGES)
        ws.write(lambda con: define(con, "last_email", {"aggregate": "last",
                                                        "property": "email"}))  # fmt: skip
        ws.write(lambda con: define(con, "emails_seen", {"aggregate": "distinct_count",
                                                         "property": "email"}))  # fmt: skip
        ws.profiles.catch_up()
        ws.profiles.rederive()
        yield admin


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Admin, Admin]]:
    off, on = _admin(tmp_path_factory.mktemp("off"), False), _admin(
        tmp_path_factory.mktemp("on"), True)
    yield next(off), next(on)
    for made in (off, on):
        next(made, None)


def _ids(admin: Admin) -> dict[str, str]:
    """user id (or anonymous id) → profile id."""
    return {u: admin.ws.read(lambda con, u=u: find_profile_id(con, u))
            for u in ("u-1", "u-2", "u-3", "u-4", "anon-9")}  # fmt: skip


def _twins(on: Admin, off: Admin) -> dict[str, str]:
    """On-mode profile and source ids → their off-mode twins."""
    ids = dict(zip(_ids(on).values(), _ids(off).values(), strict=True))
    return {**ids, on.get_source("web")["source_id"]: off.get_source("web")["source_id"]}


def _mapped(document: Any, ids: dict[str, str]) -> Any:
    """`document` with on-mode profile ids renamed to their off-mode twins and derived
    members (only stored when on) left out."""
    if isinstance(document, str):
        return ids.get(document, document)
    if isinstance(document, dict):
        return {k: _mapped(v, ids) for k, v in document.items() if k not in DERIVED}
    if isinstance(document, list):
        return [_mapped(v, ids) for v in document]
    return document


def test_the_encrypted_directory_stores_no_fixture_value(both):
    _, on = both
    stored = on.ws.read(lambda con: con.execute(
        "SELECT (SELECT string_agg(identifier_type || ':' || identifier_value, ' ')"
        "        FROM identity_links) || (SELECT string_agg(traits::VARCHAR, ' ') FROM profiles)"
        "        || (SELECT string_agg(computed::VARCHAR, ' ') FROM profiles)").fetchone()[0])
    # (values of 5+ characters: a shorter one may turn up inside random token bodies)
    for value in ("ann@mail.co.jp", "+66812345678", "0812345678", "bob@other.jp", "1990-04-01"):
        assert value not in stored
    assert "email_domain" in stored  # the plain derived member segments use


def test_the_360_view_reads_the_same(both):
    off, on = both
    ids = _twins(on, off)
    assert len(set(ids)) == 6
    for user in ("u-1", "u-2", "u-4"):
        plain, sealed = off.get_profile(user), on.get_profile(user)
        assert _mapped(sealed, ids) == _mapped(plain, ids), user
    ann = on.get_profile("u-1")
    assert {"type": "email", "value": "ann@mail.co.jp"} in ann["identifiers"]
    assert {"type": "phone", "value": "+66812345678"} in ann["identifiers"]
    assert ann["traits"]["last_name"]["value"] == "Lee"
    assert ann["computed_traits"]["last_email"] == "ann@mail.co.jp"
    assert on.get_profile("u-2")["traits"]["first_name"]["distinct_values"] == 1  # Bob, BOB
    assert ann["traits"]["email_domain"]["value"] == "mail.co.jp"


def test_the_stored_view_of_a_masked_caller_decrypts_nothing(both):
    _, on = both
    profile_id = _ids(on)["u-1"]

    def view(con: Any) -> dict[str, Any]:
        from opencdp.profiles.view import profile_view

        return profile_view(con, profile_id, decrypt=False)

    raw = json.dumps(on.ws.read(view))
    assert "ann@mail.co.jp" not in raw and "enc1:" in raw


@pytest.mark.parametrize("query", [
    "ann@mail.co.jp", "Ann@Mail.CO.JP", " email:ANN@mail.co.jp ", "+66812345678",
    "phone:081-234-5678", "081 234 5678", "+66 81 234 5678", "u-1", "user_id:u-1", "anon-1",
])  # fmt: skip
def test_lookups_find_the_same_profile_in_both_modes(both, query):
    off, on = both
    found = [a.ws.read(lambda con: find_profile_id(con, query)) for a in (off, on)]
    assert found == [_ids(off)["u-1"], _ids(on)["u-1"]]


def test_a_placeholder_is_still_refused_as_an_identifier(both):
    for admin in both:
        # as a trait, hygiene drops it; as a user id, the identity rules refuse it (when on,
        # judged at ingest and stored as `user_id:~<pseudonym>`)
        with pytest.raises(NotFound):
            admin.get_profile("email:test@test.com")
        assert admin.ws.read(lambda con: find_profile_id(con, "test@test.com")) is None
        assert admin.get_profile("u-3")["traits"]["first_name"]["value"] == "Placeholder"
        refused = admin.ws.read(lambda con: con.execute(
            "SELECT identifier_type, rule FROM identity_violations"
            " WHERE identifier_type = 'user_id'").fetchall())
        assert refused == [("user_id", "blocked")]
        assert admin.get_profile("anon-9")["profile_id"]  # the event's other identifier


@pytest.mark.parametrize("where", [
    'email = "ann@mail.co.jp"', 'email != "ann@mail.co.jp"',
    'email in ["bob@other.jp", "cho@mail.co.jp"]', 'identifier("email") = "Ann@Mail.co.jp"',
    'identifier("phone") = "+66 81 234 5678"', 'identifier("email") != "bob@other.jp"',
    'identifier("email") in ["bob@other.jp", "nobody@x.jp"]', 'email_domain = "mail.co.jp"',
    'email_domain ends_with ".jp"', "email exists", "not phone exists", "birth_year < 1980",
    'age_band in ["55-64", "65+"]', 'first_name = "Bob"', "emails_seen = 1",
    'last_email = "ann@mail.co.jp" or last_email exists',
])  # fmt: skip
def test_segments_select_the_same_people(both, where):
    off, on = both
    ids = _twins(on, off)
    plain = off.preview_segment(where, sample=100)
    sealed = on.preview_segment(where, sample=100)
    assert sealed["count"] == plain["count"] and plain["count"] > 0
    assert sorted(ids[p] for p in sealed["sample"]) == sorted(plain["sample"])


def test_segment_members_and_exports_show_plaintext(both, tmp_path):
    results = []
    for admin in both:
        admin.create_segment("jp-mail", 'email_domain = "mail.co.jp"')
        members = admin.segment_members("jp-mail")["members"]
        out = tmp_path / f"{len(results)}.jsonl"
        admin.export_people(out, "jsonl", "advertising")
        exported = [json.loads(line) for line in out.read_text().splitlines()]
        results.append((sorted((m["email"], m["first_name"]) for m in members),
                        sorted((r["email"], r["phone"], r["traits"].get("last_name"))
                               for r in exported)))  # fmt: skip
    assert results[0] == results[1]
    assert results[1][0] == [("ann@mail.co.jp", "Ann"), ("cho@mail.co.jp", "Cho")]
    assert ("ann@mail.co.jp", "+66812345678", "Lee") in results[1][1]


def test_sealed_equality_ignores_case_which_plain_equality_does_not(both):
    off, on = both
    where = 'email = "ANN@mail.co.jp" or first_name = "bob"'
    assert off.preview_segment(where)["count"] == 0
    assert sorted(on.preview_segment(where, sample=10)["sample"]) == sorted(
        [_ids(on)["u-1"], _ids(on)["u-2"]])
