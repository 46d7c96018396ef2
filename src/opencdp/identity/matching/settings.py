"""What probabilistic record linkage compares, how it finds candidates, and where it decides.

Settings hold no SQL: comparisons and blocking rules are small descriptions that
`comparisons.py` and `blocking.py` turn into DuckDB SQL, so a stored model says what it
measured in words a reviewer can check, and user values never become SQL text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FIELDS = ("first_name", "last_name", "full_name", "birth_date", "email", "phone",
          "postcode", "city", "address", "gender")  # fmt: skip
"""Input fields a record may carry besides `record_id` and `source` (all optional)."""

ComparisonKind = Literal["name", "date", "email", "phone", "postcode", "location", "text",
                         "exact"]  # fmt: skip
KeyTransform = Literal["exact", "prefix", "suffix", "local_part", "name_initials",
                       "name_token_initial"]  # fmt: skip
"""How a blocking key reduces its field: "name_initials" gives each word's first letter,
"name_token_initial" each word with another's initial plus the whole name without spaces."""


@dataclass(frozen=True)
class Comparison:
    """How one field of two records is compared, as agreement levels.

    Levels are numbered 0 = a value is missing (weight 0), 1 = they disagree, then rising
    agreement up to the top level, an exact match. `thresholds` are Jaro-Winkler
    similarities for the fuzzy levels of name, email, text and address comparisons.
    """

    field: str
    """The compared field; "name" combines first, last and full name, "location" address,
    postcode and city (an address implies its postcode, a postcode nearly its city:
    compared apart, one fact would count two or three times)."""
    kind: ComparisonKind
    thresholds: tuple[float, ...] = ()
    """Similarity cut-offs, strongest first (e.g. 0.92, 0.80)."""
    term_frequency: bool = False
    """Weigh exact agreement on rare values more (Smith agrees more often than Oyelaran)."""
    prefix_length: int = 3
    """Characters of a postcode that make its "same area" level."""
    suffix_digits: int = 8
    """Trailing digits of a phone number that make its "same number, other prefix" level."""

    def __post_init__(self) -> None:
        if list(self.thresholds) != sorted(self.thresholds, reverse=True):
            raise ValueError(f"{self.field}: thresholds must be strongest first")
        if any(not 0.0 < t <= 1.0 for t in self.thresholds):
            raise ValueError(f"{self.field}: thresholds must lie in (0, 1]")

    @property
    def reads(self) -> frozenset[str]:
        """Input fields this comparison looks at (to know which blocking rules bias it)."""
        return (
            frozenset({"postcode", "city", "address"})
            if self.kind == "location"
            else frozenset({self.field})
        )


@dataclass(frozen=True)
class BlockingKey:
    """One part of a blocking rule: a field, possibly reduced (initial, last digits …)."""

    field: str
    transform: KeyTransform = "exact"
    length: int = 1
    """Characters kept by "prefix"/"suffix"."""


@dataclass(frozen=True)
class BlockingRule:
    """Records become a candidate pair when all keys of any one rule are equal."""

    name: str
    keys: tuple[BlockingKey, ...]

    def __post_init__(self) -> None:
        listed = [k for k in self.keys if k.transform in LIST_TRANSFORMS]
        if not self.keys or len(listed) > 1:
            raise ValueError(f"rule {self.name!r}: needs keys, and at most one name key")

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(k.field for k in self.keys)


LIST_TRANSFORMS = frozenset({"name_initials", "name_token_initial"})
"""Keys that give a record several values (one per name token), so word order is moot."""


DEFAULT_COMPARISONS = (
    Comparison("name", "name", (0.92, 0.80), term_frequency=True),
    Comparison("birth_date", "date"),
    Comparison("email", "email", (0.88,)),
    Comparison("phone", "phone"),
    Comparison("location", "location"),
    Comparison("gender", "exact"),
)
DEFAULT_BLOCKING = (
    BlockingRule("same birth date and a name initial",
                 (BlockingKey("birth_date"), BlockingKey("name", "name_initials"))),
    BlockingRule("same postcode, family name and given initial",
                 (BlockingKey("postcode"), BlockingKey("name", "name_token_initial"))),
    BlockingRule("same phone last 7 digits", (BlockingKey("phone", "suffix", 7),)),
    BlockingRule("same email local part", (BlockingKey("email", "local_part"),)),
    BlockingRule("same family name, given initial and city",
                 (BlockingKey("name", "name_token_initial"), BlockingKey("city"))),
)  # fmt: skip


@dataclass(frozen=True)
class MatchSettings:
    """Everything a linkage run needs besides the records; stored with a fitted model."""

    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    blocking_rules: tuple[BlockingRule, ...] = DEFAULT_BLOCKING
    auto_merge_probability: float = 0.99
    """Pairs at least this likely to be one person are merged without a human."""
    review_probability: float = 0.80
    """Pairs at least this likely (but under auto-merge) go to a steward's review queue."""
    max_pairs: int = 50_000_000
    """Refuse to compare more candidate pairs than this: a too-loose rule, found early."""
    max_block_size: int = 1_000
    """Skip blocking-key values shared by more records (placeholders such as 1900-01-01);
    how many were skipped is reported, never silent."""
    household_fields: frozenset[str] = frozenset({"name", "postcode", "city", "address", "email"})
    """Fields people of one household share (family name, home, family mailbox). A training
    session of a blocking rule on any of them leaves all of them out: otherwise the pairs
    it finds, mostly relatives, would teach EM that a "match" is a household."""
    link_only_across_sources: bool = False
    """Pair only records of different sources (CRM vs shop), not duplicates within one."""
    columns: dict[str, str] = field(default_factory=dict)
    """Input column of a field when it is not named after it ({"email": "email_address"})."""
    u_sample_pairs: int = 300_000
    """Random record pairs compared to learn how often non-matches agree by chance."""
    seed: int = 42
    em_tolerance: float = 1e-5
    em_max_iterations: int = 200
    monotone_levels: bool = True
    """Pool levels whose fitted weight falls as agreement rises: closer never weighs less."""
    keep_non_matches: bool = False
    """Also return scored pairs under the review threshold (large at scale)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.review_probability <= self.auto_merge_probability < 1.0:
            raise ValueError("need 0 < review_probability <= auto_merge_probability < 1")
        names = [c.field for c in self.comparisons]
        if len(set(names)) != len(names) or not names:
            raise ValueError("each field may be compared once, and at least one must be")

    def masked_by(self, rule: BlockingRule) -> frozenset[str]:
        """Input fields whose agreement a rule's candidate pairs bias."""
        fields = rule.fields
        return fields | self.household_fields if fields & self.household_fields else fields

    def column(self, name: str) -> str:
        """The input column holding `name`."""
        return self.columns.get(name, name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["household_fields"] = sorted(self.household_fields)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchSettings:
        comparisons = tuple(
            Comparison(**{**c, "thresholds": tuple(c["thresholds"])}) for c in data["comparisons"]
        )
        rules = tuple(
            BlockingRule(r["name"], tuple(BlockingKey(**k) for k in r["keys"]))
            for r in data["blocking_rules"]
        )
        rest = {k: v for k, v in data.items()
                if k not in ("comparisons", "blocking_rules", "household_fields")}  # fmt: skip
        households = frozenset(data.get("household_fields", ()))
        return cls(comparisons=comparisons, blocking_rules=rules, household_fields=households,
                   **rest)  # fmt: skip
