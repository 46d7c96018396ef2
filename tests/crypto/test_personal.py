"""The sealing layer storage calls: pass-through when off, pseudonyms and tokens when on."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from opencdp.config import Settings
from opencdp.crypto.mode import open_personal_data
from opencdp.crypto.personal import (
    PLAIN,
    PersonalData,
    personal_data,
    register,
    subject_of_identifier,
    token_tag,
    unregister,
)
from opencdp.crypto.tokens import SHREDDED, is_token
from opencdp.db import open_database

MASTER = secrets.token_bytes(32)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _on(tmp_path: Path) -> PersonalData:
    return PersonalData(MASTER, tmp_path / "keystore.sqlite")


def test_off_passes_everything_through() -> None:
    traits = {"email": "a@b.example", "plan": "pro"}
    assert PLAIN.identifier("email:a@b.example") == "email:a@b.example"
    assert PLAIN.seal_members("s", traits) == traits
    assert PLAIN.seal("s", "a@b.example", "email") == "a@b.example"
    assert PLAIN.open("a@b.example") == "a@b.example"


def test_identifiers_become_stable_pseudonyms_with_their_type(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    stored = personal.identifier("email:ann@shop.example")
    assert stored.startswith("email:") and "ann" not in stored
    assert stored == personal.identifier("email:ann@shop.example")
    assert stored != personal.identifier("phone:ann@shop.example")
    assert personal.identifier("email:x@y.z", blocked=True).startswith("email:~")


def test_subject_is_the_strongest_identifier(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    anon = personal.identifier("anonymous_id:a1")
    email = personal.identifier("email:ann@shop.example")
    assert personal.subject([anon, email]) == subject_of_identifier(email)
    blocked = personal.identifier("email:test@test.com", blocked=True)
    assert personal.subject([blocked, anon]) == subject_of_identifier(anon)
    assert personal.subject([], fallback="m1") == personal.subject([], fallback="m1") != ""


@given(value=_json)
def test_sealed_values_open_to_the_same_value(value: object) -> None:
    personal = PersonalData(MASTER, Path("/tmp/opencdp-test-personal/keystore.sqlite"))
    try:
        token = personal.seal("subjectA", value, "note")
        assert personal.open(token) == value
        assert personal.open_all({"x": [token]}) == {"x": [value]}
    finally:
        personal.close()


def test_members_are_sealed_with_tags_and_derived_values(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    sealed = personal.seal_members(
        "s1", {"email": "Ann@Shop.example", "birthday": "1990-04-01", "city": "Osaka", "plan": 2}
    )
    assert sealed is not None
    assert is_token(sealed["email"]) and is_token(sealed["birthday"])
    assert sealed["city"] == "Osaka" and sealed["plan"] == 2
    assert sealed["email_domain"] == "shop.example" and sealed["birth_year"] == 1990
    assert token_tag(sealed["email"]) == personal.tag("email", "ann@shop.example")
    assert token_tag(personal.seal("s2", "ann@shop.example", "email")) == token_tag(sealed["email"])
    assert personal.open_all(sealed)["email"] == "Ann@Shop.example"


def test_destroyed_subject_reads_erased_and_others_still_open(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    gone = personal.seal("gone", "Ann")
    kept = personal.seal("kept", "Bob")
    personal.persist_keys()
    assert personal.destroy(["gone"]) == 1
    assert personal.open(gone) == SHREDDED
    assert personal.open(kept) == "Bob"
    reopened = _on(tmp_path)
    assert reopened.open(gone) == SHREDDED and reopened.open(kept) == "Bob"


def test_keys_not_persisted_are_lost_so_the_writer_must_persist(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    token = personal.seal("fresh", "Ann")
    personal.close()
    assert _on(tmp_path).open(token) == SHREDDED


def test_registry_finds_the_object_by_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    con = duckdb.connect(str(path))
    personal = _on(tmp_path)
    register(path, personal)
    try:
        assert personal_data(con) is personal
        assert personal_data(con.cursor()) is personal
        assert personal_data(duckdb.connect()) is PLAIN
    finally:
        unregister(path)
    assert personal_data(con) is PLAIN


def test_mode_is_decided_once_per_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, field_encryption=True, master_key=MASTER.hex())
    con = open_database(settings.database_path)
    assert open_personal_data(settings, con).enabled
    off = Settings(data_dir=tmp_path, field_encryption=False, master_key=MASTER.hex())
    assert open_personal_data(off, con).enabled  # the directory keeps its mode
    other = tmp_path / "other"
    plain = Settings(data_dir=other, field_encryption=False)
    con2 = open_database(plain.database_path)
    assert not open_personal_data(plain, con2).enabled
    assert not open_personal_data(Settings(data_dir=other, field_encryption=True), con2).enabled


def test_text_that_only_looks_like_a_token_reads_as_sent(tmp_path: Path) -> None:
    personal = _on(tmp_path)
    real = personal.seal("s1", "Ann")
    forged = real[:-6] + ("AAAAAA" if not real.endswith("AAAAAA") else "BBBBBB")
    for text in ("enc1:x", "enc1:", "enc1:a.b", forged):
        assert personal.open(text) == text
        assert personal.open_all({"k": [text]}) == {"k": [text]}
