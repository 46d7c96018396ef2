"""Properties every normaliser keeps, checked on generated input:

- it never raises, whatever it is given;
- it is idempotent: normalising a normalised value returns it unchanged;
- valid input stays valid, and phone numbers come out as '+' and digits.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import phonenumbers
import pycountry
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opencdp.hygiene import (
    DEFAULT_OPTIONS,
    FieldIssue,
    HygieneOptions,
    is_placeholder_digits,
    is_placeholder_email,
    normalize_country,
    normalize_currency,
    normalize_date,
    normalize_datetime,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_value,
)
from opencdp.hygiene.dispatch import NORMALIZERS
from opencdp.hygiene.phone import _fast
from opencdp.hygiene.phone_metadata import is_valid

OPTION_SETS = [
    DEFAULT_OPTIONS,
    HygieneOptions(default_region="TH", locale="th", day_first=True, timezone="Asia/Bangkok",
                   default_currency="THB", name_strip_titles=True,
                   email_provider_rules=True, today=date(2024, 6, 1)),
    HygieneOptions(default_region="JP", locale="ja", timezone="Asia/Tokyo",
                   default_currency="JPY", email_strip_tags=True, phone_accept_possible=True),
    HygieneOptions(default_region="US", timezone="America/New_York", decimal_comma=True),
    HygieneOptions(default_region="GB", locale="en"),
]  # fmt: skip
KINDS = sorted(NORMALIZERS)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
REGIONS = ["TH", "JP", "US", "GB", "DE", "FR", "SG", "AU", "CN", "KR", "IN", "BR", "IT", "MX"]

# Text that looks like customer data more often than st.text() alone would produce.
messy_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "Z", "S"])),
    st.text(alphabet="0123456789-+() ./年月日:TZ０１２３４５６７８９－ー〒@", max_size=30),
    st.from_regex(r"[ \t]*[A-Za-zก-๙ァ-ヶ一-龯ｦ-ﾟ'\- ]{1,20}[ \u3000]*", fullmatch=True),
)
any_value = st.one_of(
    messy_text, st.none(), st.integers(), st.floats(), st.booleans(), st.binary(max_size=20),
    st.dates(), st.datetimes(), st.lists(st.integers(), max_size=2),
    st.datetimes(timezones=st.just(UTC)),
)  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@given(value=any_value, options=st.sampled_from(OPTION_SETS))
@settings(max_examples=150, deadline=None)
def test_never_raises(kind: str, value: object, options: HygieneOptions) -> None:
    result = normalize_value(kind, value, options=options)
    assert result.original is value or result.original == value
    assert result.value != "", "an empty string is never a cleaned value"
    if result.value is None:
        assert result.issues, "a refused value always says why"
        assert result.problem is not None


# Realistic seeds per kind, so idempotence is also exercised on values that do parse.
SEEDS = {
    "email": ["John.Doe+x@GMail.com", "taro@例え.jp", "ｔａｒｏ＠ｓｈｏｐ．ｊｐ", "a@b.co"],
    "phone": ["081-234-5678", "０９０－１２３４－５６７８", "+1 415 555 2671", "02-123-4567"],
    "name": ["JOHN MCDONALD", "นายสมชาย ใจดี", "山田　太郎　様", "ﾔﾏﾀﾞ ﾀﾛｳ", "o'neil"],
    "date": ["01/03/2567", "2024年3月1日", "1 Mar 2024", "20240301", "1709251200"],
    "datetime": ["2024-03-01 17:00", "1709251200123", "Fri, 01 Mar 2024 10:00:00 +0000"],
    "country": ["ประเทศไทย", "日本", "U.K.", "usa", "THA"],
    "currency": ["฿", "¥", "$", "บาท", "usd"],
    "boolean": ["ใช่", "いいえ", "Yes", "0"],
    "postcode": ["〒100-0001", "10110", "sw1a1aa", "94105-1234"],
    "gender": ["ชาย", "女性", "F", "prefer not to say"],
    "number": ["1,234.50", "(12)", "฿1,200", "１２３"],
    "text": ["  Sukhumvit　Road ", "ＣＵＳＴ－００１"],
    "free_text": ["  Great!\r\n\r\n\r\nส่งเร็ว ", "ありがとう"],
}
SEEDS["birth_date"] = ["15/08/2530", "昭和60年5月3日", "1985-05-03"]
SEEDS["quantity"] = SEEDS["price"] = SEEDS["number"]


def _perturbed(seed: str) -> st.SearchStrategy[str]:
    full_width = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
    variants = [seed, seed.upper(), seed.lower(), f"  {seed}\t", seed.translate(full_width)]
    return st.sampled_from([*variants, seed.replace(" ", "\u3000")])


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), options=st.sampled_from(OPTION_SETS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_idempotent(kind: str, data: st.DataObject, options: HygieneOptions) -> None:
    seeded = st.sampled_from(SEEDS[kind]).flatmap(_perturbed)
    value = data.draw(st.one_of(messy_text, seeded))
    _check_idempotent(kind, value, options)


def _check_idempotent(kind: str, value: str, options: HygieneOptions) -> None:
    first = normalize_value(kind, value, options=options)
    if first.value is None:
        return
    again = normalize_value(kind, first.value, options=options)
    assert again.value == first.value, (value, first, again)
    # A stored string value also comes back unchanged from its text form.
    if isinstance(first.value, str):
        assert normalize_value(kind, str(first.value), options=options).value == first.value


@given(value=messy_text, region=st.sampled_from([*REGIONS, None]))
@settings(max_examples=300, deadline=None)
def test_phone_output_is_e164(value: str, region: str | None) -> None:
    result = normalize_phone(value, HygieneOptions(default_region=region))
    if result.value is not None:
        assert E164.fullmatch(result.value), result


@given(email=st.emails())
@settings(max_examples=300, deadline=None)
def test_valid_emails_stay_valid(email: str) -> None:
    local, _, domain = email.lower().rpartition("@")
    assume(not is_placeholder_email(local, domain))
    result = normalize_email(email)
    assert result.value == email.lower(), result
    assert normalize_email(result.value).value == result.value


def _example_numbers() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    kinds = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                numbers.append((region, number))
    return numbers


EXAMPLE_NUMBERS = _example_numbers()
_PNF = phonenumbers.PhoneNumberFormat
FORMATS = [_PNF.E164, _PNF.INTERNATIONAL, _PNF.NATIONAL, _PNF.RFC3966]


@given(
    example=st.sampled_from(EXAMPLE_NUMBERS),
    layout=st.sampled_from(FORMATS),
    full_width=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_valid_phone_numbers_stay_valid(
    example: tuple[str, phonenumbers.PhoneNumber], layout: int, full_width: bool
) -> None:
    region, number = example
    assume(not is_placeholder_digits(str(number.national_number)))  # FR's 01 23 45 67 89
    written = phonenumbers.format_number(number, layout)
    if full_width:
        written = written.translate({c: c + 0xFEE0 for c in range(ord("0"), ord("9") + 1)})
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    result = normalize_phone(written, HygieneOptions(default_region=region))
    assert result.value == expected, (written, result)


@given(
    example=st.sampled_from(EXAMPLE_NUMBERS),
    tail=st.from_regex(r"[0-9]{0,4}", fullmatch=True),
    shape=st.sampled_from(["national", "trunk", "international", "bare_cc"]),
    region=st.one_of(
        st.just("own"),
        st.sampled_from(REGIONS),
        st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    ),
)
@settings(max_examples=1000, deadline=None)
def test_phone_fast_path_agrees_with_the_full_parser(
    example: tuple[str, phonenumbers.PhoneNumber], tail: str, shape: str, region: str
) -> None:
    # Numbers near real ones (an example number with its last digits replaced), written the
    # ways people write them, read in the number's own region or another one.
    own_region, number = example
    region = region if region != "own" else own_region
    national = str(number.national_number)
    national = national[: len(national) - len(tail)] + tail
    code = str(number.country_code)
    written = {"national": national, "trunk": "0" + national, "international": f"+{code}{national}",
               "bare_cc": code + national}[shape]  # fmt: skip
    fast = _fast(written, region)
    if fast is None:
        return
    slow = phonenumbers.parse(written, region)
    assert phonenumbers.is_valid_number(slow)
    assert fast == phonenumbers.format_number(slow, phonenumbers.PhoneNumberFormat.E164)


@given(
    example=st.sampled_from(EXAMPLE_NUMBERS),
    tail=st.from_regex(r"[0-9]{0,5}", fullmatch=True),
    cut=st.integers(0, 3),
)
@settings(max_examples=1000, deadline=None)
def test_phone_validity_check_agrees_with_the_library(
    example: tuple[str, phonenumbers.PhoneNumber], tail: str, cut: int
) -> None:
    _, number = example
    national = str(number.national_number)
    national = national[: max(1, len(national) - cut - len(tail))] + tail
    assume(national[0] != "0")
    code = number.country_code
    assert code is not None
    candidate = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    assert is_valid(code, national) == phonenumbers.is_valid_number(candidate)


DATE_LAYOUTS = {
    "iso": ("{d:%Y-%m-%d}", DEFAULT_OPTIONS),
    "slashes": ("{d:%Y/%m/%d}", DEFAULT_OPTIONS),
    "compact": ("{d:%Y%m%d}", DEFAULT_OPTIONS),
    "us": ("{d:%m/%d/%Y}", DEFAULT_OPTIONS),
    "day_first": ("{d:%d/%m/%Y}", HygieneOptions(day_first=True)),
    "english": ("{d.day} {d:%b %Y}", DEFAULT_OPTIONS),
    "english_long": ("{d:%B} {d.day}, {d:%Y}", DEFAULT_OPTIONS),
    "japanese": ("{d.year}年{d.month}月{d.day}日", DEFAULT_OPTIONS),
    "buddhist": ("{d.day:02d}/{d.month:02d}/{be}", HygieneOptions(locale="th", day_first=True)),
}


@given(day=st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)),
       layout=st.sampled_from(sorted(DATE_LAYOUTS)))  # fmt: skip
@settings(max_examples=500, deadline=None)
def test_valid_dates_stay_valid(day: date, layout: str) -> None:
    template, options = DATE_LAYOUTS[layout]
    assume(layout != "buddhist" or day.year + 543 > 2400)
    written = template.format(d=day, be=day.year + 543)
    result = normalize_date(written, options)
    assert result.value == day, (written, result)


@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30),
                        timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)),
                                                   timezone(timedelta(hours=-5, minutes=-30))])),
)  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_valid_datetimes_stay_valid(moment: datetime) -> None:
    result = normalize_datetime(moment.isoformat())
    assert result.value == moment
    assert result.value is not None and result.value.tzinfo is UTC


def test_every_iso_country_and_currency_is_recognised() -> None:
    for country in pycountry.countries:
        for written in (country.alpha_2, country.alpha_3, country.name, country.alpha_2.lower()):
            assert normalize_country(written).value == country.alpha_2, written
    for currency in pycountry.currencies:
        assert normalize_currency(currency.alpha_3).value == currency.alpha_3


@given(name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz' -", min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_latin_names_keep_their_letters(name: str) -> None:
    result = normalize_name(name)
    if result.value is not None:
        assert result.value.lower() == " ".join(name.split()).strip(" ").lower()
    else:
        assert result.issues[0] in {FieldIssue.MISSING, FieldIssue.PLACEHOLDER,
                                    FieldIssue.NAME_NO_LETTERS}  # fmt: skip
