"""The suppression set: the same hashes as `crypto.keyed_hash`, screening collected messages,
and the version that makes the writer screen again what was checked before an erasure."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from opencdp.crypto import keyed_hash
from opencdp.privacy.suppression import Suppression, raw_identifiers

KEY = bytes(range(32))


def suppression(*texts: str) -> Suppression:
    s = Suppression(lambda: KEY)
    s.add(keyed_hash(KEY, t) for t in texts)
    return s


@given(st.text())
def test_hash_equals_the_crypto_modules_keyed_hash(text):
    assert Suppression(lambda: KEY).hash(text) == keyed_hash(KEY, text)


def test_nothing_suppressed_costs_nothing_and_blocks_nothing():
    s = Suppression(lambda: (_ for _ in ()).throw(AssertionError("key read")))
    assert not s.active and not s.blocks(["email:a@b.co"])


def test_blocks_any_suppressed_identifier_and_remembers_clean_ones():
    s = suppression("email:ann@x.co.th")
    assert s.blocks(["user_id:1", "email:ann@x.co.th"])
    assert not s.blocks(["user_id:1"]) and not s.blocks(["user_id:1"])  # second: cached
    s.add([keyed_hash(KEY, "user_id:1")])  # a later erasure empties the cache
    assert s.blocks(["user_id:1"])


def test_screening_drops_records_and_marks_the_version():
    s = suppression("user_id:gone")
    record = SimpleNamespace
    ingest = SimpleNamespace(records=[record(identifiers=["user_id:gone"], source_id="src"),
                                      record(identifiers=["user_id:kept"], source_id="src"),
                                      record(identifiers=None, source_id="src")],
                             source_id="", screened=-1, suppressed=0, events="built")  # fmt: skip
    assert s.screen(ingest) == 1
    assert [r.identifiers for r in ingest.records] == [["user_id:kept"], None]
    assert (ingest.screened, ingest.suppressed, ingest.events) == (s.version, 1, None)
    version = s.version
    s.add([keyed_hash(KEY, "user_id:kept")])
    assert s.version > version, "work screened before must be screened again"


def test_raw_identifiers_of_an_invalid_message():
    message = {"userId": " u1 ", "anonymousId": 5, "traits": {"email": " Ann@X.co "},
               "context": {"traits": {"email": "b@y.co"}}}  # fmt: skip
    found = raw_identifiers(message)
    assert {"user_id:u1", "anonymous_id:5", "email:ann@x.co", "email:b@y.co"} <= set(found)
    assert "user_id: u1 " in found, "as the collector would have stored it (untrimmed)"
    phone = {"type": "track", "anonymousId": "a", "traits": {"phone": "+66 81 234 5678"},
             "context": {"externalIds": [{"type": "crm_id", "id": "C-9"}],
                         "device": {"id": "dev-1"}}}  # fmt: skip
    assert {"phone:+66812345678", "crm_id:C-9", "device_id:dev-1"} <= set(raw_identifiers(phone))
    assert raw_identifiers("not an object") == []
