"""Candidate pairs: ordered, deduplicated, per rule, bounded, and safe with any value."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from opencdp.identity.matching import (
    BlockingKey,
    BlockingRule,
    MatchSettings,
    TooManyPairs,
    match_records,
)
from opencdp.identity.matching.blocking import candidate_pairs
from opencdp.identity.matching.prepare import prepare_records
from opencdp.identity.matching.scratch import Scratch

from .helpers import records

BIRTH = BlockingRule("birth", (BlockingKey("birth_date"),))
PHONE = BlockingRule("phone", (BlockingKey("phone", "suffix", 7),))
NAME = BlockingRule("name", (BlockingKey("name", "name_token_initial"),))


def pairs_of(rows: list[dict[str, Any]], settings: MatchSettings) -> dict[tuple[str, str], int]:
    con = duckdb.connect()
    with Scratch(con) as scratch:
        prepared, _ = prepare_records(con, scratch, records(rows), settings)
        table, _ = candidate_pairs(con, scratch, prepared, settings)
        found = con.execute(
            f"SELECT l.record_id, r.record_id, p.rule_mask FROM {table} p"
            f" JOIN {prepared} l ON l.rid = p.rid_l JOIN {prepared} r ON r.rid = p.rid_r"
        ).fetchall()
    assert [t for t in con.execute("SHOW ALL TABLES").fetchall()] == []  # cleaned up
    return {(a, b): mask for a, b, mask in found}


def test_pairs_are_ordered_unique_and_remember_their_rules() -> None:
    rows = [
        {"record_id": "b", "birth_date": "1985-03-14", "phone": "+66812345678"},
        {"record_id": "a", "birth_date": "1985-03-14", "phone": "0812345678"},
        {"record_id": "c", "birth_date": "1990-01-01", "phone": "+66812345678"},
        {"record_id": "d", "birth_date": "1990-01-02", "phone": "+819011112222"},
    ]
    found = pairs_of(rows, MatchSettings(blocking_rules=(BIRTH, PHONE)))
    assert found == {("a", "b"): 0b11, ("a", "c"): 0b10, ("b", "c"): 0b10}


def test_transposed_names_share_a_family_name_key() -> None:
    rows = [
        {"record_id": "1", "first_name": "John", "last_name": "Smith"},
        {"record_id": "2", "full_name": "Smith, Jon"},
        {"record_id": "3", "full_name": "Jane Smyth"},
    ]
    assert set(pairs_of(rows, MatchSettings(blocking_rules=(NAME,)))) == {("1", "2")}


def test_linking_across_sources_skips_pairs_within_one() -> None:
    rows = [
        {"record_id": "c1", "source": "crm", "birth_date": "1985-03-14"},
        {"record_id": "c2", "source": "crm", "birth_date": "1985-03-14"},
        {"record_id": "s1", "source": "shop", "birth_date": "1985-03-14"},
    ]
    settings = MatchSettings(blocking_rules=(BIRTH,), link_only_across_sources=True)
    assert set(pairs_of(rows, settings)) == {("c1", "s1"), ("c2", "s1")}


def test_oversized_blocks_are_skipped_and_reported() -> None:
    rows = [{"record_id": str(i), "birth_date": "1900-01-01"} for i in range(6)]
    rows += [
        {"record_id": "x", "birth_date": "1985-03-14"},
        {"record_id": "y", "birth_date": "1985-03-14"},
    ]
    settings = MatchSettings(blocking_rules=(BIRTH,), max_block_size=5, u_sample_pairs=100)
    assert set(pairs_of(rows, settings)) == {("x", "y")}
    result = match_records(duckdb.connect(), records(rows), settings)
    assert (result.blocking[0].skipped_blocks, result.blocking[0].skipped_records) == (1, 6)


def test_too_many_pairs_are_refused_before_any_join() -> None:
    rows = [{"record_id": str(i), "birth_date": "1985-03-14"} for i in range(30)]
    with pytest.raises(TooManyPairs, match="435"):
        pairs_of(rows, MatchSettings(blocking_rules=(BIRTH,), max_pairs=400))


def test_hostile_values_and_column_names_are_data_not_sql() -> None:
    con = duckdb.connect()
    con.execute(
        'CREATE TABLE "people; drop" ("id""x" VARCHAR, src VARCHAR, "e-mail" VARCHAR,'
        " full_name VARCHAR)"
    )
    evil = 'x\'); DROP TABLE "people; drop"; --'
    con.execute(
        'INSERT INTO "people; drop" VALUES (?, ?, ?, ?), (?, ?, ?, ?)',
        ["1", "crm", "a@b.co", evil, "2", "shop", "a@b.co", evil],
    )
    settings = MatchSettings(
        columns={"record_id": 'id"x', "source": "src", "email": "e-mail"},
        u_sample_pairs=100,
        keep_non_matches=True,
    )
    result = match_records(con, "people; drop", settings)
    assert result.pairs.select(["record_id_l", "record_id_r"]).to_pylist() == [
        {"record_id_l": "1", "record_id_r": "2"}
    ]
    assert con.execute('SELECT count(*) FROM "people; drop"').fetchall() == [(2,)]
