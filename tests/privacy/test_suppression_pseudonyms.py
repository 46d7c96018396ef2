"""The suppression set with field encryption on: it holds the stored pseudonyms, screens
collected records by a set lookup of what they carry, and still recognises an identifier
as typed (pseudonymised as ingest does) and a placeholder-marked one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.crypto.personal import PersonalData, register, unregister
from opencdp.privacy.suppression import Suppression

KEY = bytes(range(32))
KINDS = st.sampled_from(["email", "phone", "user_id", "anonymous_id", "customer_id"])
VALUES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@pytest.fixture(scope="module")
def on(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PersonalData, Path]]:
    """A PersonalData with encryption on, registered for a database with a suppressions table."""
    folder = tmp_path_factory.mktemp("on")
    made = PersonalData(bytes(range(1, 33)), folder / "keystore.sqlite")
    database = folder / "db.duckdb"
    con = duckdb.connect(str(database))
    con.execute("CREATE TABLE suppressions (hash VARCHAR, request_id VARCHAR)")
    con.close()
    register(database, made)
    yield made, database
    unregister(database)
    made.close()


def loaded(database: Path, stored: list[str]) -> Suppression:
    s = Suppression(lambda: KEY)
    con = duckdb.connect(str(database))
    try:
        s.load(con)
    finally:
        con.close()
    assert s.pseudonymous
    s.add(s.entry(text) for text in stored)
    return s


@settings(max_examples=40, deadline=None)
@given(erased=st.lists(st.tuples(KINDS, VALUES), min_size=1, max_size=4),
       other=st.tuples(KINDS, VALUES))  # fmt: skip
def test_blocks_exactly_the_erased_identifiers_stored_typed_or_marked(on, erased, other):
    personal, database = on
    plain = [f"{k}:{v}" for k, v in erased]
    stored = [personal.identifier(text) for text in plain]
    s = loaded(database, stored)
    assert all(":" in e and "@" not in e for e in (s.entry(t) for t in stored))  # no plaintext
    assert all(s.suppressed(t) for t in stored), "as stored"
    assert all(s.suppressed(t) for t in plain), "as typed"
    assert all(s.suppressed(personal.identifier(t, blocked=True)) for t in plain), "marked"
    other_text = f"{other[0]}:{other[1]}"
    if other_text not in plain:
        assert not s.suppressed(other_text)
        assert not s.suppressed(personal.identifier(other_text))
    records = [SimpleNamespace(identifiers=[stored[0]]),
               SimpleNamespace(identifiers=[personal.identifier("user_id:kept-1")])]  # fmt: skip
    ingest = SimpleNamespace(records=records, source_id="src", screened=-1, suppressed=0,
                             events="built")  # fmt: skip
    assert s.screen(ingest) == (0 if "user_id:kept-1" in plain else 1)
    assert s.size == len(set(stored))


def test_record_ids_are_kept_hashed_not_as_stored(on):
    s = loaded(on[1], ["source_record:src_1:C0001"])
    entry = s.entry("source_record:src_1:C0001")
    assert "C0001" not in entry and len(entry) == 64
    assert s.suppressed("source_record:src_1:C0001")
    assert not s.suppressed("source_record:src_1:C0002")
