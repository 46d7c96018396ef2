"""The reserved words of the text form, and which names may be written bare.

Shared by the lexer, the printer and validation, so a name the printer writes bare always
reads back as the same field.
"""

from __future__ import annotations

import re

KEYWORDS = frozenset({
    "and", "or", "not", "in", "contains", "starts_with", "ends_with", "exists", "between",
    "within", "before", "after", "ago", "then", "where", "true", "false", "ignore_case",
})  # fmt: skip

# Names that are functions only when followed by "(": a trait may still be called `count`.
FIELD_FUNCTIONS = ("trait", "computed", "identifier", "prediction", "property")
EVENT_FUNCTIONS = ("did", "count", "sum", "avg", "min", "max")

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def is_bare(name: str) -> bool:
    """Whether `name` can be written without quotes: dotted identifiers, not a keyword."""
    return _BARE.fullmatch(name) is not None and name not in KEYWORDS


def name_path(name: str) -> tuple[str, ...]:
    """The JSON keys a dotted field name walks through."""
    return tuple(name.split("."))
