"""The true people behind the records, generated household by household.

A household shares a family name, an address (and the old one, if it moved) and sometimes a
family mailbox; these shared facts are what makes resolution hard. Every identifier a person
owns (e-mail, phone, ids) is unique to them by construction — a bijective scramble of the
person's index — so a collision in the data is always a deliberate corruption, never chance.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from opencdp.generate import nametables
from opencdp.generate.config import PERIOD_END, PERIOD_START, CorruptionRates
from opencdp.generate.pools import FAKER_LOCALES, LocalePool, Name, Place

HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
HOUSEHOLD_CUM_WEIGHTS = (0.42, 0.70, 0.85, 0.96)
BIRTH_FIRST = date(1950, 1, 1).toordinal()
BIRTH_SPAN = date(2007, 12, 31).toordinal() - BIRTH_FIRST
INTERESTS = (
    "cooking",
    "travel",
    "fitness",
    "gaming",
    "fashion",
    "beauty",
    "gardening",
    "pets",
    "technology",
    "music",
    "reading",
    "outdoors",
)
# Combinations of one to three interests, chosen as a whole (cheaper than drawing each).
INTEREST_SETS = tuple(
    [(a,) for a in INTERESTS]
    + [(a, b) for i, a in enumerate(INTERESTS) for b in INTERESTS[i + 1 :]]
    + [
        (a, b, c)
        for i, a in enumerate(INTERESTS[:6])
        for b in INTERESTS[i + 1 : 8]
        for c in INTERESTS[8:]
    ]
)
SHARED_SURNAME = {"en": 0.85, "th": 0.7, "ja": 0.95}
SINCE_SPAN = PERIOD_END - PERIOD_START - 60 * 86400


class Address(NamedTuple):
    street: str
    city: str
    region: str
    postcode: str
    country: str


@dataclass(slots=True)
class Person:
    """One real person. Ids are derived from the index on demand (most runs need few)."""

    index: int
    household: int
    household_size: int
    locale: str  # Faker locale: en_US, en_GB, th_TH, ja_JP
    lang: str  # en, th, ja
    country: str  # ISO 3166 alpha-2
    gender: str  # F or M
    first: Name
    last: Name
    nickname: Name | None
    birth: int  # date ordinal
    token: int  # a number unique to the person, used in e-mail, shop id and login id
    email: str
    phone: str  # national significant number, no trunk prefix
    address: Address
    old_address: Address | None
    family_email: str | None
    company: str
    job: str
    account: int  # website login: 0 none, 1 the CRM id, 2 its own id
    marital: str
    children: int
    interests: tuple[str, ...]
    since: int  # first contact with the business (epoch seconds)

    @property
    def person_id(self) -> str:
        return f"P{self.index + 1:08d}"

    @property
    def customer_id(self) -> str:
        """The CRM's id."""
        return f"C{self.index + 1:08d}"

    @property
    def household_id(self) -> str:
        return f"H{self.household:08d}"

    @property
    def shop_id(self) -> str:
        """The online shop's own customer id."""
        return f"SH{self.token:07d}"

    @property
    def user_id(self) -> str | None:
        """The website/app login id, if the person registered."""
        if self.account == 0:
            return None
        return self.customer_id if self.account == 1 else f"usr_{(self.token * 3 + 1) % 10**7:07d}"


def _scramble(index: int, modulus: int, offset: int) -> int:
    """A bijection on [0, modulus): distinct people get distinct numbers, not in order."""
    return (index * 7_368_787 + offset) % modulus


def _house(rng: random.Random, place: Place, country: str) -> Address:
    r = rng.random
    if country == "JP":
        street = f"{place.street}{int(r() * 9) + 1}丁目{int(r() * 30) + 1}番{int(r() * 20) + 1}号"
        if r() < 0.4:
            street += f" {place.street}ハイツ{int(r() * 5) + 1}0{int(r() * 9) + 1}"
    elif country == "TH":
        street = f"{int(r() * 300) + 1}/{int(r() * 99) + 1} หมู่ {int(r() * 12) + 1} {place.street}"
    elif country == "GB":
        street = f"{int(r() * 200) + 1} {place.street}"
        if r() < 0.2:
            street = f"Flat {int(r() * 20) + 1}, {street}"
    else:
        street = f"{int(r() * 9899) + 100} {place.street}"
        if r() < 0.2:
            street += f" Apt {int(r() * 30) + 1}{'ABCD'[int(r() * 4)]}"
    return Address(street, place.city, place.region, place.postcode, country)


def _phone(country: str, rng: random.Random, index: int, offset: int) -> str:
    """A mobile number (national significant digits) unique to the person within the country."""
    number = _scramble(index, 8_000_000 if country == "US" else 10**8, offset)
    if country == "TH":
        return f"{'689'[int(rng.random() * 3)]}{number % 10**8:08d}"
    if country == "JP":
        return f"{'789'[int(rng.random() * 3)]}0{number % 10**8:08d}"
    if country == "GB":
        return f"7{int(rng.random() * 6) + 4}{number % 10**8:08d}"
    area = ("212", "415", "312", "617", "206", "303", "512", "404", "713", "602")
    return f"{area[int(rng.random() * 10)]}{200 + number // 10_000}{number % 10_000:04d}"


