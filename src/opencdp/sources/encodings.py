"""Guess a text file's encoding among those customer files really come in.

Japanese exports are often Shift_JIS/CP932, Thai ones TIS-620/CP874, old Western ones
Windows-1252. Single-byte code pages decode almost any bytes, so "decodes without error" is
not enough: each candidate is scored by how much of the decoded sample is in the scripts
that code page exists for.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

SAMPLE_BYTES = 256 * 1024
_CANDIDATES = ("cp932", "cp874", "cp1252")


def _script_score(text: str, encoding: str) -> float:
    """Share of non-ASCII characters that belong to the scripts `encoding` is for."""
    wanted = 0
    other = 0
    for char in text:
        if char < "\x80":
            continue
        code = ord(char)
        if encoding == "cp874":
            good = 0x0E00 <= code <= 0x0E7F
        elif encoding == "cp932":
            # Half-width katakana (U+FF61-FF9F) is what Thai or Latin bytes turn into when
            # misread as CP932, and is rare in real Japanese exports: it does not count.
            good = 0x3000 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0xFF01 <= code <= 0xFF60
        else:
            good = unicodedata.category(char).startswith("L") and code < 0x0250
        if good:
            wanted += 1
        else:
            other += 1
    total = wanted + other
    return 1.0 if total == 0 else wanted / total


def detect_encoding(path: Path) -> str:
    """The most plausible encoding of `path`: a BOM, UTF-8, or the best-scoring code page."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a character cut by the sample's end
            return "utf-8"
    best, best_score = "cp1252", -1.0
    for encoding in _CANDIDATES:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 2:
                continue
            text = sample[: exc.start].decode(encoding)
        score = _script_score(text, encoding)
        if score > best_score:
            best, best_score = encoding, score
    return best
