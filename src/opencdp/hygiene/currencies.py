"""Currencies to ISO 4217 codes from codes, symbols and names (English, Thai, Japanese).

Symbols such as "$" and "¥" belong to several currencies; the source's default currency
decides when it is one of them, and otherwise the most common reading is assumed and flagged.
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

# Symbol → (currencies it can mean, the one assumed without a matching default).
_AMBIGUOUS = {
    "$": ({"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "TWD", "MXN"}, "USD"),
    "¥": ({"JPY", "CNY"}, "JPY"),
    "kr": ({"SEK", "NOK", "DKK", "ISK"}, "SEK"),
    "dollar": ({"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "TWD"}, "USD"),
    "dollars": ({"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "TWD"}, "USD"),
}
_SYMBOLS = {
    "฿": "THB", "บาท": "THB", "baht": "THB", "円": "JPY", "yen": "JPY", "€": "EUR",
    "euro": "EUR", "euros": "EUR", "ユーロ": "EUR", "ยูโร": "EUR", "£": "GBP", "pound": "GBP",
    "pounds": "GBP", "ポンド": "GBP", "ปอนด์": "GBP", "us$": "USD", "usd$": "USD", "ドル": "USD",
    "米ドル": "USD", "ดอลลาร์": "USD", "ดอลลาร์สหรัฐ": "USD", "a$": "AUD", "au$": "AUD",
    "c$": "CAD", "ca$": "CAD", "s$": "SGD", "sg$": "SGD", "hk$": "HKD", "nz$": "NZD",
    "nt$": "TWD", "₩": "KRW", "won": "KRW", "₹": "INR", "rupee": "INR", "₽": "RUB",
    "₱": "PHP", "₫": "VND", "₺": "TRY", "₪": "ILS", "₦": "NGN", "元": "CNY", "人民元": "CNY",
    "rmb": "CNY", "yuan": "CNY", "หยวน": "CNY", "rm": "MYR", "ringgit": "MYR", "rp": "IDR",
    "rupiah": "IDR", "chf": "CHF", "fr.": "CHF", "เยน": "JPY",
}  # fmt: skip
_CODE = re.compile(r"[A-Za-z]{3}")


def normalize_currency(value: object, options: HygieneOptions = DEFAULT_OPTIONS) -> Normalized[str]:
    """A currency code, symbol or name to its ISO 4217 code (THB, JPY, USD …)."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    default = options.default_currency.upper() if options.default_currency else None
    result = _normalize(text, default)
    return result if value is text else Normalized(result.value, value, result.issues)


@lru_cache(maxsize=4096)
def _normalize(text: str, default: str | None) -> Normalized[str]:
    if _CODE.fullmatch(text) and text.upper() in _codes():
        return Normalized(text.upper(), text)
    key = clean_text(text).casefold()
    if not key:
        return refused(text, FieldIssue.MISSING)
    if is_placeholder_text(key):
        return refused(text, FieldIssue.PLACEHOLDER)
    if key in _AMBIGUOUS:
        meanings, assumed = _AMBIGUOUS[key]
        if default in meanings:
            return Normalized(default, text)
        return Normalized(assumed, text, (FieldIssue.CURRENCY_SYMBOL_ASSUMED,))
    code = _SYMBOLS.get(key) or _names().get(key)
    if code is None and key.upper() in _codes():
        code = key.upper()
    return Normalized(code, text) if code else refused(text, FieldIssue.CURRENCY_UNKNOWN)


@lru_cache(maxsize=1)
def _codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Lower-case English, Thai and Japanese currency names → code, built on first use."""
    translations = [
        gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=[language])
        for language in ("th", "ja")
    ]
    table: dict[str, str] = {}
    for currency in pycountry.currencies:
        table[currency.name.casefold()] = currency.alpha_3
        for translation in translations:
            table[clean_text(translation.gettext(currency.name)).casefold()] = currency.alpha_3
    return table
