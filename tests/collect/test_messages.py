"""normalize(): the spec rules, and properties over arbitrary valid messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencdp.collect.messages import BatchEnvelope, InvalidMessage, message_key, normalize
from opencdp.collect.timestamps import corrected_timestamp

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ENVELOPE = BatchEnvelope("src_1", NOW)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
ids = st.text(min_size=1, max_size=30) | st.integers(0, 10**12)


@st.composite
def messages(draw):
    kind = draw(st.sampled_from(["identify", "track", "page", "screen", "group", "alias"]))
    message = {"type": kind, "messageId": draw(st.uuids()).hex}
    who = draw(st.sampled_from(["user", "anon", "both"]))
    if who in ("user", "both"):
        message["userId"] = draw(ids)
    if who in ("anon", "both"):
        message["anonymousId"] = draw(ids)
    if kind == "track":
        message["event"] = draw(st.text(min_size=1, max_size=20).filter(str.strip))
    if kind == "alias":
        message["previousId"] = draw(ids)
    if kind == "group":
        message["groupId"] = draw(ids)
    for field in ("properties", "traits", "context"):
        if draw(st.booleans()):
            message[field] = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
    return message


@settings(max_examples=300, deadline=None)
@given(message=messages())
def test_valid_messages_are_stored_with_their_content(message):
    record = normalize(message, ENVELOPE, None)
    assert record.type == message["type"]
    assert record.message_id == message["messageId"]
    assert record.message_key == message_key("src_1", message["messageId"])
    for field in ("properties", "traits"):
        stored = getattr(record, field)
        expected = message.get(field)
        assert (orjson.loads(stored) if stored is not None else None) == expected
    if "userId" in message:
        assert record.user_id == str(message["userId"])
    assert record.received_at == NOW and record.timestamp == NOW


@settings(max_examples=200, deadline=None)
@given(message=messages(), drop=st.sampled_from(["userId", "anonymousId", "type"]))
def test_breaking_a_required_field_is_refused(message, drop):
    message.pop(drop, None)
    if drop != "type" and ("userId" in message or "anonymousId" in message):
        return  # the other id still identifies the person
    with pytest.raises(InvalidMessage):
        normalize(message, ENVELOPE, None)


@settings(max_examples=200, deadline=None)
@given(
    skew=st.integers(-(10**6), 10**6),
    delay=st.integers(0, 10**5),
)
def test_skew_correction_recovers_server_time(skew, delay):
    """A client whose clock is off by `skew` seconds: the corrected time is exact."""
    happened = NOW - timedelta(seconds=delay)
    client_original = happened + timedelta(seconds=skew)
    client_sent = NOW + timedelta(seconds=skew)
    assert corrected_timestamp(NOW, client_sent, client_original) == happened


def test_numbers_as_ids_become_text():
    record = normalize(
        {"type": "track", "userId": 42, "anonymousId": 7.0, "event": "E"}, ENVELOPE, None
    )
    assert (record.user_id, record.anonymous_id) == ("42", "7")


def test_empty_string_ids_count_as_missing():
    with pytest.raises(InvalidMessage, match="userId or an anonymousId"):
        normalize({"type": "track", "userId": "", "event": "E"}, ENVELOPE, None)


def test_endpoint_type_wins_over_body_type():
    record = normalize({"type": "page", "userId": "u", "event": "E"}, ENVELOPE, "track")
    assert record.type == "track"


def test_message_without_id_gets_a_server_id():
    a = normalize({"type": "page", "userId": "u"}, ENVELOPE, None)
    b = normalize({"type": "page", "userId": "u"}, ENVELOPE, None)
    assert a.message_id != b.message_id and a.message_id.startswith("opencdp-")


def test_message_size_limit():
    envelope = BatchEnvelope("src_1", NOW, max_message_bytes=2048)
    with pytest.raises(InvalidMessage, match="over this source's limit"):
        normalize(
            {"type": "track", "userId": "u", "event": "E", "properties": {"p": "x" * 3000}},
            envelope,
            None,
        )


def test_top_level_fields_outside_the_columns_are_kept_in_extra() -> None:
    """RudderStack SDKs send `channel` and `version`; nothing the client sent is dropped."""
    message = {
        "type": "track", "userId": "u1", "event": "Order Completed", "messageId": "m-extra",
        "channel": "server", "version": "1.1", "custom": {"a": 1}, "writeKey": "secret",
    }  # fmt: skip
    record = normalize(message, ENVELOPE, None)
    assert record.extra is not None
    assert orjson.loads(record.extra) == {"channel": "server", "version": "1.1", "custom": {"a": 1}}
