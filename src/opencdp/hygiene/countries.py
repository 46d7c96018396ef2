"""Countries to ISO 3166-1 alpha-2 codes from codes, English names and Thai and Japanese names.

The names come from pycountry (ISO data with its Thai and Japanese translations); a small
alias table adds what people actually type: UK, USA, America, ไทย, アメリカ, 韓国 …
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text

_ALIASES = {
    "GB": ("uk", "u.k.", "great britain", "britain", "england", "scotland", "wales",
           "northern ireland", "united kingdom", "イギリス", "英国", "อังกฤษ", "สหราชอาณาจักร"),
    "US": ("usa", "u.s.a.", "u.s.", "america", "united states", "united states of america",
           "the united states", "アメリカ", "米国", "อเมริกา", "สหรัฐ", "สหรัฐอเมริกา"),
    "KR": ("korea", "south korea", "republic of korea", "韓国", "เกาหลี", "เกาหลีใต้"),
    "KP": ("north korea", "北朝鮮", "เกาหลีเหนือ"),
    "JP": ("japan", "nippon", "日本国", "ญี่ปุ่น"),
    "TH": ("thailand", "siam", "ไทย", "ประเทศไทย", "タイ", "タイ王国"),
    "CN": ("china", "prc", "中国", "中華人民共和国", "จีน"),
    "TW": ("taiwan", "台湾", "ไต้หวัน"),
    "VN": ("vietnam", "viet nam", "ベトナム", "เวียดนาม"),
    "LA": ("laos", "lao", "ラオス", "ลาว"),
    "MM": ("burma", "myanmar", "ミャンマー", "พม่า", "เมียนมา"),
    "RU": ("russia", "ロシア", "รัสเซีย"),
    "NL": ("holland", "the netherlands", "オランダ"),
    "AE": ("uae", "u.a.e.", "emirates"),
    "CZ": ("czech republic",),
    "TR": ("turkey", "türkiye", "トルコ"),
    "CI": ("ivory coast",),
}  # fmt: skip
_NON_KEY = re.compile(r"[.'’()]")
_CODE = re.compile(r"[A-Za-z]{2,3}")


def country_key(text: str) -> str:
    """The lookup form: folded, lower-case, without dots, quotes, brackets or the words
    "the" / "ประเทศ" (Thai for "country") in front."""
    key = _NON_KEY.sub("", clean_text(text).casefold()).strip()
    for prefix in ("the ", "ประเทศ"):
        key = key.removeprefix(prefix)
    return " ".join(key.split())


def normalize_country(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """Any common spelling of a country to its ISO 3166-1 alpha-2 code (TH, JP, GB …)."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    result = _normalize(text)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=4096)
def _normalize(text: str) -> Normalized[str]:
    if _CODE.fullmatch(text):  # the common case: already a code
        code = _countries().get(text.casefold())
        if code is not None:
            return Normalized(code, text)
    cleaned = clean_text(text)
    if not cleaned:
        return refused(text, FieldIssue.MISSING)
    if is_placeholder_text(cleaned):
        return refused(text, FieldIssue.PLACEHOLDER)
    code = _countries().get(country_key(cleaned))
    return Normalized(code, text) if code else refused(text, FieldIssue.COUNTRY_UNKNOWN)


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Lookup key → alpha-2 for every code, name and translated name, built on first use."""
    table: dict[str, str] = {}
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in ("th", "ja")
    ]
    for country in pycountry.countries:
        code = country.alpha_2
        names = [getattr(country, a, None) for a in ("name", "common_name", "official_name")]
        for name in [n for n in names if n]:
            table[country_key(name)] = code
            for translation in translations:
                table[country_key(translation.gettext(name))] = code
        table[country.alpha_3.casefold()] = code
        table[country.numeric] = code
    for code, aliases in _ALIASES.items():
        for alias in aliases:
            table[country_key(alias)] = code
    for country in pycountry.countries:  # codes last: "IN", "TO" … are codes, not words
        table[country.alpha_2.casefold()] = country.alpha_2
    return table
