"""Generic text fields: short ones (city, company, customer id) and free text (comments,
survey answers, ticket bodies), tidied without changing what the person wrote."""

from __future__ import annotations

import re
from functools import lru_cache

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text, squeeze

_MAX_SHORT = 1000
_MAX_FREE = 100_000
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """A short field: width-folded (full-width digits become ASCII) on one spaced line."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    result = _short(text)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=32768)
def _short(text: str) -> Normalized[str]:
    cleaned = clean_text(text)
    if not cleaned:
        return refused(text, FieldIssue.MISSING)
    if len(cleaned) > _MAX_SHORT:
        return refused(text, FieldIssue.TOO_LONG)
    if is_placeholder_text(cleaned):
        return refused(text, FieldIssue.PLACEHOLDER)
    return Normalized(cleaned, text)


def normalize_free_text(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[str]:
    """Free text keeps its characters and line breaks; only invisible characters, trailing
    spaces and runs of blank lines go."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = _BLANK_LINES.sub("\n\n", "\n".join(squeeze(line) for line in lines)).strip()
    if not cleaned:
        return refused(value, FieldIssue.MISSING)
    if len(cleaned) > _MAX_FREE:
        return refused(value, FieldIssue.TOO_LONG)
    if is_placeholder_text(cleaned):
        return refused(value, FieldIssue.PLACEHOLDER)
    return Normalized(cleaned, value)
