"""Folding names and free text to one spelling per value before they are compared.

DuckDB has no NFKC, so text is folded here, once per distinct value of a column: full-width
and half-width forms, case (casefold, so "STRASSE" meets "straße"), punctuation, spacing
(the ideographic space too) and katakana vs hiragana, which Japanese forms mix freely.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pyarrow as pa

_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KANA_FOLD = str.maketrans(_KATAKANA, _HIRAGANA)
# Punctuation and symbols separate words ("Smith, John", "O'Brien" stays one word).
_SEPARATORS = re.compile(r"[\s,;:/|()\[\]{}\"“”・･]+")
_DROPPED = re.compile(r"[.'’`\-‐‑–—_]+")


@lru_cache(maxsize=65_536)
def fold_text(value: str) -> str | None:
    """NFKC, casefold, katakana → hiragana, punctuation removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", value).casefold().translate(_KANA_FOLD)
    text = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).strip()
    return text or None


def fold_column(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`fold_text` over a string column, computed once per distinct value."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string())
    encoded = column.cast(pa.string()).dictionary_encode()
    folded = pa.array([fold_text(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return folded.take(encoded.indices)
