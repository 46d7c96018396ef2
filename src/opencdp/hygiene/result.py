"""The one shape every normaliser returns: cleaned value, original value, and the problems.

Keeping the original beside the cleaned value is what lets a fix be audited and a quarantined
record be corrected and replayed; the issue codes are what quality reports aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from opencdp.hygiene.issues import FieldIssue, Severity

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Normalized(Generic[T]):
    """Result of cleaning one field value.

    `value` is None exactly when the input was missing or unusable; `issues` then says why.
    Results are immutable, so normalisers may cache and share them. Build one unsubscripted
    (`Normalized(v, raw)`): calling `Normalized[str](…)` fails on Python 3.11 for frozen
    slotted dataclasses.
    """

    value: T | None
    original: object
    issues: tuple[FieldIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """A usable value came out (possibly with suspicious-but-kept warnings)."""
        return self.value is not None

    @property
    def changed(self) -> bool:
        """The cleaned value differs from what came in (a fix to keep the original of)."""
        return self.value is not None and self.value != self.original

    @property
    def problem(self) -> str | None:
        """The first invalid or missing reason as `code: wording`, for quarantine rows."""
        for issue in self.issues:
            if issue.severity is not Severity.SUSPICIOUS:
                return f"{issue.value}: {issue.reason}"
        return None

    @property
    def warnings(self) -> tuple[FieldIssue, ...]:
        """Problems that did not stop the value being used."""
        return tuple(i for i in self.issues if i.severity is Severity.SUSPICIOUS)


def refused(original: object, *issues: FieldIssue) -> Normalized[T]:
    """A result without a usable value."""
    return Normalized(None, original, issues)
