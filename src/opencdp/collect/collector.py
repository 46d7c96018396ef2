"""The collector: from an authenticated request body to events committed in the log.

Framework-free: the HTTP layer hands over bytes and headers and gets back what to answer.
Valid messages go to the event log, invalid ones to the quarantine, both in the same commit.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from opencdp.collect.body import (
    RequestRejected,
    batch_messages,
    decompress,
    object_field,
    parse_json,
    quarantine_text,
    too_large,
)
from opencdp.collect.event_batch import EventBatch
from opencdp.collect.event_log import AppendResult, EventLog
from opencdp.collect.messages import BatchEnvelope, EventRecord, InvalidMessage, normalize
from opencdp.collect.personal_fields import message_sealer
from opencdp.collect.quarantine import Rejection, add_rejections, mark
from opencdp.collect.sources import HARD_LIMIT_BYTES, Source, list_sources
from opencdp.collect.vault import IdentifierVault
from opencdp.config import Settings
from opencdp.crypto.personal import PLAIN, PersonalData
from opencdp.privacy.suppression import Suppression, raw_identifiers, record_drops
from opencdp.security.rate_limits import TokenBuckets, retry_after


@dataclass(slots=True)
class Ingest:
    """One request's worth of work for the writer."""

    records: list[EventRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    replayed: list[int] = field(default_factory=list)  # quarantine rows this resolves
    events: EventBatch | None = None  # `records` as columns; built by `Collector.submit`
    source_id: str = ""
    screened: int = -1  # the suppression version the records were screened against
    suppressed: int = 0  # messages dropped: they carried an erased person's identifier


@dataclass(frozen=True, slots=True)
class IngestResult:
    stored: int
    duplicates: int
    quarantined: int
    reasons: tuple[str, ...] = ()


class IngestHandler:
    """Writer handler: events, their new vault rows and quarantine rows of many requests
    in one transaction."""

    def __init__(
        self,
        event_log: EventLog,
        suppression: Suppression | None = None,
        vault: IdentifierVault | None = None,
    ) -> None:
        self.event_log = event_log
        self.suppression = suppression
        self.vault = vault or IdentifierVault()
        self._vault_version = suppression.version if suppression is not None else 0

    def apply(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Ingest]
    ) -> tuple[list[IngestResult], Callable[[], None] | None]:
        suppression = self.suppression
        if suppression is not None:  # screened before an erasure committed: once more
            for p in payloads:
                if p.screened != suppression.version:
                    suppression.screen(p)
            drops: dict[tuple[str, str], int] = {}
            for p in payloads:
                if p.suppressed:
                    key = (p.source_id, "collect")
                    drops[key] = drops.get(key, 0) + p.suppressed
            if drops:
                record_drops(con, drops)
            if suppression.version != self._vault_version:  # an erasure deletes vault rows
                self.vault.forget()
                self._vault_version = suppression.version
        batches = [EventBatch.of(p.records) if p.events is None else p.events for p in payloads]
        appended, publish = self.event_log.apply(con, batches)
        # Only records that passed screening: an erased person's identifiers stay out.
        remember = self.vault.write(
            con, (row for p in payloads for r in p.records if r.vault for row in r.vault)
        )
        add_rejections(con, [r for p in payloads for r in p.rejections])
        for quarantine_id in (q for p in payloads for q in p.replayed):
            mark(con, quarantine_id, "replayed")
        results = [
            _result(a, p.rejections) for a, p in zip(appended, payloads, strict=True)
        ]
        return results, _both(publish, remember)


def _both(
    first: Callable[[], None] | None, second: Callable[[], None] | None
) -> Callable[[], None] | None:
    if first is None or second is None:
        return first or second

    def run() -> None:
        first()
        second()

    return run


def _result(appended: AppendResult, rejections: list[Rejection]) -> IngestResult:
    return IngestResult(
        appended.stored, appended.duplicates, len(rejections), tuple(r.reason for r in rejections)
    )


class SourceKeys:
    """Write key → source, cached in memory and refreshed whenever sources change."""

    def __init__(self) -> None:
        self._by_key: dict[str, Source] = {}
        self._lock = threading.Lock()

    def refresh(self, con: duckdb.DuckDBPyConnection) -> None:
        by_key = {s.write_key: s for s in list_sources(con)}
        with self._lock:
            self._by_key = by_key

    def by_id(self, source_id: str) -> Source | None:
        return next((s for s in self._by_key.values() if s.source_id == source_id), None)

    def lookup(self, write_key: str | None) -> Source:
        if not write_key:
            raise RequestRejected(401, "unauthorized", "missing write key")
        source = self._by_key.get(write_key)
        if source is None:
            raise RequestRejected(401, "unauthorized", "unknown write key")
        if not source.enabled:
            raise RequestRejected(404, "source_disabled", "this source is disabled")
        return source