def _email_local(rng: random.Random, first: str, last: str, token: int) -> str:
    first, last = first.lower().replace(" ", ""), last.lower().replace(" ", "")
    style = int(rng.random() * 5)
    if not last or style == 0:
        return f"{first}{token}" if style < 3 else f"{first}_{token}"
    if style == 1:
        return f"{first}.{last}{token}"
    if style == 2:
        return f"{first[0]}{last}{token}"
    if style == 3:
        return f"{last}.{first}{token}"
    return f"{first}{last}{token}"


def _nickname(rng: random.Random, lang: str, gender: str, first: Name) -> Name | None:
    if lang == "en":
        options = nametables.EN_NICKNAMES.get(first.native)
        return Name(*(rng.choice(options),) * 3) if options else None
    if lang == "th":
        som, som_roman = nametables.TH_SOM
        if (
            first.native.startswith(som)
            and first.roman.startswith(som_roman)
            and rng.random() < 0.5
        ):
            return Name(first.native[len(som) :], "", first.roman[len(som_roman) :])
        nick = rng.choice(nametables.TH_NICK_FEMALE if gender == "F" else nametables.TH_NICK_MALE)
        return Name(nick[0], "", nick[1])
    return None


class PeopleFactory:
    """An endless, deterministic stream of people in households, for the chosen locales."""

    def __init__(
        self,
        seed: int,
        pools: dict[str, LocalePool],
        langs: tuple[str, ...],
        rates: CorruptionRates,
    ) -> None:
        self.rng = random.Random(f"{seed}:people")  # noqa: S311 - synthetic data, not secrets
        self.locales = tuple(loc for lang in langs for loc in FAKER_LOCALES[lang])
        # en is split between the US and the UK, so each language gets an equal share.
        weights = [1.0 / len(FAKER_LOCALES[locale[:2]]) for locale in self.locales]
        self.cum_weights = [sum(weights[: i + 1]) / sum(weights) for i in range(len(weights) - 1)]
        self.pools = pools
        self.rates = rates
        self.offset = self.rng.randrange(10**8)

    def __iter__(self) -> Iterator[Person]:
        rng, index, household = self.rng, 0, 0
        while True:
            household += 1
            locale = self.locales[bisect(self.cum_weights, rng.random())]
            size = HOUSEHOLD_SIZES[bisect(HOUSEHOLD_CUM_WEIGHTS, rng.random())]
            yield from self._household(locale, size, household, index)
            index += size

    def _household(self, locale: str, size: int, number: int, first_index: int) -> list[Person]:
        rng, pool, rates = self.rng, self.pools[locale], self.rates
        country = pool.country
        family = pool.last[int(rng.random() * len(pool.last))]
        address = _house(rng, pool.places[int(rng.random() * len(pool.places))], country)
        old = None
        if rng.random() < rates.moved:
            old = _house(rng, pool.places[int(rng.random() * len(pool.places))], country)
        family_email = None
        token = _scramble(first_index, 10**7, self.offset)
        if size > 1 and rng.random() < rates.family_email:
            home = family.roman.lower() or "baan"
            family_email = f"{home}family{token}@{rng.choice(pool.domains)}"
        people = []
        for k in range(size):
            people.append(
                self._member(
                    rng,
                    pool,
                    locale,
                    first_index + k,
                    number,
                    size,
                    family,
                    address,
                    old,
                    family_email,
                )
            )
        return people

    def _member(
        self,
        rng: random.Random,
        pool: LocalePool,
        locale: str,
        index: int,
        household: int,
        size: int,
        family: Name,
        address: Address,
        old: Address | None,
        family_email: str | None,
    ) -> Person:
        r = rng.random
        lang, country = pool.lang, pool.country
        gender = "F" if r() < 0.52 else "M"
        names = pool.female if gender == "F" else pool.male
        first = names[int(r() * len(names))]
        last = family if r() < SHARED_SURNAME[lang] else pool.last[int(r() * len(pool.last))]
        nickname = _nickname(rng, lang, gender, first)
        token = _scramble(index, 10**7, self.offset)
        roman_first = first.roman or (nickname.roman if nickname else "") or "user"
        domain = pool.domains[int(r() * len(pool.domains))]
        email = f"{_email_local(rng, roman_first, last.roman, token)}@{domain}"
        account = 0 if r() >= 0.6 else (1 if r() < 0.5 else 2)
        married = size > 1 and r() < 0.7
        return Person(
            index,
            household,
            size,
            locale,
            lang,
            country,
            gender,
            first,
            last,
            nickname,
            BIRTH_FIRST + int(r() * BIRTH_SPAN),
            token,
            email,
            _phone(country, rng, index, self.offset),
            address,
            old,
            family_email,
            pool.companies[int(r() * len(pool.companies))],
            pool.jobs[int(r() * len(pool.jobs))],
            account,
            "married" if married else ("single" if r() < 0.8 else "divorced"),
            size - 2 if size > 2 and r() < 0.8 else 0,
            INTEREST_SETS[int(r() * len(INTEREST_SETS))],
            PERIOD_START + int(r() * SINCE_SPAN),
        )
