"""Validate and normalise one Segment-spec message into an event record.

Pure functions over plain data: no web framework, no database. A message that cannot be
stored raises `InvalidMessage` with a reason a person can act on; the caller quarantines it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from opencdp.collect.identifiers import message_identifiers
from opencdp.collect.timestamps import BadTimestamp, corrected_timestamp, parse_timestamp
from opencdp.collect.trait_hygiene import clean_message_traits
from opencdp.keys import stable_key

if TYPE_CHECKING:
    from opencdp.collect.personal_fields import MessageSealer

MESSAGE_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})
MAX_ID_LENGTH = 1024
_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_ABSENT = object()
# Fields the event log keeps in columns of their own; any other top-level field goes to `extra`.
_KNOWN_FIELDS = frozenset(
    {
        "type", "messageId", "userId", "anonymousId", "previousId", "groupId", "event", "name",
        "timestamp", "originalTimestamp", "sentAt", "receivedAt", "writeKey",
        *_OBJECT_FIELDS,
    }
)  # fmt: skip


class InvalidMessage(ValueError):
    """The message breaks the spec; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EventRecord(NamedTuple):
    """One message ready for the event log (the columns of the `events` table).

    A named tuple, not a dataclass: the event log turns thousands of these into columns at
    once with `zip(*records)`, and building one is cheaper on the hot path.
    """

    source_id: str
    message_id: str
    message_key: int
    type: str
    user_id: str | None
    anonymous_id: str | None
    previous_id: str | None
    group_id: str | None
    event: str | None
    name: str | None
    timestamp: datetime
    original_timestamp: datetime | None
    sent_at: datetime | None
    received_at: datetime
    properties: str | None
    traits: str | None
    context: str | None
    integrations: str | None
    extra: str | None
    fixes: str | None  # what hygiene changed or refused in the traits, originals kept
    identifiers: list[str] | None  # `type:value` as stored, for identity resolution
    size: int  # of the message as sent (its JSON columns before sealing)
    # With field encryption: (stored identifier, sealed plaintext) rows for the vault.
    vault: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class BatchEnvelope:
    """What a request adds to each of its messages: batch context, time, source."""

    source_id: str
    received_at: datetime
    sent_at: object = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    client_ip: str | None = None
    max_message_bytes: int = 32 * 1024
    default_region: str | None = None  # phone numbers without a country code
    gpc: bool = False  # the request carried `Sec-GPC: 1`: each message gets `context.gpc`
    # `sent_at` is parsed once per request, not once per message; a bad one is refused
    # (with this reason) by each message that relies on it.
    _sent: datetime | None = field(default=None, init=False, repr=False, compare=False)
    _sent_error: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "_sent", parse_timestamp(self.sent_at, "sentAt"))
        except BadTimestamp as exc:
            object.__setattr__(self, "_sent_error", str(exc))

    def parsed_sent_at(self) -> datetime | None:
        """The batch's `sentAt` as a time; `BadTimestamp` if it is not one."""
        if self._sent_error is not None:
            raise BadTimestamp(self._sent_error)
        return self._sent


def message_key(source_id: str, message_id: str) -> int:
    """Stable 64-bit key of (source, messageId) that deduplication compares."""
    return stable_key(source_id, message_id)


def _identifier(value: object, field_name: str) -> str | None:
    if value.__class__ is str:  # the usual case, checked first
        if len(value) > MAX_ID_LENGTH:
            raise InvalidMessage(f"{field_name} is longer than {MAX_ID_LENGTH} characters")
        return value or None
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidMessage(f"{field_name} must be a string, got {type(value).__name__}")
    text = value if isinstance(value, str) else _number_text(value)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidMessage(f"{field_name} is longer than {MAX_ID_LENGTH} characters")
    return text


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _object(value: object, field_name: str) -> dict[str, Any] | None:
    if value is None or value.__class__ is dict:
        return value
    if not isinstance(value, dict):
        raise InvalidMessage(f"{field_name} must be an object, got {type(value).__name__}")
    return value


def _json_columns(*values: Any) -> list[str | None]:
    """Each object as JSON text (None stays None)."""
    try:
        return [None if v is None else orjson.dumps(v).decode() for v in values]
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise InvalidMessage(f"message holds a value that is not valid JSON text: {exc}") from None


