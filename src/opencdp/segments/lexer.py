"""Splitting segment text into tokens, each with its character offset for error messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from opencdp.segments.errors import SegmentSyntaxError

TokenKind = Literal["string", "number", "duration", "name", "op", "punct", "end"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # the source text (for strings: the decoded value)
    pos: int


_PATTERNS: list[tuple[TokenKind, re.Pattern[str]]] = [
    ("string", re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)),
    ("duration", re.compile(r"\d+[mhdwy](?![A-Za-z0-9_.])")),
    ("number", re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_])")),
    ("name", re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")),
    ("op", re.compile(r"!=|<=|>=|=|<|>")),
    ("punct", re.compile(r"[()\[\],]")),
]
_SPACE = re.compile(r"\s+")


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an `end` token; SegmentSyntaxError on a stray char."""
    tokens: list[Token] = []
    pos = 0
    while True:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= len(text):
            tokens.append(Token("end", "", pos))
            return tokens
        for kind, pattern in _PATTERNS:
            match = pattern.match(text, pos)
            if match:
                tokens.append(Token(kind, _decode(kind, match.group(), pos, text), pos))
                pos = match.end()
                break
        else:
            what = "an unterminated string" if text[pos] == '"' else f"unexpected {text[pos]!r}"
            raise SegmentSyntaxError(what, pos, text)


def _decode(kind: TokenKind, raw: str, pos: int, text: str) -> str:
    if kind != "string":
        return raw
    try:
        value = json.loads(raw, strict=False)
    except json.JSONDecodeError as exc:
        raise SegmentSyntaxError(f"bad escape in string ({exc.msg})", pos + exc.pos, text) from exc
    assert isinstance(value, str)
    return value
