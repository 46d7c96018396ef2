"""Sealed values: round trips, binding to subject and field, tags, crypto-shredding."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.config import load_settings
from opencdp.crypto import derive_key, keyed_hash, load_master_key
from opencdp.crypto.keys import MasterKeyError
from opencdp.crypto.keystore import SubjectKeys
from opencdp.crypto.tokens import (
    SHREDDED,
    CorruptToken,
    Sealer,
    is_token,
    subject_of,
    tag_of,
)

MASTER = bytes(range(32))
subjects = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=22)


def sealer_at(path: Path, master: bytes = MASTER) -> Sealer:
    return Sealer(SubjectKeys(path, master), master)


@pytest.fixture
def sealer(tmp_path: Path) -> Sealer:
    return sealer_at(tmp_path / "keystore.sqlite")


@settings(max_examples=60, deadline=None)
@given(subject=subjects, field=st.text(max_size=20), value=st.text())
def test_a_value_opens_to_itself_and_is_not_stored_in_clear(
    tmp_path_factory: pytest.TempPathFactory, subject: str, field: str, value: str
) -> None:
    sealer = sealer_at(tmp_path_factory.mktemp("k") / "ks.sqlite")
    token = sealer.seal(subject, field, value, tag_kind="email")
    assert is_token(token)
    assert subject_of(token) == subject
    assert sealer.open(field, token) == value
    if len(value) >= 4:
        assert value not in token.rsplit(".", 1)[1]


@settings(max_examples=60, deadline=None)
@given(a=st.text(max_size=30), b=st.text(max_size=30))
def test_tags_are_equal_exactly_when_values_are(
    tmp_path_factory: pytest.TempPathFactory, a: str, b: str
) -> None:
    sealer = sealer_at(tmp_path_factory.mktemp("k") / "ks.sqlite")
    assert (tag_of(sealer.seal("s", "email", a, "email")) ==
            tag_of(sealer.seal("t", "email", b, "email"))) == (a == b)  # fmt: skip


def test_two_seals_of_one_value_differ_and_untagged_tokens_have_no_tag(sealer: Sealer) -> None:
    first, second = (sealer.seal("p1", "email", "ann@example.com") for _ in range(2))
    assert first != second
    assert tag_of(first) == ""


def test_a_token_moved_to_another_field_or_relabelled_does_not_open(sealer: Sealer) -> None:
    token = sealer.seal("p1", "email", "ann@example.com")
    sealer.seal("p2", "email", "bob@example.com")  # p2 has a key of its own
    with pytest.raises(CorruptToken):
        sealer.open("phone", token)
    with pytest.raises(CorruptToken):
        sealer.open("email", token.replace("enc1:p1.", "enc1:p2.", 1))
    with pytest.raises(CorruptToken):
        sealer.open("email", "enc1:p1.no-body")


def test_subjects_must_be_pseudonyms(sealer: Sealer) -> None:
    with pytest.raises(ValueError, match="pseudonym"):
        sealer.seal("email:ann", "email", "x")


def test_destroying_keys_shreds_every_copy_but_no_one_elses(
    tmp_path: Path, sealer: Sealer
) -> None:
    ann = sealer.seal("ann", "email", "ann@example.com")
    bob = sealer.seal("bob", "email", "bob@example.com")
    sealer.keys.persist_pending()
    assert sealer.keys.destroy(["ann", "nobody"]) == 1
    assert sealer.open("email", ann) == SHREDDED
    assert sealer.open("email", bob) == "bob@example.com"
    sealer.keys.close()
    reopened = sealer_at(tmp_path / "keystore.sqlite")  # a new process agrees: gone from disk
    assert reopened.open_column("email", [ann, bob, None, "plain"]) == [
        SHREDDED, "bob@example.com", None, "plain"]  # fmt: skip


def test_reserved_keys_are_stored_only_when_persisted(tmp_path: Path) -> None:
    path = tmp_path / "keystore.sqlite"
    keys = SubjectKeys(path, MASTER)
    kept, lost = Sealer(keys, MASTER), None
    token = kept.seal("ann", "email", "ann@example.com")
    assert keys.persist_pending() == 1
    lost = kept.seal("bob", "email", "bob@example.com")  # never persisted: a crash loses it
    keys.close()
    again = sealer_at(path)
    assert again.open("email", token) == "ann@example.com"
    assert again.open("email", lost) == SHREDDED


def test_data_keys_are_stored_wrapped_and_only_the_master_key_unwraps_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keystore.sqlite"
    sealer = sealer_at(path)
    token = sealer.seal("ann", "email", "ann@example.com")
    sealer.keys.persist_pending()
    sealer.keys.close()
    assert b"ann@example.com" not in path.read_bytes()
    with pytest.raises(InvalidTag):
        sealer_at(path, secrets.token_bytes(32)).open("email", token)


def test_a_tampered_token_is_refused(sealer: Sealer) -> None:
    token = sealer.seal("ann", "email", "ann@example.com")
    head, body = token.rsplit(".", 1)
    # A character inside the body: the last ones may carry only padding bits, which decode alike.
    flipped = f"{head}.{body[:20]}{'A' if body[20] != 'A' else 'B'}{body[21:]}"
    with pytest.raises(CorruptToken):
        sealer.open("email", flipped)


def test_the_master_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    key = load_master_key(settings)
    assert (tmp_path / "data" / "master.key").stat().st_mode & 0o777 == 0o600
    assert load_master_key(settings) == key


def test_a_configured_master_key_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    settings = load_settings(env={"OPENCDP_MASTER_KEY": "abcd"}, data_dir=tmp_path)
    with pytest.raises(MasterKeyError, match="32 bytes"):
        load_master_key(settings)


def test_derived_keys_differ_by_purpose_and_keyed_hashes_by_key() -> None:
    assert derive_key(MASTER, "suppression") != derive_key(MASTER, "backup")
    text = "email:ann@example.com"
    assert keyed_hash(derive_key(MASTER, "a"), text) != keyed_hash(derive_key(MASTER, "b"), text)
    assert keyed_hash(derive_key(MASTER, "a"), text) == keyed_hash(derive_key(MASTER, "a"), text)
