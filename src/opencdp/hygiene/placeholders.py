"""Recognising placeholder values: what people type when a form insists on an answer.

`test@test.com`, `0000000000` or `N/A` would otherwise become identifiers and merge
thousands of unrelated customers into one profile, so they are refused, never stored.
"""

from __future__ import annotations

import re

# Compared after width folding, trimming and case folding.
_COMMON = frozenset({
    "n/a", "n.a.", "n.a", "n/a.", "#n/a", "none", "null", "nil", "nan", "undefined",
    "-", "--", "---", ".", "..", "...", "?", "??", "???", "*", "_", "/", "0",
    "unknown", "not available", "not applicable", "not known", "no data", "tbd", "tba",
    "asdf", "asdfg", "asdfgh", "asdfasdf", "qwerty", "qwer", "zxcv", "xxx", "xxxx",
    "test", "testing", "dummy", "fake", "sample", "blank", "empty", "nobody", "no name",
    "ไม่มี", "ไม่ระบุ", "ไม่ทราบ", "ไม่มีข้อมูล", "なし", "無し", "不明", "未定", "該当なし", "未記入",
})  # fmt: skip
# Additionally a placeholder when the field is a name.
_NAME = frozenset({
    "na", "name", "first name", "last name", "firstname", "lastname", "full name",
    "customer", "user", "test user", "test test", "john doe", "jane doe", "abc", "aaa",
    "mr", "mrs", "ms", "xxx xxx", "ทดสอบ", "テスト", "名無し",
})  # fmt: skip
_PLACEHOLDER_EMAIL_LOCAL = frozenset({
    "test", "testing", "noemail", "no-email", "no_email", "no.email", "nomail", "no-mail",
    "none", "null", "na", "n/a", "nil", "unknown", "noreply", "no-reply", "no_reply",
    "donotreply", "do-not-reply", "dummy", "fake", "asdf", "qwerty", "xxx", "abc",
    "email", "mail", "sample", "nobody", "notavailable", "noname",
})  # fmt: skip
_PLACEHOLDER_EMAIL_DOMAIN = frozenset({
    "example.com", "example.net", "example.org", "test.com", "test.test", "domain.com",
    "noemail.com", "nomail.com", "none.com", "asdf.com", "xxx.com", "fake.com",
    "sample.com", "localhost",
})  # fmt: skip
_PLACEHOLDER_TLDS = frozenset({"test", "example", "invalid", "localhost", "local"})
_STRAIGHT_RUNS = frozenset({
    "123456", "1234567", "12345678", "123456789", "0123456789", "1234567890",
    "987654", "9876543", "98765432", "987654321", "9876543210", "0987654321",
})  # fmt: skip
_REPEATED = re.compile(r"^(.)\1+$", re.DOTALL)


def is_placeholder_text(folded: str, *, name: bool = False) -> bool:
    """`folded` is trimmed, width-folded text; True for N/A, null, -, unknown, asdf …"""
    key = folded.casefold()
    if key in _COMMON or (name and key in _NAME):
        return True
    # "aaaa", "xxxxx", "----": one character repeated (two-letter names like "Oo" are real).
    return len(key) >= 3 and _REPEATED.match(key) is not None


def is_placeholder_email(local: str, domain: str) -> bool:
    """Placeholders among syntactically valid, lower-cased addresses."""
    if local in _PLACEHOLDER_EMAIL_LOCAL or domain in _PLACEHOLDER_EMAIL_DOMAIN:
        return True
    if domain.rpartition(".")[2] in _PLACEHOLDER_TLDS:
        return True
    if domain.startswith("example."):
        return True
    # a@a.com, xxx@xxx.com: one repeated character, or the local part repeating the domain.
    first_label = domain.partition(".")[0]
    return len(set(local)) == 1 and (len(local) >= 3 or local == first_label)


def is_placeholder_digits(digits: str) -> bool:
    """All one digit (0000000000) or a straight run (1234567890, 9876543210)."""
    if len(digits) < 6:
        return False
    return digits in _STRAIGHT_RUNS or _REPEATED.match(digits) is not None
