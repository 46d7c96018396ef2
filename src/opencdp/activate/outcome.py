"""What a delivery achieved: the changes that reached the destination, the batches that did
not (webhook dead letters), reasons for failures, and where files were written."""

from __future__ import annotations

from dataclasses import dataclass, field

from opencdp.activate.audience import Change


@dataclass(frozen=True)
class FailedBatch:
    """A webhook batch that failed after every retry, kept for replay."""

    idempotency_key: str
    body: str
    changes: list[Change]
    attempts: int
    last_error: str


@dataclass
class Outcome:
    delivered: list[Change] = field(default_factory=list)
    failed: list[FailedBatch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