def _times(
    message: dict[str, Any], envelope: BatchEnvelope
) -> tuple[datetime, datetime | None, datetime | None]:
    """(corrected event time, original timestamp, sentAt) of a message."""
    try:
        original = parse_timestamp(
            message.get("originalTimestamp", message.get("timestamp")), "timestamp"
        )
        raw_sent = message.get("sentAt", _ABSENT)
        sent_at = (
            envelope.parsed_sent_at() if raw_sent is _ABSENT
            else parse_timestamp(raw_sent, "sentAt")
        )  # fmt: skip
        return corrected_timestamp(envelope.received_at, sent_at, original), original, sent_at
    except BadTimestamp as exc:
        raise InvalidMessage(str(exc)) from None
    except OverflowError:
        raise InvalidMessage("timestamp and sentAt are too far apart to be real") from None


def normalize(
    message: object,
    envelope: BatchEnvelope,
    type_hint: str | None,
    sealer: MessageSealer | None = None,
) -> EventRecord:
    """Turn one incoming message into an `EventRecord`, or raise `InvalidMessage`.

    `type_hint` is the type implied by the endpoint (`/v1/track` → track); a batch gives None
    and each message must name its own. `sealer` (an encrypted data directory) turns the
    plain record into its stored form: pseudonyms and sealed personal values.
    """
    if not isinstance(message, dict):
        raise InvalidMessage("message must be a JSON object")
    get = message.get
    kind = type_hint or get("type")
    if not isinstance(kind, str) or kind not in MESSAGE_TYPES:
        raise InvalidMessage(
            f"unknown message type {kind!r}; expected one of {sorted(MESSAGE_TYPES)}"
        )
    user_id = _identifier(get("userId"), "userId")
    anonymous_id = _identifier(get("anonymousId"), "anonymousId")
    if user_id is None and anonymous_id is None:
        raise InvalidMessage("message needs a userId or an anonymousId")
    previous_id = _identifier(get("previousId"), "previousId")
    group_id = _identifier(get("groupId"), "groupId")
    event = get("event")
    if kind == "track":
        if not isinstance(event, str) or not event.strip():
            raise InvalidMessage("track message needs a non-empty string event")
    elif event is not None and not isinstance(event, str):
        raise InvalidMessage("event must be a string")
    name = get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidMessage("name must be a string")
    if kind == "alias" and previous_id is None:
        raise InvalidMessage("alias message needs a previousId")
    if kind == "group" and group_id is None:
        raise InvalidMessage("group message needs a groupId")

    properties = _object(get("properties"), "properties")
    traits = _object(get("traits"), "traits")
    context = _merged(_object(get("context"), "context"), envelope.context)
    if envelope.client_ip and "ip" not in context:
        context = {**context, "ip": envelope.client_ip}
    if envelope.gpc:  # an opt-out of sale and sharing; the consent ledger records it later
        context = {**context, "gpc": True}
    integrations = _merged(_object(get("integrations"), "integrations"), envelope.integrations)
    timestamp, original, sent_at = _times(message, envelope)
    traits, context, fixes = clean_message_traits(kind, traits, context, envelope.default_region)

    message_id = _identifier(get("messageId"), "messageId") or f"opencdp-{uuid.uuid4()}"
    extra = (
        None if _KNOWN_FIELDS.issuperset(message)
        else {k: v for k, v in message.items() if k not in _KNOWN_FIELDS}
    )  # fmt: skip
    columns = _json_columns(
        properties, traits, context or None, integrations or None, extra, fixes or None
    )
    size = 256
    for column in columns:
        if column is not None:
            size += len(column)
    if size > envelope.max_message_bytes:
        raise InvalidMessage(
            f"message is {size} bytes, over this source's limit of {envelope.max_message_bytes}"
        )
    identifiers = message_identifiers(kind, user_id, anonymous_id, previous_id, traits, context)
    record = EventRecord._make((
        envelope.source_id, message_id, stable_key(envelope.source_id, message_id), kind,
        user_id, anonymous_id, previous_id, group_id, event, name,
        timestamp, original, sent_at, envelope.received_at, *columns, identifiers, size, None,
    ))  # fmt: skip
    if sealer is None:
        return record
    return sealer.sealed(record, properties, traits, context, extra, fixes)


def _merged(own: dict[str, Any] | None, batch: dict[str, Any] | None) -> dict[str, Any]:
    """A batch's top-level object under the message's own: the message's keys win."""
    if not batch:
        return own or {}
    if not own:
        return dict(batch)
    return {**batch, **own}
