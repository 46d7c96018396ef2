"""Gender from the codes and words sources use, in English, Thai and Japanese, to a small
enum, so segments can filter on it whatever the source wrote."""

from __future__ import annotations

from enum import StrEnum

from opencdp.hygiene.issues import FieldIssue
from opencdp.hygiene.options import DEFAULT_OPTIONS, HygieneOptions
from opencdp.hygiene.placeholders import is_placeholder_text
from opencdp.hygiene.result import Normalized, refused
from opencdp.hygiene.text import as_text, clean_text


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"  # stated as not known or not given, unlike a missing value


_WORDS = {
    Gender.FEMALE: (
        "f", "female", "woman", "women", "w", "girl", "fem", "หญิง", "ผู้หญิง", "เพศหญิง", "ญ",
        "女性", "女", "おんな", "じょせい",
    ),
    Gender.MALE: (
        "m", "male", "man", "men", "boy", "ชาย", "ผู้ชาย", "เพศชาย", "ช", "男性", "男", "おとこ",
        "だんせい",
    ),
    Gender.OTHER: (
        "other", "o", "x", "non-binary", "nonbinary", "non binary", "nb", "diverse", "d",
        "อื่นๆ", "อื่น ๆ", "อื่น", "その他", "他",
    ),
    Gender.UNKNOWN: (
        "unknown", "u", "not known", "not specified", "unspecified", "prefer not to say",
        "prefer not to answer", "rather not say", "declined", "ไม่ระบุ", "ไม่ทราบ",
        "ไม่ต้องการระบุ", "不明", "未回答", "回答しない", "無回答", "答えたくない",
    ),
}  # fmt: skip
_LOOKUP = {word: gender for gender, words in _WORDS.items() for word in words}
_LOOKUP.update({gender.value: gender for gender in Gender})
# ISO/IEC 5218, also used by Japanese and Thai systems: 0 unknown, 1 male, 2 female, 9 n/a.
_ISO_5218 = {"0": Gender.UNKNOWN, "1": Gender.MALE, "2": Gender.FEMALE, "9": Gender.OTHER}
_LOOKUP.update(_ISO_5218)


def normalize_gender(
    value: object, options: HygieneOptions = DEFAULT_OPTIONS
) -> Normalized[Gender]:
    """One of female, male, other, unknown; text it does not recognise is refused."""
    if value is None:
        return refused(value, FieldIssue.MISSING)
    text = as_text(value)
    if text is None:
        return refused(value, FieldIssue.NOT_TEXT)
    key = text.strip().lower()
    gender = _LOOKUP.get(key)
    if gender is None:
        key = clean_text(text).casefold().rstrip(".")
        gender = _LOOKUP.get(key)
    if gender is not None:
        return Normalized(gender, value)
    if not key:
        return refused(value, FieldIssue.MISSING)
    if is_placeholder_text(key):
        return refused(value, FieldIssue.PLACEHOLDER)
    return refused(value, FieldIssue.GENDER_UNKNOWN)
