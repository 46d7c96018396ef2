"""The whole run: symmetric in left and right, explainable, and repeatable from saved JSON."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from opencdp.identity.matching import (
    InvalidRecords,
    MatchModel,
    MatchSettings,
    match_records,
    score_records,
)

from .helpers import records

PEOPLE = [
    ("John", "Smith", "1985-03-14", "john.smith@mail.com", "+15551234567", "10001"),
    ("Mary", "Jones", "1990-07-01", "mary.j@mail.com", "+447700900123", "SW1A 1AA"),
    ("太郎", "山田", "1979-12-02", "taro@mail.jp", "+819012345678", "100-0001"),
    ("สมชาย", "ใจดี", "1988-05-05", "somchai@mail.th", "+66812345678", "10110"),
    ("Ann", "Lee", "2001-01-30", "ann.lee@mail.com", "+15559876543", "94105"),
    ("Peter", "Brown", "1970-10-10", "pbrown@mail.com", "+15550001111", "60601"),
]


def crm_and_shop() -> pa.Table:
    rows = []
    for i, (first, last, born, email, phone, postcode) in enumerate(PEOPLE):
        rows.append(
            {
                "record_id": f"crm-{i}",
                "source": "crm",
                "first_name": first,
                "last_name": last,
                "birth_date": born,
                "email": email,
                "phone": phone,
                "postcode": postcode,
            }
        )
        rows.append(
            {
                "record_id": f"shop-{i}",
                "source": "shop",
                "full_name": f"{last} {first}",
                "email": email if i % 2 else None,
                "phone": None if i % 2 else phone,
                "postcode": postcode,
            }
        )
    rows.append(
        {
            "record_id": "shop-x",
            "source": "shop",
            "full_name": "Zed Quill",
            "email": "zed@mail.com",
            "postcode": "10001",
        }
    )
    return records(rows)


SETTINGS = MatchSettings(link_only_across_sources=True, u_sample_pairs=2_000, keep_non_matches=True)


def weights(table: pa.Table) -> dict[frozenset[str], float]:
    return {
        frozenset((r["record_id_l"], r["record_id_r"])): r["match_weight"]
        for r in table.to_pylist()
    }


def test_each_shop_customer_finds_their_crm_contact() -> None:
    result = match_records(duckdb.connect(), crm_and_shop(), SETTINGS)
    best = {
        (r["record_id_l"], r["record_id_r"])
        for r in result.pairs.to_pylist()
        if r["decision"] != "non_match"
    }
    assert best == {(f"crm-{i}", f"shop-{i}") for i in range(len(PEOPLE))}
    assert result.model.converged and 0 < result.model.match_probability < 0.5


def test_weight_is_symmetric_in_left_and_right() -> None:
    con = duckdb.connect()
    table = crm_and_shop()
    result = match_records(con, table, SETTINGS)
    # CRM ids sorted before shop ids; renamed, they sort after: every pair swaps sides.
    flipped_ids = pa.array(
        [("b-" if i.startswith("crm") else "a-") + i for i in table["record_id"].to_pylist()]
    )
    flipped = table.set_column(0, "record_id", flipped_ids)
    again = score_records(con, flipped, result.model)
    original, mirrored = weights(result.pairs), weights(again.pairs)
    renamed = dict(zip(flipped_ids.to_pylist(), table["record_id"].to_pylist(), strict=True))
    mirrored = {frozenset(renamed[i] for i in pair): w for pair, w in mirrored.items()}
    assert original.keys() == mirrored.keys()
    for pair, weight in original.items():
        assert math.isclose(weight, mirrored[pair], abs_tol=1e-9)


def test_explanations_add_up_to_each_pairs_weight() -> None:
    result = match_records(duckdb.connect(), crm_and_shop(), SETTINGS)
    for row in result.pairs.to_pylist():
        why = result.explain((row["record_id_r"], row["record_id_l"]))
        assert math.isclose(why.match_weight, row["match_weight"], abs_tol=1e-9)
        assert math.isclose(
            why.prior_weight + sum(f.weight for f in why.fields), row["match_weight"], abs_tol=1e-9
        )
        assert why.decision == row["decision"]
    with pytest.raises(KeyError):
        result.explain(("crm-0", "crm-1"))


def test_saved_model_scores_the_same_without_refitting(tmp_path: Path) -> None:
    con = duckdb.connect()
    result = match_records(con, crm_and_shop(), SETTINGS)
    result.model.save(tmp_path / "model.json")
    loaded = MatchModel.load(tmp_path / "model.json")
    assert loaded == result.model
    assert score_records(con, crm_and_shop(), loaded).pairs.equals(result.pairs)
    with pytest.raises(ValueError, match="not a opencdp"):
        MatchModel.from_dict({**result.model.to_dict(), "format": "other"})


def test_records_from_a_relation_or_view_match_the_same() -> None:
    con = duckdb.connect()
    table = crm_and_shop()
    con.register("people_arrow", table)
    con.execute("CREATE VIEW people AS SELECT * FROM people_arrow")
    from_table = match_records(con, table, SETTINGS)
    from_view = match_records(con, "people", SETTINGS)
    from_relation = match_records(con, con.table("people"), SETTINGS)
    assert from_view.pairs.equals(from_table.pairs)
    assert from_relation.pairs.equals(from_table.pairs)


def test_duplicate_or_missing_record_ids_are_refused() -> None:
    with pytest.raises(InvalidRecords, match="unique"):
        match_records(duckdb.connect(), records([{"record_id": "a"}, {"record_id": "a"}]))
    with pytest.raises(InvalidRecords, match="empty"):
        match_records(duckdb.connect(), records([{"record_id": None}]))
    with pytest.raises(InvalidRecords, match="record_id"):
        match_records(duckdb.connect(), pa.table({"id": ["a"]}))
