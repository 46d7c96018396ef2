"""Pools of names, places, companies and jobs per locale, drawn from Faker once per process.

Calling Faker per record would be ~50x too slow for a million people, so each pool is built
once with a fixed Faker seed (the pool is a property of the locale, not of the run) and the
generator samples from it with its own seeded random. Repeated draws keep Faker's name
frequencies: common names appear in the pool more often.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from faker import Faker

from opencdp.generate import nametables

FAKER_LOCALES = {"en": ("en_US", "en_GB"), "th": ("th_TH",), "ja": ("ja_JP",)}
COUNTRY = {"en_US": "US", "en_GB": "GB", "th_TH": "TH", "ja_JP": "JP"}
NAME_DRAWS = 1500
PLACE_DRAWS = 2000
WORK_DRAWS = 400


class Name(NamedTuple):
    """One name part in its native script, with kana reading and Latin form where known."""

    native: str
    kana: str
    roman: str


class Place(NamedTuple):
    """A street (without house number), city, region and postcode that exist together."""

    street: str
    city: str
    region: str
    postcode: str


@dataclass(frozen=True)
class LocalePool:
    locale: str
    lang: str
    country: str
    male: tuple[Name, ...]
    female: tuple[Name, ...]
    last: tuple[Name, ...]
    places: tuple[Place, ...]
    companies: tuple[str, ...]
    jobs: tuple[str, ...]
    domains: tuple[str, ...]


def _faker(locale: str) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(20240101)
    return fake


def _names(fake: Faker, locale: str) -> tuple[list[Name], list[Name], list[Name]]:
    if locale == "ja_JP":
        pairs = (fake.first_name_male_pair, fake.first_name_female_pair, fake.last_name_pair)
        return tuple(  # type: ignore[return-value]
            [Name(*draw()) for _ in range(NAME_DRAWS)] for draw in pairs
        )
    male = [fake.first_name_male() for _ in range(NAME_DRAWS)]
    female = [fake.first_name_female() for _ in range(NAME_DRAWS)]
    last = [fake.last_name() for _ in range(NAME_DRAWS)]
    if locale != "th_TH":
        return (
            [Name(n, "", n) for n in male],
            [Name(n, "", n) for n in female],
            [Name(n, "", n) for n in last],
        )
    # Faker's Thai names are rare ones without romanisation; the curated common names carry
    # the Latin form (used for e-mail addresses and English-language forms).
    extra = 10
    return (
        [Name(n, "", "") for n in male] + [Name(t, "", r) for t, r in nametables.TH_MALE] * extra,
        [Name(n, "", "") for n in female]
        + [Name(t, "", r) for t, r in nametables.TH_FEMALE] * extra,
        [Name(n, "", "") for n in last] + [Name(t, "", r) for t, r in nametables.TH_LAST] * extra,
    )


def _place(fake: Faker, locale: str) -> Place:
    if locale == "ja_JP":
        return Place(fake.town(), fake.city(), fake.prefecture(), fake.zipcode())
    if locale == "th_TH":
        bare = fake.street_name().removeprefix("ถนน").removeprefix("ถ.")
        street = f"{fake.random_element(('ถนน', 'ถ.', 'ซอย'))}{bare} ต.{fake.tambon()}"
        return Place(street, fake.amphoe(), fake.province(), fake.postcode())
    if locale == "en_GB":
        return Place(fake.street_name(), fake.city(), fake.county(), fake.postcode())
    return Place(fake.street_name(), fake.city(), fake.state_abbr(), fake.zipcode())


@cache
def locale_pool(locale: str) -> LocalePool:
    """The pool of one Faker locale (en_US, en_GB, th_TH, ja_JP); built once, then cached."""
    fake = _faker(locale)
    male, female, last = _names(fake, locale)
    return LocalePool(
        locale=locale,
        lang=locale[:2],
        country=COUNTRY[locale],
        male=tuple(male),
        female=tuple(female),
        last=tuple(last),
        places=tuple(_place(fake, locale) for _ in range(PLACE_DRAWS)),
        companies=tuple(fake.company() for _ in range(WORK_DRAWS)),
        jobs=tuple(fake.job() for _ in range(WORK_DRAWS)),
        domains=nametables.EMAIL_DOMAINS[locale],
    )


def pools_for(langs: tuple[str, ...]) -> dict[str, LocalePool]:
    """Faker locale → pool for the chosen languages (en covers the US and the UK)."""
    return {loc: locale_pool(loc) for lang in langs for loc in FAKER_LOCALES[lang]}
