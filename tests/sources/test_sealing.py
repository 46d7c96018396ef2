"""The column-wise parts of import sealing agree with the one-row rules they stand for."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.crypto.personal import PersonalData
from opencdp.sources.mapping import ColumnRule
from opencdp.sources.sealing import BatchSealer

# Types of different strength, two of equal strength (social, social_handle) and one unranked.
_TYPES = ("customer_id", "email", "phone", "social", "social_handle", "loyalty_id", "other")
_VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "-1", "0", "(0)", "x@y.z"]))


@settings(max_examples=60, deadline=None)
@given(
    types=st.lists(st.sampled_from(_TYPES), min_size=0, max_size=4),
    rows=st.lists(st.lists(_VALUES, min_size=4, max_size=4), min_size=1, max_size=12),
)
def test_row_subjects_equal_personal_subject_of_each_row(
    tmp_path_factory: object, types: list[str], rows: list[list[str | None]]
) -> None:
    """`_subjects` picks, per row, what `personal.subject` picks from the row's stored
    identifiers: the strongest usable one, ties to the smallest pseudonym, blocked ones
    skipped, and the record id's subject when none is usable."""
    folder = Path(tmp_path_factory.mktemp("keys"))  # type: ignore[attr-defined]
    personal = PersonalData(secrets.token_bytes(32), folder / "keys.sqlite")
    con = duckdb.connect()
    try:
        sealer = BatchSealer(personal, con)
        columns = []
        for i, kind in enumerate(types):
            texts = pa.array([row[i] for row in rows], pa.string())
            stored = sealer._pseudonyms(kind, texts, {})
            columns.append((i, ColumnRule(f"c{i}", "identifier", kind, "text"), stored))
        record_ids = pa.chunked_array([pa.array([f"r{n}" for n in range(len(rows))])])
        found = sealer._subjects(columns, record_ids)
        for n in range(len(rows)):
            own = [f"{rule.name}:{stored[n].as_py()}" for _, rule, stored in columns
                   if stored[n].as_py() is not None]  # fmt: skip
            assert found[n] == personal.subject(own, fallback=f"r{n}")
    finally:
        con.close()
        personal.close()
