"""Honorifics around personal names: Mr/Ms, Thai นาย/นาง/นางสาว/คุณ, Japanese 様/さん.

Forms and CRM exports often store "นายสมชาย ใจดี" or "山田太郎様" in the name field; the
title is not part of the name and would stop the same person's records matching.
"""

from __future__ import annotations

import re

# Longest first, so นางสาว wins over นาง. Thai titles are often written without a space.
_THAI_PREFIX = re.compile(
    r"^(นางสาว|เด็กชาย|เด็กหญิง|นาย|นาง|คุณ|น\.ส\.|ด\.ช\.|ด\.ญ\.|ดร\.|ศ\.|รศ\.|ผศ\.)\s*(?=\S)"
)
_LATIN_PREFIX = re.compile(
    r"^(mr|mrs|ms|miss|mx|dr|prof|sir|madam|mme|mlle|herr|frau)(?:\.\s*|\s+)(?=\S)",
    re.IGNORECASE,
)
_JAPANESE_SUFFIX = re.compile(r"(?<=\S)\s*(様|さま|さん|殿|氏|御中)$")


def split_name_title(name: str) -> tuple[str | None, str]:
    """(title or None, the name without it) for an already cleaned name.

    Known ambiguity: a Thai given name that itself starts with a title word (นางนวล) loses
    its first syllable; callers that cannot accept that leave titles in place.
    """
    for pattern in (_THAI_PREFIX, _LATIN_PREFIX):
        match = pattern.match(name)
        if match:
            return match.group(1), name[match.end() :]
    match = _JAPANESE_SUFFIX.search(name)
    if match:
        return match.group(1), name[: match.start()]
    return None, name
