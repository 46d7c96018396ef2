"""What to generate and how dirty to make it: sources, locales, coverage and corruption rates.

Rates are plain probabilities so a test (or a benchmark) can turn one problem up or off and
check that resolution copes; defaults are roughly what a mid-sized retailer's data looks like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

SOURCES = ("events", "crm", "orders", "email", "tickets", "surveys", "social")
LOCALES = ("en", "th", "ja")

# The observation window; fixed (never "now") so that output does not depend on the clock.
PERIOD_START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
PERIOD_END = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class CorruptionRates:
    """Probabilities of the problems real customer data has (per record unless noted)."""

    typo_name: float = 0.05
    """A typing error in the first or last name."""
    typo_email: float = 0.03
    """A typing error in the e-mail address (local part or domain)."""
    swapped_names: float = 0.03
    """First and last name in each other's place (common with Japanese names)."""
    nickname: float = 0.08
    """A nickname instead of the given name (Bill for William, Chai for Somchai; kana in Japan)."""
    missing: float = 0.05
    """Per optional field: left empty."""
    placeholder: float = 0.01
    """Per identifier field: a filler value (test@test.com, 0000000000, N/A)."""
    moved: float = 0.10
    """Per household: moved house; stale records keep the old address."""
    stale_address: float = 0.5
    """Per record of a person who moved: the record still shows the old address."""
    family_email: float = 0.10
    """Per household of two or more: a shared family mailbox some members give instead of theirs."""
    duplicate: float = 0.03
    """A second copy of the record in the same source (re-registration, re-export, retry)."""
    phone_variant: float = 0.4
    """Per phone number: written in another format than the source usually uses."""
    date_variant: float = 0.2
    """Per date: written in another format than the source usually uses."""
    value_variant: float = 0.2
    """Per country or gender value: written another way (Thailand, ประเทศไทย, TH; F, หญิง)."""
    buddhist_era: float = 0.3
    """Per Thai date: year counted in the Buddhist era (+543)."""
    full_width: float = 0.15
    """Per Japanese phone or date: full-width digits (Thai: Thai digits at a third of this)."""
    shared_device: float = 0.15
    """Per household of two or more: a family tablet or computer everyone uses."""
    cafe: float = 0.03
    """Per person: sessions on an internet-café computer shared with strangers."""
    kiosk: float = 0.01
    """Per person: sessions on the shop's in-store kiosk (one device, many people)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"corruption rate {f.name} must be between 0 and 1, not {value}")

    @classmethod
    def clean(cls) -> CorruptionRates:
        """No corruption at all: every record carries the person's true values."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


@dataclass(frozen=True)
class Coverage:
    """Share of people who appear in each source (a CRM never knows everybody)."""

    events: float = 0.7
    crm: float = 0.6
    orders: float = 0.5
    email: float = 0.5
    tickets: float = 0.1
    surveys: float = 0.15
    social: float = 0.2

    def of(self, source: str) -> float:
        return float(getattr(self, source))


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything one run depends on; the same config gives byte-identical files."""

    people: int
    seed: int
    locales: tuple[str, ...] = LOCALES
    sources: tuple[str, ...] = SOURCES
    rates: CorruptionRates = field(default_factory=CorruptionRates)
    coverage: Coverage = field(default_factory=Coverage)
    contacts: int | None = None
    """Row mode: write exactly this many CRM contact rows (people are drawn until reached)."""
    orders: int | None = None
    """Row mode: write exactly this many order rows."""
    truth: bool = True
    """Write ground_truth.csv and people.csv."""

    def __post_init__(self) -> None:
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
        bad = [loc for loc in self.locales if loc not in LOCALES]
        if bad or not self.locales:
            raise ValueError(f"locales must be some of {', '.join(LOCALES)}, not {self.locales}")
        if self.people < 0 or (self.contacts or 0) < 0 or (self.orders or 0) < 0:
            raise ValueError("counts cannot be negative")

    @property
    def row_mode(self) -> bool:
        return self.contacts is not None or self.orders is not None

    @property
    def active_sources(self) -> tuple[str, ...]:
        """Row mode writes only the sources given a row count; otherwise the chosen sources."""
        if not self.row_mode:
            return tuple(s for s in SOURCES if s in self.sources)
        chosen = []
        if self.contacts is not None:
            chosen.append("crm")
        if self.orders is not None:
            chosen.append("orders")
        return tuple(chosen)

    def limit(self, source: str) -> int | None:
        return {"crm": self.contacts, "orders": self.orders}.get(source) if self.row_mode else None


def parse_list(text: str | Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """`en,th` → ("en", "th") in the canonical order, refusing unknown names."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [s.strip() for s in items if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown value(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(k for k in known if k in names)
