"""Casing for Latin-script personal names typed all upper or all lower case.

`str.title()` gives "Mcdonald", "Van Der Berg" and "John Iii"; these rules keep the usual
spellings. Names already in mixed case are left alone: the person typed them that way.
"""

from __future__ import annotations

from functools import lru_cache

# Family-name particles that stay lower-case inside a name (van der Berg, de la Cruz).
PARTICLES = frozenset({
    "van", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "la", "le",
    "von", "zu", "ter", "ten", "het", "y", "e", "bin", "binti", "ibn", "al", "el", "st",
})  # fmt: skip
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix"})
_SUFFIXES = {"jr": "Jr", "jr.": "Jr.", "sr": "Sr", "sr.": "Sr.", "phd": "PhD"}
# "Mac" is a prefix only in these (Mack, Macy and Machado are not Mac-names).
_MAC_NAMES = frozenset({
    "macdonald", "macleod", "macarthur", "macmillan", "macintosh", "mackay", "maclean",
    "macneil", "macaulay", "macgregor", "macpherson", "macbeth", "maccallum", "mackinnon",
})  # fmt: skip
_APOSTROPHES = "'\u2019"


def needs_casing(name: str) -> bool:
    """Only names typed in a single case (JOHN SMITH, john smith) are re-cased."""
    return name.isupper() or name.islower()


@lru_cache(maxsize=16384)
def case_name(name: str) -> str:
    """Re-case a space-separated Latin name; other scripts pass through unchanged."""
    words = name.lower().split(" ")
    only = len(words) == 1
    out = []
    for index, word in enumerate(words):
        if not only and word in PARTICLES and index < len(words) - 1:
            out.append(word)
        elif index > 0 and word in _ROMAN:
            out.append(word.upper())
        elif word in _SUFFIXES and index > 0:
            out.append(_SUFFIXES[word])
        else:
            out.append("-".join(_case_part(part) for part in word.split("-")))
    return " ".join(out)


def _case_part(part: str) -> str:
    for mark in _APOSTROPHES:
        head, sep, tail = part.partition(mark)
        if sep and len(head) == 1 and tail:  # O'Neil, D'Angelo, L'Estrange
            return _cap(head) + sep + _case_part(tail)
    if part.startswith("mc") and len(part) > 2:
        return "Mc" + _cap(part[2:])
    if part in _MAC_NAMES:
        return "Mac" + _cap(part[3:])
    return _cap(part)


def _cap(word: str) -> str:
    return word[:1].title() + word[1:]  # title case: "ß" → "Ss", not "SS"
