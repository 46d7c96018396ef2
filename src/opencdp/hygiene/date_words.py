"""Words inside written dates: month names (English, Thai), Japanese eras, zone abbreviations.

Kept apart from the parser so that adding a language is a table edit, not a code change.
"""

from __future__ import annotations

from datetime import timedelta, timezone

_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
    "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
_THAI_MONTH_ABBREVIATIONS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


def _month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for number, name in enumerate(_ENGLISH_MONTHS, start=1):
        table[name] = table[name[:3]] = number
        table[name[:4]] = number  # "sept", "june", "july"
    for number, (name, short) in enumerate(
        zip(_THAI_MONTHS, _THAI_MONTH_ABBREVIATIONS, strict=True), start=1
    ):
        table[name] = table[short] = table[short.replace(".", "")] = number
    return table


# Lower-case month word (trailing "." removed) → month number.
MONTHS = _month_table()

WEEKDAYS = frozenset({
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})  # fmt: skip

# Japanese era → Gregorian year of its first year (元年). Letters are the usual abbreviations.
ERAS = {"令和": 2019, "平成": 1989, "昭和": 1926, "大正": 1912, "明治": 1868,
        "r": 2019, "h": 1989, "s": 1926, "t": 1912, "m": 1868}  # fmt: skip

# Abbreviations that name one offset unambiguously enough in customer data.
_OFFSETS_HOURS = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "jst": 9, "kst": 9, "ict": 7, "sgt": 8, "hkt": 8,
    "wib": 7, "pht": 8, "aest": 10, "aedt": 11, "bst": 1, "cet": 1, "cest": 2, "eet": 2,
    "eest": 3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8,
    "pdt": -7, "ist": 5.5,
}  # fmt: skip
ZONE_ABBREVIATIONS = {
    name: timezone(timedelta(hours=hours)) for name, hours in _OFFSETS_HOURS.items()
}