def write_key_from_basic(authorization: str | None) -> str | None:
    """The user name of HTTP Basic credentials (`key:` or `key`), as Segment SDKs send it."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise RequestRejected(401, "unauthorized", "malformed Basic credentials") from None
    return decoded.partition(":")[0] or None


class Collector:
    """Turns collection requests into committed events and quarantine rows."""

    def __init__(
        self,
        settings: Settings,
        keys: SourceKeys,
        submit: Callable[..., Future[Any]],
        suppression: Suppression | None = None,
        personal: PersonalData = PLAIN,
        vault: IdentifierVault | None = None,
    ):
        self.settings = settings
        self.keys = keys
        self._submit = submit
        self.suppression = suppression
        # Personal data as stored (`personal_fields`): None in a plain-text directory.
        self.personal = personal
        self.sealer = message_sealer(personal, vault or IdentifierVault())
        self.throttle: TokenBuckets | None = None  # events per write key (set by the server)

    def limits(self, source: Source) -> tuple[int, int]:
        return (
            source.max_message_bytes or self.settings.max_message_bytes,
            source.max_batch_bytes or self.settings.max_batch_bytes,
        )

    def prepare(
        self,
        body: bytes,
        *,
        authorization: str | None,
        content_encoding: str | None,
        type_hint: str | None,
        client_ip: str | None,
        gpc: bool = False,
    ) -> tuple[Source, Ingest]:
        """Authenticate, decode and validate; nothing is written yet. `gpc`: the request
        carried a Global Privacy Control signal (`Sec-GPC: 1`)."""
        header_key = write_key_from_basic(authorization)
        source = self.keys.lookup(header_key) if header_key else None
        limit = self.limits(source)[1] if source else HARD_LIMIT_BYTES
        data = decompress(body, content_encoding, limit)
        document = parse_json(data)
        if source is None:
            body_key = document.get("writeKey") if isinstance(document, dict) else None
            source = self.keys.lookup(body_key if isinstance(body_key, str) else None)
            batch_limit = self.limits(source)[1]
            if len(data) > batch_limit:
                raise too_large(batch_limit)
        received_at = datetime.now(UTC)
        max_message, _ = self.limits(source)
        if type_hint is None:
            messages = batch_messages(document)
            envelope = BatchEnvelope(
                source.source_id, received_at, document.get("sentAt"),
                object_field(document, "context"), object_field(document, "integrations"),
                client_ip, max_message, source.default_region, gpc,
            )  # fmt: skip
        else:
            messages = [document]
            envelope = BatchEnvelope(
                source.source_id, received_at, client_ip=client_ip,
                max_message_bytes=max_message, default_region=source.default_region, gpc=gpc,
            )  # fmt: skip
        if self.throttle is not None:
            wait = self.throttle.take(source.source_id, len(messages))
            if wait:
                raise rate_limited(wait)
        ingest = Ingest(source_id=source.source_id)
        sealer = self.sealer
        for message in messages:
            try:
                ingest.records.append(normalize(message, envelope, type_hint, sealer))
            except InvalidMessage as exc:
                found = raw_identifiers(message)
                if self.suppression is not None and self.suppression.blocks(found):
                    # an erased person's invalid message is not quarantined either
                    ingest.suppressed += 1
                    continue
                ingest.rejections.append(
                    Rejection(source.source_id, "collect", exc.reason, quarantine_text(message),
                              received_at, identifiers=tuple(found))
                )  # fmt: skip
        if self.suppression is not None:
            self.suppression.screen(ingest)
        return source, ingest

    def submit(self, ingest: Ingest) -> Future[IngestResult]:
        """Queue for the next group commit; the future resolves once it is durable.

        The records are turned into columns here, on the caller's thread, to keep that work
        off the single writer thread.
        """
        ingest.events = EventBatch.of(ingest.records)
        weight = max(1, len(ingest.records) + len(ingest.rejections))
        return self._submit(ingest, weight)


def rate_limited(wait: float) -> RequestRejected:
    return RequestRejected(
        429, "rate_limited",
        f"this write key sent more events than its rate limit; retry after {retry_after(wait)} s",
        {"Retry-After": retry_after(wait)},
    )  # fmt: skip
