"""message_identifiers(): what identity resolution will see of a collected message."""

from __future__ import annotations

from datetime import UTC, datetime

from opencdp.collect.identifiers import message_identifiers
from opencdp.collect.messages import BatchEnvelope, normalize

ENVELOPE = BatchEnvelope("src_1", datetime(2026, 5, 1, tzinfo=UTC))


def test_every_identifier_of_a_message_is_listed_once():
    record = normalize({
        "type": "identify", "userId": "u1", "anonymousId": "a1",
        "traits": {"email": " Ann@Mail.CO.JP", "phone": "+66812345678", "name": "Ann"},
        "context": {"traits": {"email": "ann@mail.co.jp"}, "device": {"id": "d-1"},
                    "externalIds": [{"id": "C9", "type": "customer_id"}, {"id": 42, "type": "a:b"},
                                    {"type": "x"}, "junk"]},
    }, ENVELOPE, None)  # fmt: skip
    assert record.identifiers == [
        "user_id:u1", "anonymous_id:a1", "email:ann@mail.co.jp", "phone:+66812345678",
        "device_id:d-1", "customer_id:C9", "a_b:42",
    ]  # fmt: skip


def test_alias_links_the_previous_id_and_track_traits_are_not_identifiers():
    assert message_identifiers("alias", "u1", None, "anon-7", None, {}) == [
        "user_id:u1", "anonymous_id:anon-7"
    ]
    assert message_identifiers("track", None, "a1", None, {"email": "x@y.co"}, {}) == [
        "anonymous_id:a1"
    ]
    assert message_identifiers("group", None, None, None, None, {"device": "flat"}) is None
