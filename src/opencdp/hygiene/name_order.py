"""Family and given names, and the order to show them in.

Japanese (and Chinese, Korean) names are written family name first; Thai and Western names
given name first. Sources disagree on which column holds which, so profiles store the two
parts separately and derive the display form from the script and the locale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opencdp.hygiene.name_case import PARTICLES, case_name
from opencdp.hygiene.names import clean_name
from opencdp.hygiene.titles import split_name_title

# Han, kana and Hangul: scripts whose names are written family name first.
_FAMILY_FIRST_SCRIPT = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
)
_FAMILY_FIRST_LOCALES = frozenset({"ja", "zh", "ko"})


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name in parts; `display` is the whole name in the customary order."""

    family: str | None
    given: str | None
    display: str
    family_first: bool
    title: str | None = None


def person_name(
    *,
    full: str | None = None,
    family: str | None = None,
    given: str | None = None,
    locale: str | None = None,
) -> PersonName:
    """Split or join a name: from `family` and `given`, or from `full` when they are missing.

    A full name without spaces in a family-first script cannot be split reliably and is
    returned whole in `display` with both parts None.
    """
    family = clean_name(family) if family else None
    given = clean_name(given) if given else None
    title = None
    if family is None and given is None and full:
        title, rest = split_name_title(clean_name(full))
        family, given = _split_full(clean_name(rest), locale)
        if family is None and given is None:
            return PersonName(None, None, clean_name(rest), _is_family_first(rest, locale), title)
    sample = " ".join(p for p in (family, given) if p)
    first = _is_family_first(sample, locale)
    parts = (family, given) if first else (given, family)
    return PersonName(family, given, " ".join(p for p in parts if p), first, title)


def _is_family_first(name: str, locale: str | None) -> bool:
    if _FAMILY_FIRST_SCRIPT.search(name):
        return True
    # Romanised names of a ja/zh/ko source too: family first, as Japan's official
    # romanisation has been since 2020 ("Yamada Taro").
    lang = (locale or "").split("-")[0].split("_")[0].lower()
    return lang in _FAMILY_FIRST_LOCALES


def _split_full(name: str, locale: str | None) -> tuple[str | None, str | None]:
    words = name.split(" ")
    if len(words) < 2:
        return None, None
    shouted = [w for w in words if w.isupper() and len(w) > 1]
    if len(shouted) == 1 and len(words) > len(shouted):
        # "YAMADA Taro", "Taro YAMADA": capitals mark the family name.
        return case_name(shouted[0]), " ".join(w for w in words if w is not shouted[0])
    if _is_family_first(name, locale):
        return words[0], " ".join(words[1:])
    # Given names first; the family name is the last word with any particles before it.
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return " ".join(words[start:]), " ".join(words[:start])
