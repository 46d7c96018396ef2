"""Per-person field encryption: round trips, binding to subject and field, crypto-shredding."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.config import load_settings
from opencdp.crypto import derive_key, keyed_hash, load_master_key
from opencdp.crypto.fields import SHREDDED, CorruptCiphertext, FieldCipher, is_encrypted
from opencdp.crypto.keys import MasterKeyError
from opencdp.crypto.keystore import SubjectKeys

MASTER = bytes(range(32))


@pytest.fixture
def keys(tmp_path: Path) -> SubjectKeys:
    return SubjectKeys(tmp_path / "keystore.sqlite", MASTER)


@settings(max_examples=60, deadline=None)
@given(subject=st.text(min_size=1, max_size=40), field=st.text(max_size=20), value=st.text())
def test_a_value_decrypts_to_itself_and_is_not_stored_in_clear(
    tmp_path_factory: pytest.TempPathFactory, subject: str, field: str, value: str
) -> None:
    cipher = FieldCipher(SubjectKeys(tmp_path_factory.mktemp("k") / "ks.sqlite", MASTER))
    sealed = cipher.encrypt(subject, field, value)
    assert is_encrypted(sealed)
    assert cipher.decrypt(subject, field, sealed) == value
    if len(value) >= 4:
        assert value not in sealed


def test_two_encryptions_of_one_value_differ(keys: SubjectKeys) -> None:
    cipher = FieldCipher(keys)
    first, second = (cipher.encrypt("p1", "email", "ann@example.com") for _ in range(2))
    assert first != second


def test_a_ciphertext_moved_to_another_person_or_field_does_not_decrypt(
    keys: SubjectKeys,
) -> None:
    cipher = FieldCipher(keys)
    sealed = cipher.encrypt("p1", "email", "ann@example.com")
    cipher.encrypt("p2", "email", "bob@example.com")  # p2 has a key of its own
    with pytest.raises(CorruptCiphertext):
        cipher.decrypt("p2", "email", sealed)
    with pytest.raises(CorruptCiphertext):
        cipher.decrypt("p1", "phone", sealed)


def test_destroying_the_key_shreds_every_copy_but_no_one_elses(
    tmp_path: Path, keys: SubjectKeys
) -> None:
    cipher = FieldCipher(keys)
    ann = cipher.encrypt("ann", "email", "ann@example.com")
    bob = cipher.encrypt("bob", "email", "bob@example.com")
    assert keys.destroy(["ann", "nobody"]) == 1
    assert cipher.decrypt("ann", "email", ann) == SHREDDED
    assert cipher.decrypt("bob", "email", bob) == "bob@example.com"
    # A fresh process reading the same key store agrees: the key is gone from disk.
    keys.close()
    reopened = FieldCipher(SubjectKeys(tmp_path / "keystore.sqlite", MASTER))
    assert reopened.decrypt("ann", "email", ann) == SHREDDED
    assert reopened.decrypt("bob", "email", bob) == "bob@example.com"


def test_keys_survive_a_restart_and_are_stored_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "keystore.sqlite"
    first = SubjectKeys(path, MASTER)
    key = first.key_for("ann")
    first.close()
    assert SubjectKeys(path, MASTER).key_for("ann") == key
    assert key not in path.read_bytes()


def test_another_master_key_cannot_unwrap_the_data_keys(tmp_path: Path) -> None:
    path = tmp_path / "keystore.sqlite"
    SubjectKeys(path, MASTER).key_for("ann")
    with pytest.raises(InvalidTag):
        SubjectKeys(path, secrets.token_bytes(32)).existing_key("ann")


def test_a_tampered_ciphertext_is_refused(keys: SubjectKeys) -> None:
    cipher = FieldCipher(keys)
    sealed = cipher.encrypt("ann", "email", "ann@example.com")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(CorruptCiphertext):
        cipher.decrypt("ann", "email", flipped)


def test_plain_values_pass_through_decrypt(keys: SubjectKeys) -> None:
    assert FieldCipher(keys).decrypt("ann", "city", "Bangkok") == "Bangkok"


def test_the_master_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    settings = load_settings(env={}, data_dir=tmp_path / "data")
    key = load_master_key(settings)
    path = tmp_path / "data" / "master.key"
    assert path.stat().st_mode & 0o777 == 0o600
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
