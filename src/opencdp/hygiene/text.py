"""Text clean-up shared by the normalisers: width folding, invisible characters, spacing.

Japanese and Thai sources mix full-width and half-width forms, ideographic spaces and
zero-width spaces; folding them once here means every normaliser compares like with like.
"""

from __future__ import annotations

import math
import re
import unicodedata

# Invisible characters that break matching: zero-width space/joiners, BOM, soft hyphen,
# word joiner, bidi marks, and C0/C1 control characters other than whitespace.
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\x00-\x08\x0e-\x1b\x7f-\x9f]"
)
# NFKC splits Thai SARA AM (U+0E33) and Lao AM (U+0EB3) into NIKHAHIT + SARA AA; put them
# back, since Thai text is always written and searched with the single character.
_SARA_AM = re.compile("\u0e4d\u0e32|\u0ecd\u0eb2")
_SARA_AM_MAP = {"\u0e4d\u0e32": "\u0e33", "\u0ecd\u0eb2": "\u0eb3"}
# Dashes, long-vowel marks and minus signs people type between digits.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70\u2043\ufe63"


def as_text(value: object) -> str | None:
    """The value as text, or None when it is of a type no field holds (dict, list …).

    Integral floats lose their ".0" ("66812345678.0" from a spreadsheet is a phone number).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return None


def fold_width(text: str) -> str:
    """NFKC (full-width Latin → ASCII, half-width katakana → full-width, U+3000 → space),
    keeping Thai and Lao AM composed. ASCII text is returned as is."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    if "\u0e4d" in folded or "\u0ecd" in folded:
        folded = _SARA_AM.sub(lambda m: _SARA_AM_MAP[m.group()], folded)
    return folded


def squeeze(text: str) -> str:
    """Drop invisible characters and collapse every run of whitespace to one space."""
    if not text.isascii() or not text.isprintable():
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """`fold_width` then `squeeze`: the usual first step for short fields."""
    return squeeze(fold_width(text))
