"""Countries (ISO 3166-1 alpha-2) and currencies (ISO 4217)."""

from __future__ import annotations

import pytest

from opencdp.hygiene import FieldIssue, HygieneOptions, normalize_country, normalize_currency


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Thailand", "TH"), ("ไทย", "TH"), ("ประเทศไทย", "TH"), ("ราชอาณาจักรไทย", "TH"),
        ("タイ", "TH"), ("THA", "TH"), ("th", "TH"), ("764", "TH"), (" thailand ", "TH"),
        ("日本", "JP"), ("Japan", "JP"), ("ญี่ปุ่น", "JP"), ("JPN", "JP"), ("ＪＰ", "JP"),
        ("日本国", "JP"),
        ("UK", "GB"), ("U.K.", "GB"), ("United Kingdom", "GB"), ("England", "GB"),
        ("イギリス", "GB"), ("英国", "GB"), ("อังกฤษ", "GB"),
        ("United States", "US"), ("USA", "US"), ("U.S.A.", "US"), ("America", "US"),
        ("United States of America", "US"), ("アメリカ", "US"), ("米国", "US"),
        ("สหรัฐอเมริกา", "US"),
        ("South Korea", "KR"), ("Korea, Republic of", "KR"), ("韓国", "KR"),
        ("中国", "CN"), ("จีน", "CN"), ("Viet Nam", "VN"), ("Vietnam", "VN"), ("ลาว", "LA"),
        ("The Netherlands", "NL"), ("Germany", "DE"), ("ドイツ", "DE"), ("เยอรมนี", "DE"),
        ("Türkiye", "TR"), ("Iran", "IR"), ("Taiwan", "TW"),
    ],
)  # fmt: skip
def test_countries(raw: str, code: str) -> None:
    result = normalize_country(raw)
    assert result.value == code
    assert result.issues == ()


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("Narnia", FieldIssue.COUNTRY_UNKNOWN),
        ("ZZ", FieldIssue.COUNTRY_UNKNOWN),
        ("N/A", FieldIssue.PLACEHOLDER),
        ("-", FieldIssue.PLACEHOLDER),
        ("", FieldIssue.MISSING),
        (3.5, FieldIssue.COUNTRY_UNKNOWN),
    ],
)
def test_unknown_countries(raw: object, issue: FieldIssue) -> None:
    assert normalize_country(raw).issues == (issue,)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("THB", "THB"), ("thb", "THB"), (" jpy ", "JPY"), ("฿", "THB"), ("บาท", "THB"),
        ("Baht", "THB"), ("円", "JPY"), ("Yen", "JPY"), ("เยน", "JPY"), ("€", "EUR"),
        ("ユーロ", "EUR"), ("£", "GBP"), ("US$", "USD"), ("米ドル", "USD"), ("US Dollar", "USD"),
        ("S$", "SGD"), ("RM", "MYR"), ("₩", "KRW"), ("人民元", "CNY"), ("バーツ", "THB"),
    ],
)  # fmt: skip
def test_currencies(raw: str, code: str) -> None:
    result = normalize_currency(raw)
    assert result.value == code
    assert result.issues == ()


@pytest.mark.parametrize(
    ("symbol", "default", "code", "issues"),
    [
        ("$", None, "USD", (FieldIssue.CURRENCY_SYMBOL_ASSUMED,)),
        ("$", "SGD", "SGD", ()),
        ("$", "THB", "USD", (FieldIssue.CURRENCY_SYMBOL_ASSUMED,)),  # ฿ source, $ still USD
        ("¥", None, "JPY", (FieldIssue.CURRENCY_SYMBOL_ASSUMED,)),
        ("¥", "JPY", "JPY", ()),
        ("￥", "CNY", "CNY", ()),
    ],
)
def test_ambiguous_symbols_follow_the_source_default(
    symbol: str, default: str | None, code: str, issues: tuple[FieldIssue, ...]
) -> None:
    result = normalize_currency(symbol, HygieneOptions(default_currency=default))
    assert result.value == code
    assert result.issues == issues
    assert result.ok


def test_unknown_currency() -> None:
    assert normalize_currency("XYZ").issues == (FieldIssue.CURRENCY_UNKNOWN,)
    assert normalize_currency("seashells").issues == (FieldIssue.CURRENCY_UNKNOWN,)
    assert normalize_currency("null").issues == (FieldIssue.PLACEHOLDER,)
