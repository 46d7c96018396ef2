"""How phones, dates, times, countries and genders get written in each country.

Every writer has a "usual" format and, at the configured rates, another way the same value
is written in that country (081-234-5678 vs +66812345678, 1985年3月14日, Buddhist-era years,
full-width digits). The value stays the same person's; only its spelling changes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from opencdp.generate.config import CorruptionRates

FULL_WIDTH = str.maketrans("0123456789-/:", "０１２３４５６７８９－／：")
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
# Fixed offsets (no daylight saving) keep times simple and reproducible.
UTC_OFFSET = {"US": -5 * 3600, "GB": 0, "TH": 7 * 3600, "JP": 9 * 3600}
OFFSET_TEXT = {"US": "-05:00", "GB": "+00:00", "TH": "+07:00", "JP": "+09:00"}
CALLING_CODE = {"US": "1", "GB": "44", "TH": "66", "JP": "81"}
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
TH_MONTHS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
COUNTRY_NAMES = {
    "US": ("US", "United States", "USA", "U.S.", "United States of America"),
    "GB": ("GB", "United Kingdom", "UK", "England", "Great Britain"),
    "TH": ("TH", "Thailand", "ประเทศไทย", "ไทย", "THA"),
    "JP": ("JP", "Japan", "日本", "JPN", "日本国"),
}
GENDER_NAMES = {
    ("en", "F"): ("F", "Female", "female", "f", "Woman"),
    ("en", "M"): ("M", "Male", "male", "m", "Man"),
    ("th", "F"): ("F", "หญิง", "Female", "ญ"),
    ("th", "M"): ("M", "ชาย", "Male", "ช"),
    ("ja", "F"): ("F", "女性", "女", "Female"),
    ("ja", "M"): ("M", "男性", "男", "Male"),
}


def pick(rng: random.Random, options: tuple[str, ...], rate: float) -> str:
    """The usual (first) option, or at `rate` one of the others."""
    if rng.random() < rate:
        return options[rng.randrange(1, len(options))]
    return options[0]


def local_digits(rng: random.Random, text: str, country: str, rates: CorruptionRates) -> str:
    """Full-width digits in Japan, Thai digits (more rarely) in Thailand."""
    if country == "JP" and rng.random() < rates.full_width:
        return text.translate(FULL_WIDTH)
    if country == "TH" and rng.random() < rates.full_width / 3:
        return text.translate(THAI_DIGITS)
    return text


PHONE_FORMATS: dict[str, tuple[Callable[[str], str], ...]] = {
    "TH": (
        lambda n: f"0{n[:2]}-{n[2:5]}-{n[5:]}",
        lambda n: f"0{n}",
        lambda n: f"+66 {n[:2]} {n[2:5]} {n[5:]}",
        lambda n: f"+66{n}",
        lambda n: f"66{n}",
        lambda n: f"0{n[:2]} {n[2:5]} {n[5:]}",
        lambda n: f"(+66) {n[:2]}-{n[2:5]}-{n[5:]}",
    ),
    "JP": (
        lambda n: f"0{n[:2]}-{n[2:6]}-{n[6:]}",
        lambda n: f"0{n}",
        lambda n: f"+81 {n[:2]}-{n[2:6]}-{n[6:]}",
        lambda n: f"+81{n}",
        lambda n: f"0{n[:2]} {n[2:6]} {n[6:]}",
        lambda n: f"81-{n[:2]}-{n[2:6]}-{n[6:]}",
    ),
    "GB": (
        lambda n: f"0{n[:4]} {n[4:]}",
        lambda n: f"0{n}",
        lambda n: f"+44 {n[:4]} {n[4:]}",
        lambda n: f"+44{n}",
        lambda n: f"+44 (0){n[:4]} {n[4:]}",
        lambda n: f"0{n[:4]} {n[4:7]} {n[7:]}",
    ),
    "US": (
        lambda n: f"({n[:3]}) {n[3:6]}-{n[6:]}",
        lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda n: f"+1 {n[:3]} {n[3:6]} {n[6:]}",
        lambda n: f"+1{n}",
        lambda n: f"{n[:3]}.{n[3:6]}.{n[6:]}",
        lambda n: f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda n: n,
    ),
}
"""Ways to write a national significant number per country; the first is the usual one."""


def format_phone(rng: random.Random, country: str, nsn: str, rates: CorruptionRates) -> str:
    formats = PHONE_FORMATS[country]
    r = rng.random
    style = formats[1 + int(r() * (len(formats) - 1))] if r() < rates.phone_variant else formats[0]
    text = style(nsn)
    if country in ("JP", "TH"):
        return local_digits(rng, text, country, rates)
    return text


def e164(country: str, nsn: str) -> str:
    return f"+{CALLING_CODE[country]}{nsn}"


def _japanese_era(d: date) -> str:
    if d >= date(2019, 5, 1):
        era, year = "令和", d.year - 2018
    elif d >= date(1989, 1, 8):
        era, year = "平成", d.year - 1988
    else:
        era, year = "昭和", d.year - 1925
    return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"


def _local_date(rng: random.Random, d: date, country: str, year: int) -> str:
    if country == "US":
        return rng.choice(
            (
                f"{d.month:02d}/{d.day:02d}/{year}",
                f"{EN_MONTHS[d.month - 1]} {d.day}, {year}",
                f"{d.month}/{d.day}/{year}",
            )
        )
    if country == "GB":
        return rng.choice(
            (
                f"{d.day:02d}/{d.month:02d}/{year}",
                f"{d.day} {EN_MONTHS[d.month - 1]} {year}",
                f"{d.day:02d}-{d.month:02d}-{year}",
            )
        )
    if country == "TH":
        return rng.choice(
            (
                f"{d.day:02d}/{d.month:02d}/{year}",
                f"{d.day} {TH_MONTHS[d.month - 1]} {year}",
                f"{d.day}/{d.month}/{year}",
            )
        )
    return rng.choice(
        (f"{year}/{d.month:02d}/{d.day:02d}", f"{year}年{d.month}月{d.day}日", _japanese_era(d))
    )


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1 << 16)
def iso_date(ordinal: int) -> str:
    """YYYY-MM-DD of a date ordinal; cached, as the same days recur millions of times."""
    return date.fromordinal(ordinal).isoformat()


def format_date(rng: random.Random, ordinal: int, country: str, rates: CorruptionRates) -> str:
    """ISO 8601 usually; otherwise the country's own way, Buddhist era in Thailand at its rate."""
    r = rng.random
    buddhist = country == "TH" and r() < rates.buddhist_era
    variant = r() < rates.date_variant
    if not (buddhist or variant):
        text = iso_date(ordinal)
    else:
        d = date.fromordinal(ordinal)
        year = d.year + 543 if buddhist else d.year
        text = (
            _local_date(rng, d, country, year) if variant else f"{year}-{d.month:02d}-{d.day:02d}"
        )
    if country in ("JP", "TH"):
        return local_digits(rng, text, country, rates)
    return text


