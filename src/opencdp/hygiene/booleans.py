"""Yes/no answers (opt-ins, flags, survey questions) from the many ways forms write them,
in English, Thai and Japanese."""

from __future__ import annotations

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text

_TRUE = frozenset({
    "true", "t", "yes", "y", "1", "on", "checked", "ok", "✓", "✔", "ใช่", "ใช่ค่ะ", "ใช่ครับ",
    "จริง", "ยินยอม", "はい", "有", "あり", "有り", "○", "◯", "〇", "真", "する", "同意する",
})  # fmt: skip
_FALSE = frozenset({
    "false", "f", "no", "n", "0", "off", "unchecked", "ไม่ใช่", "ไม่", "เท็จ", "ไม่ยินยอม",
    "いいえ", "無", "なし", "無し", "×", "✗", "✕", "偽", "しない", "同意しない",
})  # fmt: skip


def normalize_boolean(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[bool]:
    """True/False from booleans, 0/1 and yes/no words; anything else is refused."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    if isinstance(value, bool):
        return Normalized(value, value)
    if isinstance(value, int | float) and value in (0, 1):
        return Normalized(bool(value), value)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    key = text.strip().lower()
    if key not in _TRUE and key not in _FALSE:
        key = clean_text(text).casefold()
    if key in _TRUE:
        return Normalized(True, value)
    if key in _FALSE:
        return Normalized(False, value)
    if not key:
        return refused(value, FieldIssue.MISSING)
    if is_placeholder_text(key):
        return refused(value, FieldIssue.PLACEHOLDER)
    return refused(value, FieldIssue.BOOLEAN_UNKNOWN)
