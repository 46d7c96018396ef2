"""The segment tree: one immutable node type per kind of condition.

The tree is the single meaning of a segment. The text form (`parser`, `text`) and the JSON
form (`json_form`) are two spellings of it, and the compiler turns it into SQL. Nodes are
frozen dataclasses so trees compare by value (round trips are checked with `==`) and can be
cached or used as dictionary keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

FieldKind = Literal["auto", "trait", "computed", "property", "identifier", "prediction"]
FIELD_KINDS: tuple[FieldKind, ...] = (
    "auto", "trait", "computed", "property", "identifier", "prediction")  # fmt: skip
Unit = Literal["m", "h", "d", "w", "y"]
UNITS: tuple[Unit, ...] = ("m", "h", "d", "w", "y")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
TEXT_MATCHES = ("contains", "starts_with", "ends_with")
RELATIVE = ("within", "before", "after")
AGGREGATES = ("count", "sum", "avg", "min", "max")


@dataclass(frozen=True)
class DateValue:
    """A point in time, written `date("2024-05-01")` or with a time and offset (ISO 8601)."""

    iso: str


Value: TypeAlias = str | int | float | bool | DateValue


@dataclass(frozen=True)
class Duration:
    """A length of time: `30d`; units m(inutes), h(ours), d(ays), w(eeks), y(ears)."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class Field:
    """What a condition looks at. `auto` is a bare name: a computed trait if one has that
    name, else a trait. `property` is an event property (only inside `where`). `identifier`
    names an identifier type, `prediction` a model's score (number) or label (text)."""

    kind: FieldKind
    name: str  # dotted for nested JSON: "address.city"


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str  # one of COMPARISONS or TEXT_MATCHES
    value: Value
    ignore_case: bool = False


@dataclass(frozen=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False
    ignore_case: bool = False


@dataclass(frozen=True)
class Exists:
    field: Field
    negated: bool = False


@dataclass(frozen=True)
class Between:
    """low <= value <= high, numbers or dates."""

    field: Field
    low: Value
    high: Value


@dataclass(frozen=True)
class RelativeTime:
    """`within 30d` (in the last 30 days up to now), `before 18y ago`, `after 7d ago`."""

    field: Field
    op: str  # one of RELATIVE
    duration: Duration


@dataclass(frozen=True)
class Did:
    """The profile has an event named `event` in the window matching `where`."""

    event: str
    window: Duration | None = None
    where: Node | None = None


@dataclass(frozen=True)
class Aggregate:
    """count / sum / avg / min / max of matching events (of `property`) compared to a number."""

    function: str  # one of AGGREGATES
    event: str
    property: str | None
    window: Duration | None
    where: Node | None
    op: str
    value: int | float


@dataclass(frozen=True)
class Sequence:
    """Each step's event strictly after the previous step's; all within `within` of the first."""

    steps: tuple[Did, ...]
    within: Duration | None = None


@dataclass(frozen=True)
class Consent:
    purpose: str


@dataclass(frozen=True)
class InSegment:
    name: str


@dataclass(frozen=True)
class And:
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    arg: Node


FieldCondition: TypeAlias = Compare | InList | Exists | Between | RelativeTime
Node: TypeAlias = (
    FieldCondition | Did | Aggregate | Sequence | Consent | InSegment | And | Or | Not
)
FIELD_CONDITIONS = (Compare, InList, Exists, Between, RelativeTime)
