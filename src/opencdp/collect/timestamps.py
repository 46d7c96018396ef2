"""Reading client timestamps and correcting client clock skew, as the Segment spec does."""

from __future__ import annotations

from datetime import UTC, datetime


class BadTimestamp(ValueError):
    """A timestamp field holds something that is not an ISO-8601 date-time."""


def parse_timestamp(value: object, field_name: str) -> datetime | None:
    """ISO-8601 string → aware UTC datetime; None/absent → None.

    A date-time without an offset is taken as UTC, as analytics libraries send UTC.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadTimestamp(f"{field_name} must be an ISO-8601 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadTimestamp(f"{field_name} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def corrected_timestamp(
    received_at: datetime, sent_at: datetime | None, original: datetime | None
) -> datetime:
    """The event time on the server's clock: receivedAt − (sentAt − originalTimestamp).

    Without sentAt no skew can be measured and the client's time is kept; without any client
    time the event happened when it was received.
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)
