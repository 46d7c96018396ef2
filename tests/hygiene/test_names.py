from __future__ import annotations

import pytest

from opencdp.hygiene import (
    FieldIssue,
    HygieneOptions,
    normalize_name,
    person_name,
    split_name_title,
)

STRIP_TITLES = HygieneOptions(name_strip_titles=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  john   smith ", "John Smith"),
        ("JOHN MCDONALD", "John McDonald"),
        ("o'neil", "O'Neil"),
        ("SEAN O’BRIEN", "Sean O’Brien"),
        ("JOHN VAN DER BERG", "John van der Berg"),
        ("maria de la cruz", "Maria de la Cruz"),
        ("mary-jane smith-jones", "Mary-Jane Smith-Jones"),
        ("JEAN-LUC PICARD III", "Jean-Luc Picard III"),
        ("ANGUS MACDONALD", "Angus MacDonald"),
        ("MACY GRAY", "Macy Gray"),  # not a Mac- name
        ("McDonald", "McDonald"),  # mixed case is kept as typed
        ("van der Berg", "van der Berg"),
        ("DeVito", "DeVito"),
        ("ＴＡＲＯ　ＹＡＭＡＤＡ", "Taro Yamada"),  # full-width Latin, ideographic space
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width katakana → full-width
        ("山田　太郎", "山田 太郎"),
        ("山田太郎", "山田太郎"),
        ("สมชาย  ใจดี", "สมชาย ใจดี"),
        ("ฟ้าใส นำโชค", "ฟ้าใส นำโชค"),  # SARA AM stays one character after NFKC
        ("อำไพ\u200bศรี", "อำไพศรี"),  # zero-width space removed
        ("김 민준", "김 민준"),
    ],
)
def test_cleans_names(raw: str, expected: str) -> None:
    result = normalize_name(raw)
    assert result.value == expected
    assert result.issues == ()


@pytest.mark.parametrize(
    ("raw", "expected", "title"),
    [
        ("นายสมชาย ใจดี", "สมชาย ใจดี", "นาย"),
        ("นางสาว สมหญิง รักไทย", "สมหญิง รักไทย", "นางสาว"),
        ("นางสาวสมหญิง รักไทย", "สมหญิง รักไทย", "นางสาว"),
        ("นางมาลี ดีใจ", "มาลี ดีใจ", "นาง"),
        ("คุณวิภา", "วิภา", "คุณ"),
        ("山田太郎様", "山田太郎", "様"),
        ("山田　太郎　様", "山田 太郎", "様"),
        ("田中さん", "田中", "さん"),
        ("Mr. john smith", "John Smith", "Mr"),
        ("DR JANE DOE", "Jane Doe", "Dr"),
    ],
)
def test_titles_split_off_when_asked(raw: str, expected: str, title: str) -> None:
    assert normalize_name(raw, STRIP_TITLES).value == expected
    found, _ = split_name_title(normalize_name(raw).value or "")
    assert found == title


def test_titles_kept_by_default() -> None:
    assert normalize_name("นายสมชาย ใจดี").value == "นายสมชาย ใจดี"
    assert normalize_name("山田太郎様").value == "山田太郎様"


def test_a_name_that_only_looks_like_a_title_start_is_kept() -> None:
    assert normalize_name("Drew Barrymore", STRIP_TITLES).value == "Drew Barrymore"
    assert normalize_name("Mrs", STRIP_TITLES).issues == (FieldIssue.PLACEHOLDER,)


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("N/A", FieldIssue.PLACEHOLDER),
        ("unknown", FieldIssue.PLACEHOLDER),
        ("-", FieldIssue.PLACEHOLDER),
        ("test", FieldIssue.PLACEHOLDER),
        ("asdf", FieldIssue.PLACEHOLDER),
        ("xxxx", FieldIssue.PLACEHOLDER),
        ("ไม่ระบุ", FieldIssue.PLACEHOLDER),
        ("不明", FieldIssue.PLACEHOLDER),
        ("12345", FieldIssue.NAME_NO_LETTERS),
        ("", FieldIssue.MISSING),
        ("x" * 300, FieldIssue.TOO_LONG),
    ],
)
def test_refuses_non_names(raw: str, issue: FieldIssue) -> None:
    assert normalize_name(raw).issues == (issue,)


def test_digits_are_suspicious_but_kept() -> None:
    result = normalize_name("John Smith 2")
    assert result.value == "John Smith 2"
    assert result.issues == (FieldIssue.NAME_HAS_DIGITS,)
    assert result.problem is None


def test_two_letter_names_are_not_placeholders() -> None:
    assert normalize_name("Oo").value == "Oo"
    assert normalize_name("Ng").value == "Ng"


class TestPersonName:
    def test_japanese_full_name_is_family_first(self) -> None:
        name = person_name(full="山田　太郎", locale="ja")
        assert (name.family, name.given, name.display) == ("山田", "太郎", "山田 太郎")
        assert name.family_first

    def test_japanese_parts_display_family_first_whatever_the_locale(self) -> None:
        name = person_name(family="山田", given="太郎", locale="en")
        assert name.display == "山田 太郎"

    def test_romanised_japanese_in_a_ja_source_is_family_first(self) -> None:
        name = person_name(family="Yamada", given="Taro", locale="ja")
        assert name.display == "Yamada Taro"

    def test_capitals_mark_the_family_name(self) -> None:
        name = person_name(full="Taro YAMADA", locale="en")
        assert (name.family, name.given) == ("Yamada", "Taro")

    def test_western_name_is_given_first_with_particles_in_the_family_name(self) -> None:
        name = person_name(full="JOHN VAN DER BERG")
        assert (name.family, name.given, name.display) == (
            "van der Berg",
            "John",
            "John van der Berg",
        )
        assert not name.family_first

    def test_thai_name_is_given_first_and_title_split(self) -> None:
        name = person_name(full="นายสมชาย ใจดี", locale="th")
        assert (name.title, name.given, name.family) == ("นาย", "สมชาย", "ใจดี")
        assert name.display == "สมชาย ใจดี"

    def test_unsplittable_name_is_kept_whole(self) -> None:
        name = person_name(full="山田太郎様", locale="ja")
        assert (name.family, name.given, name.display, name.title) == (
            None,
            None,
            "山田太郎",
            "様",
        )

    def test_half_width_katakana_parts(self) -> None:
        name = person_name(family="ﾔﾏﾀﾞ", given="ﾀﾛｳ")
        assert name.display == "ヤマダ タロウ"
