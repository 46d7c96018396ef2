"""Email addresses: one spelling per mailbox, so the same person's address matches across
sources, with provider rules (Gmail dots and +tags) available as an option.

The stored form is lower-case with the domain in ASCII (punycode), which is what mail
systems compare; `email_for_display` turns it back into Unicode for people.
"""

from __future__ import annotations

import re
from functools import lru_cache

import idna

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_email
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, fold_width, squeeze

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_ASCII = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
# Internationalised local parts (RFC 6531): any visible character but the specials.
_UATOM = r"[^\s\"(),:;<>@\[\]\\.]+"
_LOCAL_UNICODE = re.compile(rf"{_UATOM}(?:\.{_UATOM})*")
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_MAX_LOCAL = 64
_MAX_ADDRESS = 254


def normalize_email(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """Trim, lower-case, IDN domain to ASCII, check syntax; refuse placeholders."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    result = _normalize(text, options.email_provider_rules, options.email_strip_tags)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=32768)
def _normalize(text: str, provider_rules: bool, strip_tags: bool) -> Normalized[str]:
    address = _unwrap(text.strip() if text.isascii() else squeeze(fold_width(text)))
    if not address:
        return refused(text, FieldIssue.MISSING)
    if len(address) > _MAX_ADDRESS:
        return refused(text, FieldIssue.TOO_LONG)
    local, at, domain = address.lower().rpartition("@")
    if not at or not local:
        return refused(text, FieldIssue.EMAIL_SYNTAX)
    ascii_domain = _ascii_domain(domain.removesuffix("."))
    if ascii_domain is None:
        return refused(text, FieldIssue.EMAIL_DOMAIN)
    if len(local) > _MAX_LOCAL or not _valid_local(local):
        return refused(text, FieldIssue.EMAIL_SYNTAX)
    if provider_rules and ascii_domain in _GMAIL:
        local, ascii_domain = local.partition("+")[0].replace(".", ""), "gmail.com"
        if not local:  # "+tag@gmail.com" leaves nothing
            return refused(text, FieldIssue.EMAIL_SYNTAX)
    elif strip_tags and "+" in local:
        local = local.partition("+")[0]
        if not _valid_local(local):  # "+tag@…", "a.+tag@…"
            return refused(text, FieldIssue.EMAIL_SYNTAX)
    if is_placeholder_email(local, ascii_domain):
        return refused(text, FieldIssue.PLACEHOLDER)
    return Normalized(f"{local}@{ascii_domain}", text)


def _unwrap(address: str) -> str:
    """`mailto:`, `Name <a@b>` and quotes around the whole address are not part of it."""
    if address[:7].lower() == "mailto:":
        address = address[7:]
    if address.endswith(">") and "<" in address:
        address = address[address.rindex("<") + 1 : -1]
    address = address.strip()
    if len(address) > 1 and address[0] == address[-1] and address[0] in "\"'":
        address = address[1:-1].strip()
    return address


def _valid_local(local: str) -> bool:
    if not local:
        return False
    pattern = _LOCAL_ASCII if local.isascii() else _LOCAL_UNICODE
    return pattern.fullmatch(local) is not None


@lru_cache(maxsize=8192)
def _ascii_domain(domain: str) -> str | None:
    """The domain as mail systems compare it, or None when it cannot be one."""
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    if len(domain) > 253 or _DOMAIN.fullmatch(domain) is None:
        return None
    if "xn--" in domain and _unicode_domain(domain) is None:
        return None
    return domain


@lru_cache(maxsize=8192)
def _unicode_domain(domain: str) -> str | None:
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def email_for_display(email: str) -> str:
    """The stored address with its domain back in Unicode (user@例え.jp), for people."""
    local, at, domain = email.rpartition("@")
    if not at or "xn--" not in domain:
        return email
    return f"{local}@{_unicode_domain(domain) or domain}"