def iso_utc(ts: int) -> str:
    days, seconds = divmod(ts, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{iso_date(EPOCH_ORDINAL + days)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def format_datetime(rng: random.Random, ts: int, country: str, rates: CorruptionRates) -> str:
    """A moment as an export writes it: ISO UTC usually; local time (with or without offset,
    in the country's date order, Buddhist era) at the date-variant rate."""
    if rng.random() >= rates.date_variant:
        return iso_utc(ts)
    t = time.gmtime(ts + UTC_OFFSET[country])
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}"
    year = t.tm_year + (543 if country == "TH" and rng.random() < rates.buddhist_era else 0)
    style = rng.randrange(3)
    day = f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}"
    if style == 0:
        return f"{day}T{clock}:{t.tm_sec:02d}{OFFSET_TEXT[country]}"
    if style == 1:
        return f"{day} {clock}:{t.tm_sec:02d}"
    if country == "US":
        hour, half = t.tm_hour % 12 or 12, "AM" if t.tm_hour < 12 else "PM"
        return f"{t.tm_mon:02d}/{t.tm_mday:02d}/{year} {hour}:{t.tm_min:02d} {half}"
    if country == "JP":
        return local_digits(rng, f"{year}/{t.tm_mon:02d}/{t.tm_mday:02d} {clock}", country, rates)
    return f"{t.tm_mday:02d}/{t.tm_mon:02d}/{year} {clock}"
