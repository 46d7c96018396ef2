"""The mistakes real records carry: typos, nicknames, swapped names, fillers, missing values.

Each writer owns a `Corruptor` over its own seeded random, so one source's mess never shifts
another's. Every corruption applied to a record is named in `tags`, which the ground truth
keeps, so a benchmark can tell which kind of mess defeated the matcher.
"""

from __future__ import annotations

import math
import random

from opencdp.generate import nametables
from opencdp.generate.config import CorruptionRates
from opencdp.generate.people import Person

KEYBOARD = {
    "a": "qwsz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}


class Corruptor:
    def __init__(self, rng: random.Random, rates: CorruptionRates) -> None:
        self.rng = rng
        self.rates = rates
        self.gap = self._gap()

    def _gap(self) -> int:
        """Fields until the next empty one: geometric, so emptiness is i.i.d. per field."""
        rate = self.rates.missing
        if rate <= 0.0:
            return 1 << 62
        if rate >= 1.0:
            return 0
        return int(math.log(1.0 - self.rng.random()) / math.log(1.0 - rate))

    def missing_slots(self, fields: int) -> list[int]:
        """Which of a record's next `fields` optional fields are left empty.

        Same as one draw per field at the missing rate, but with one draw per *empty* field:
        the hot CRM path writes ten optional fields per row."""
        if self.gap >= fields:
            self.gap -= fields
            return []
        slots = []
        position = self.gap
        while position < fields:
            slots.append(position)
            position += 1 + self._gap()
        self.gap = position - fields
        return slots

    def typo(self, text: str) -> str:
        """One slip of the finger: a key dropped, doubled, swapped or hit next to."""
        rng = self.rng
        if len(text) < 2:
            return text + text if text else text
        for _ in range(4):
            i = rng.randrange(len(text))
            op = rng.randrange(4)
            if op == 0:
                out = text[:i] + text[i + 1 :]
            elif op == 1:
                out = text[:i] + text[i] + text[i:]
            elif op == 2 and i + 1 < len(text):
                out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            else:
                near = KEYBOARD.get(text[i].lower())
                out = text[:i] + (rng.choice(near) if near else text[i - 1]) + text[i + 1 :]
            if out != text and out.strip():
                return out
        return text[:-1]

    def email_typo(self, email: str) -> str:
        local, _, domain = email.partition("@")
        domain_typos = nametables.EMAIL_DOMAIN_TYPOS.get(domain)
        if domain_typos and self.rng.random() < 0.4:
            return f"{local}@{self.rng.choice(domain_typos)}"
        return f"{self.typo(local)}@{domain}"

    def blank(self, value: str, tags: list[str]) -> str:
        """The value, or "" at the missing rate."""
        if value and self.rng.random() < self.rates.missing:
            tags.append("missing")
            return ""
        return value

    def email(self, person: Person, tags: list[str], allow_family: bool = True) -> str:
        """The e-mail a record shows: own, the family mailbox, mistyped or a filler."""
        r = self.rng.random
        rates = self.rates
        if r() < rates.placeholder:
            tags.append("placeholder")
            return self.rng.choice(nametables.PLACEHOLDER_EMAILS)
        email = person.email
        if allow_family and person.family_email and r() < 0.5:
            email = person.family_email
            tags.append("family_email")
        if r() < rates.typo_email:
            tags.append("typo_email")
            email = self.email_typo(email)
        if r() < rates.value_variant / 4:  # as typed: capitals or stray spaces
            email = email.upper() if r() < 0.5 else f" {email} "
        return email

    def phone_placeholder(self, tags: list[str]) -> str | None:
        if self.rng.random() < self.rates.placeholder:
            tags.append("placeholder")
            return self.rng.choice(nametables.PLACEHOLDER_PHONES)
        return None

    def names(self, person: Person, tags: list[str]) -> tuple[str, str]:
        """First and last name as one record shows them, in the person's own script."""
        r = self.rng.random
        rates = self.rates
        first, last = person.first.native, person.last.native
        if r() < rates.placeholder:
            tags.append("placeholder")
            return self.rng.choice(nametables.PLACEHOLDER_NAMES[person.lang]), ""
        if r() < rates.nickname:
            if person.nickname is not None:
                first = person.nickname.native
                tags.append("nickname")
            elif person.lang == "ja":
                first, last = person.first.kana, person.last.kana
                tags.append("kana")
        if r() < rates.typo_name:
            tags.append("typo_name")
            variants = nametables.JA_KANJI_VARIANTS.get(last)
            if variants:
                last = self.rng.choice(variants)
            elif r() < 0.5:
                first = self.typo(first)
            else:
                last = self.typo(last)
        if r() < rates.swapped_names:
            tags.append("swapped_names")
            first, last = last, first
        return first, last

    def full_name(self, person: Person, tags: list[str]) -> str:
        """A one-field name: family name first in Japan, titles, honorifics, Latin forms."""
        first, last = self.names(person, tags)
        rng = self.rng
        r = rng.random
        lang = person.lang
        if lang == "ja":
            if r() < 0.1 and "kana" not in tags:
                tags.append("romanized")
                return f"{person.first.roman} {person.last.roman}"
            return f"{last}{('', ' ', '　')[rng.randrange(3)]}{first}".strip()
        if lang == "th":
            if person.first.roman and person.last.roman and r() < 0.15:
                tags.append("romanized")
                return f"{person.first.roman} {person.last.roman}"
            style = r()
            if style < 0.15:
                title = "นาย" if person.gender == "M" else rng.choice(("นาง", "นางสาว"))
                return f"{title}{first} {last}".strip()
            if style < 0.25:
                return f"คุณ{first}"
            return f"{first} {last}".strip()
        style = r()
        if style < 0.08:
            return f"{last}, {first}"
        if style < 0.14:
            return f"{first} {last}".upper()
        if style < 0.2:
            return f"{'Ms' if person.gender == 'F' else 'Mr'} {first} {last}".strip()
        return f"{first} {last}".strip()
