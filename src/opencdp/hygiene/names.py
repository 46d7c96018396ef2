"""Personal names: one spelling per name so records of the same person can match.

Unicode NFKC folds full-width Latin and half-width katakana, spacing is collapsed (including
the ideographic space), Latin names typed in one case are re-cased, and Thai and Japanese
names are kept exactly as written apart from that folding.
"""

from __future__ import annotations

from functools import lru_cache

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.name_case import case_name, needs_casing
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text
from opencdp.hygiene.titles import split_name_title

_MAX_NAME = 200
_EDGE_JUNK = ' ,;:"|*_'


def normalize_name(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """Clean a name field (full, given or family name); refuse placeholders and non-names."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    result = _normalize(text, options.name_strip_titles)
    return result if value is text else Normalized(result.value, value, result.issues)


def clean_name(text: str) -> str:
    """Width-folded, spacing-collapsed, edge-trimmed and (for single-case Latin) re-cased."""
    name = clean_text(text).strip(_EDGE_JUNK)
    if needs_casing(name):
        name = case_name(name)
    return name


@lru_cache(maxsize=32768)
def _normalize(text: str, strip_titles: bool) -> Normalized[str]:
    name = clean_name(text)
    if not name:
        return refused(text, FieldIssue.MISSING)
    if len(name) > _MAX_NAME:
        return refused(text, FieldIssue.TOO_LONG)
    if is_placeholder_text(name, name=True):
        return refused(text, FieldIssue.PLACEHOLDER)
    while strip_titles:  # "Mr Dr Smith": stripped until none is left, so it is idempotent
        title, rest = split_name_title(name)
        if title is None:
            break
        name = clean_name(rest)
    if not any(c.isalpha() for c in name):
        return refused(text, FieldIssue.NAME_NO_LETTERS)
    if any(c.isdigit() for c in name):
        return Normalized(name, text, (FieldIssue.NAME_HAS_DIGITS,))
    return Normalized(name, text)
