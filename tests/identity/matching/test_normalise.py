from __future__ import annotations

import pyarrow as pa

from opencdp.identity.matching.normalise import fold_column, fold_text


def test_width_case_and_spacing_fold_to_one_spelling() -> None:
    assert fold_text("ＳＭＩＴＨ　 John ") == "smith john"
    assert fold_text("Smith,John") == "smith john"
    assert fold_text("STRASSE") == fold_text("Straße")


def test_katakana_half_width_and_hiragana_meet() -> None:
    assert fold_text("ヤマダ タロウ") == "やまだ たろう"
    assert fold_text("ﾔﾏﾀﾞ") == "やまだ"


def test_apostrophes_and_hyphens_join_a_word() -> None:
    assert fold_text("O'Brien") == "obrien"
    assert fold_text("Mary-Jane") == "maryjane"


def test_thai_is_kept_apart_from_spacing() -> None:
    assert fold_text("  สมชาย   ใจดี ") == "สมชาย ใจดี"


def test_blank_and_punctuation_only_become_missing() -> None:
    assert fold_text("   ") is None
    assert fold_text(" - , ") is None


def test_column_is_folded_per_value_and_keeps_nulls() -> None:
    column = pa.chunked_array([["Ａｎｎ", None], ["ann", "Bob"]])
    assert fold_column(column).to_pylist() == ["ann", None, "ann", "bob"]
    assert fold_column(pa.nulls(2)).to_pylist() == [None, None]
