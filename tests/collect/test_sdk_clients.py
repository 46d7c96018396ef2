"""The collector driven by the real Segment and RudderStack Python SDKs.

Every request the SDKs put on the wire is captured (a `requests` response hook on the
SDKs' own sessions), so each stored event is compared with the message exactly as the SDK
sent it, and each answer with what the Segment HTTP API promises: 200 `{"success": true}`.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import rudderstack.analytics.request as rudder_request
import rudderstack.analytics.version as rudder_version
import segment.analytics.request as segment_request
import segment.analytics.version as segment_version
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics import Client as SegmentClient

from tests.conftest import ServerProcess

Message = dict[str, Any]
# Message fields the event log keeps in columns of their own (or sets itself); any other
# field a message carries must come back in `extra`. `channel`, which the RudderStack SDK
# sends, is left out of the comparison: the server currently keeps it nowhere.
OWN_COLUMNS = frozenset(
    {
        "type", "messageId", "userId", "anonymousId", "previousId", "groupId", "event", "name",
        "timestamp", "originalTimestamp", "sentAt", "receivedAt", "properties", "traits",
        "context", "integrations", "writeKey", "channel",
    }
)  # fmt: skip
ID_FIELDS = ("messageId", "type", "userId", "anonymousId", "previousId", "groupId", "event",
             "name")  # fmt: skip
DEFAULT_BATCH_LIMIT = 500 * 1024
KINDS = ("identify", "track", "page", "screen", "group", "alias")


# --- what went over the wire ------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One HTTP request an SDK made and the answer it got."""

    request: requests.PreparedRequest
    status: int
    answer: bytes

    @property
    def raw_body(self) -> bytes:
        body = self.request.body
        assert body is not None
        return body if isinstance(body, bytes) else body.encode()

    @property
    def gzipped(self) -> bool:
        return self.request.headers.get("Content-Encoding") == "gzip"

    @property
    def decoded_body(self) -> bytes:
        return gzip.decompress(self.raw_body) if self.gzipped else self.raw_body

    @cached_property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.decoded_body))


@dataclass
class Wire:
    """Every request the SDKs send, in order, with its answer."""

    exchanges: list[Exchange] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.exchanges.append(Exchange(response.request, response.status_code, response.content))

    def sent_messages(self) -> list[tuple[Message, dict[str, Any]]]:
        """(message, its batch) for every message sent, in sending order."""
        return [(m, batch) for batch in (x.payload for x in self.exchanges)
                for m in batch["batch"]]  # fmt: skip

    def assert_all_succeeded(self, write_key: str) -> None:
        assert self.exchanges, "the SDK sent nothing"
        basic = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
        for exchange in self.exchanges:
            assert exchange.request.url is not None
            assert exchange.request.url.endswith("/v1/batch")
            assert exchange.request.headers["Authorization"] == basic
            assert exchange.status == 200, exchange.answer
            assert json.loads(exchange.answer) == {"success": True}


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    captured = Wire()
    for session in (segment_request._session, rudder_request._session):
        monkeypatch.setitem(session.hooks, "response", [*session.hooks["response"], captured.hook])
    return captured


@dataclass(frozen=True)
class Source:
    """A source of its own for one test, on the module's shared server."""

    server: ServerProcess
    name: str
    key: str

    @classmethod
    def create(cls, server: ServerProcess, *flags: str) -> Source:
        name = f"sdk-{uuid.uuid4().hex[:12]}"
        return cls(server, name, str(server.create_source(name, *flags)["write_key"]))

    def exported(self, path: Path) -> list[Message]:
        """This source's events as `opencdp events export` writes them."""
        self.server.cli("events", "export", "--source", self.name, "--format", "jsonl",
                        "-o", str(path))  # fmt: skip
        return [json.loads(line) for line in path.read_text().splitlines()]

    def counts(self) -> dict[str, Any]:
        out = self.server.cli("events", "count", "--source", self.name, "--json").stdout
        return dict(json.loads(out))


# --- the two SDKs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sdk:
    name: str
    version: str
    client_class: type[Any]
    gzip_by_default: bool

    def client(self, source: Source, errors: list[Exception], **options: Any) -> Any:
        """A client of this SDK sending to `source`; whatever it reports goes to `errors`."""

        def on_error(error: Exception, batch: list[Message]) -> None:
            errors.append(error)

        options.setdefault("max_retries", 2)
        return self.client_class(source.key, host=source.server.url, on_error=on_error, **options)

    def own_fields(self) -> dict[str, Any]:
        """Top-level fields this SDK adds to every message, which land in `extra`."""
        return {"channel": "server"} if self.name == "rudder" else {}

    def identify_traits(self, stored: Message) -> Any:
        # The RudderStack SDK moves identify traits into `context.traits`.
        return stored["context"]["traits"] if self.name == "rudder" else stored["traits"]


SEGMENT = Sdk("segment", segment_version.VERSION, SegmentClient, gzip_by_default=False)
RUDDER = Sdk("rudder", rudder_version.VERSION, RudderClient, gzip_by_default=True)
SDKS = [pytest.param(SEGMENT, id="segment"), pytest.param(RUDDER, id="rudder")]


# --- helpers ---------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def by_message_id(events: list[Message]) -> dict[str, Message]:
    ids = Counter(e["messageId"] for e in events)
    assert [m for m, n in ids.items() if n > 1] == [], "a messageId is stored more than once"
    return {e["messageId"]: e for e in events}


def assert_stored_as_sent(stored: Message, sent: Message, batch: dict[str, Any], sdk: Sdk) -> None:
    """The stored event holds exactly what the SDK sent, plus what the server adds."""
    for name in ID_FIELDS:
        assert stored[name] == sent.get(name), name
    assert stored["properties"] == sent.get("properties")
    assert stored["traits"] == sent.get("traits")
    assert stored["integrations"] == (sent.get("integrations") or None)
    context = dict(stored["context"])
    assert context.pop("ip") == "127.0.0.1"  # the server records the client address
    assert context == sent["context"]
    assert stored["context"]["library"] == {"name": "analytics-python", "version": sdk.version}

    original = parse_time(stored["originalTimestamp"])
    assert original == parse_time(sent["timestamp"])
    sent_at = parse_time(stored["sentAt"])
    assert sent_at == parse_time(batch["sentAt"])
    received = parse_time(stored["receivedAt"])
    assert abs(datetime.now(UTC) - received) < timedelta(minutes=5)
    # Clock-skew correction as the Segment spec defines it.
    assert parse_time(stored["timestamp"]) == received - (sent_at - original)

    extra = stored["extra"] or {}
    assert set(extra) <= set(sent), "extra holds only fields the message had"
    for name, value in sent.items():
        if name not in OWN_COLUMNS:
            assert extra[name] == value, name


def assert_all_stored_once(events: list[Message], wire: Wire, sdk: Sdk) -> dict[str, Message]:
    """Each message sent is stored once, as the first request carrying its messageId sent it."""
    stored = by_message_id(events)
    first_sent: dict[str, tuple[Message, dict[str, Any]]] = {}
    for message, batch in wire.sent_messages():
        first_sent.setdefault(message["messageId"], (message, batch))
    assert stored.keys() == first_sent.keys()
    for message_id, (message, batch) in first_sent.items():
        assert_stored_as_sent(stored[message_id], message, batch, sdk)
    return stored


ORDERED_AT = datetime(2024, 2, 29, 23, 59, 58, 123000, tzinfo=UTC)


def send_every_type(
    client: Any, tag: str, *, message_ids: bool = False, timestamp: datetime | None = None
) -> dict[str, Message]:
    """One call of each of the six message types; the messages the SDK built, by type."""
    user, anon = f"user-{tag}", f"anon-{tag}"

    def common(kind: str) -> dict[str, Any]:
        return {"message_id": f"{tag}-{kind}" if message_ids else None, "timestamp": timestamp}

    calls: dict[str, Callable[[], tuple[bool, Message]]] = {
        "identify": lambda: client.identify(
            user, {"plan": "pro", "seats": 12, "beta": True, "address": {"city": "Chiang Mai"}},
            anonymous_id=anon, **common("identify"),
        ),
        "track": lambda: client.track(
            event="Order Completed", anonymous_id=anon,
            properties={
                "order_id": f"o-{tag}", "revenue": 19.99, "quantity": 3, "coupon": None,
                "products": [{"sku": "A-1", "price": 9.5}, {"sku": "B-2", "price": 0.99}],
                "ordered_at": ORDERED_AT, "note": "Zoë – 東京 🚀",
            },
            context={"locale": "th-TH", "campaign": {"source": "newsletter"}},
            integrations={"Amplitude": False}, **common("track"),
        ),
        "page": lambda: client.page(
            user, category="Docs", name="Getting Started",
            properties={"path": "/docs/start", "referrer": "https://example.org/"},
            **common("page"),
        ),
        "screen": lambda: client.screen(
            anonymous_id=anon, name="Checkout", properties={"step": 2}, **common("screen")
        ),
        "group": lambda: client.group(
            user, f"group-{tag}", {"industry": "Retail", "employees": 42}, **common("group")
        ),
        "alias": lambda: client.alias(previous_id=anon, user_id=user, **common("alias")),
    }  # fmt: skip
    built = {}
    for kind, call in calls.items():
        queued, message = call()
        assert queued, f"the SDK did not queue the {kind} call"
        built[kind] = message
    return built


def assert_types_carry_their_fields(stored: dict[str, Message], tag: str, sdk: Sdk) -> None:
    """What each call was given, read back from the stored events."""
    kinds = {e["type"]: e for e in stored.values()}
    identify, track = kinds["identify"], kinds["track"]
    assert identify["userId"] == f"user-{tag}" and identify["anonymousId"] == f"anon-{tag}"
    assert sdk.identify_traits(identify) == {
        "plan": "pro", "seats": 12, "beta": True, "address": {"city": "Chiang Mai"}
    }  # fmt: skip
    assert track["userId"] is None and track["anonymousId"] == f"anon-{tag}"
    assert track["event"] == "Order Completed"
    assert track["properties"]["revenue"] == 19.99
    assert track["properties"]["products"][1] == {"sku": "B-2", "price": 0.99}
    assert parse_time(track["properties"]["ordered_at"]) == ORDERED_AT
    assert track["properties"]["note"] == "Zoë – 東京 🚀"
    assert track["properties"]["coupon"] is None
    assert track["context"]["campaign"] == {"source": "newsletter"}
    assert track["integrations"]["Amplitude"] is False
    page = kinds["page"]
    assert (page["name"], page["extra"]) == (
        "Getting Started", {"category": "Docs", **sdk.own_fields()}
    )  # fmt: skip
    assert track["extra"] == (sdk.own_fields() or None)
    assert page["properties"]["path"] == "/docs/start"
    screen = kinds["screen"]
    assert (screen["name"], screen["properties"]) == ("Checkout", {"step": 2})
    group = kinds["group"]
    assert group["groupId"] == f"group-{tag}"
    assert group["traits"] == {"industry": "Retail", "employees": 42}
    alias = kinds["alias"]
    assert (alias["userId"], alias["previousId"]) == (f"user-{tag}", f"anon-{tag}")


# --- tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("use_gzip", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("sdk", SDKS)
def test_every_message_type_is_stored_as_the_sdk_sent_it(
    shared_server: ServerProcess, wire: Wire, tmp_path: Path, sdk: Sdk, use_gzip: bool
) -> None:
    source = Source.create(shared_server)
    errors: list[Exception] = []
    client = sdk.client(source, errors, sync_mode=True, gzip=use_gzip)

    send_every_type(client, "t1")

    assert errors == []
    wire.assert_all_succeeded(source.key)
    assert len(wire.exchanges) == 6  # sync mode: one request per call
    assert [x.gzipped for x in wire.exchanges] == [use_gzip] * 6
    stored = assert_all_stored_once(source.exported(tmp_path / "events.jsonl"), wire, sdk)
    assert sorted(e["type"] for e in stored.values()) == sorted(KINDS)
    assert_types_carry_their_fields(stored, "t1", sdk)


@pytest.mark.parametrize("sdk", SDKS)
def test_each_sdk_is_understood_in_its_default_encoding(
    shared_server: ServerProcess, wire: Wire, tmp_path: Path, sdk: Sdk
) -> None:
    """RudderStack gzips unless told not to, Segment does not gzip unless told to."""
    source = Source.create(shared_server)
    errors: list[Exception] = []
    client = sdk.client(source, errors, sync_mode=True)
    client.track("u1", "Signed Up", {"plan": "free"})

    assert errors == []
    wire.assert_all_succeeded(source.key)
    assert [x.gzipped for x in wire.exchanges] == [sdk.gzip_by_default]
    assert_all_stored_once(source.exported(tmp_path / "events.jsonl"), wire, sdk)


def send_numbered(client: Any, i: int, pad: str) -> None:
    """Message number `i`: the six types in turn, each carrying `i` to be recognised by."""
    user = f"user-{i}"
    props = {"i": i, "sku": f"SKU-{i:05d}", "price": i / 100, "pad": pad}
    kind = KINDS[i % len(KINDS)]
    if kind == "identify":
        queued, _ = client.identify(user, {"i": i, "pad": pad})
    elif kind == "track":
        queued, _ = client.track(user, f"Event {i % 7}", props)
    elif kind == "page":
        queued, _ = client.page(user, name=f"Page {i}", properties=props)
    elif kind == "screen":
        queued, _ = client.screen(anonymous_id=f"anon-{i}", name=f"Screen {i}", properties=props)
    elif kind == "group":
        queued, _ = client.group(user, f"g-{i % 10}", {"i": i, "pad": pad})
    else:
        queued, _ = client.alias(previous_id=f"anon-{i}", user_id=user)
    assert queued


def number_of(event: Message) -> int:
    """The `i` a `send_numbered` message carries, wherever its SDK put it."""
    for holder in (event["properties"], event["traits"], event["context"].get("traits")):
        if holder and "i" in holder:
            return int(holder["i"])
    return int(event["userId"].removeprefix("user-"))  # alias


RAISED_LIMITS = ("--max-batch-bytes", "4194304", "--max-message-bytes", "4194304")


@pytest.mark.parametrize(
    ("sdk", "upload_size", "pad_bytes", "source_flags"),
    [
        pytest.param(SEGMENT, 1000, 100, (), id="segment"),
        pytest.param(RUDDER, 2000, 1000, RAISED_LIMITS, id="rudder"),
    ],
)
def test_large_batches_flushed_by_the_sdk_are_stored_once_each(
    shared_server: ServerProcess,
    wire: Wire,
    tmp_path: Path,
    sdk: Sdk,
    upload_size: int,
    pad_bytes: int,
    source_flags: tuple[str, ...],
) -> None:
    source = Source.create(shared_server, *source_flags)
    errors: list[Exception] = []
    client = sdk.client(source, errors, upload_size=upload_size, gzip=True)
    total = 2000
    for i in range(total):
        send_numbered(client, i, "x" * pad_bytes)
    client.flush()  # returns once the request of every queued message has been answered
    client.join()

    assert errors == []
    wire.assert_all_succeeded(source.key)
    assert all(x.gzipped for x in wire.exchanges)
    sizes = [len(x.payload["batch"]) for x in wire.exchanges]
    assert sum(sizes) == total
    assert max(sizes) >= 400, f"expected large batches, got {sizes}"
    if sdk is RUDDER:
        # Over Segment's 500 KB: accepted only because this source allows 4 MB.
        assert max(len(x.decoded_body) for x in wire.exchanges) > DEFAULT_BATCH_LIMIT
    stored = assert_all_stored_once(source.exported(tmp_path / "events.jsonl"), wire, sdk)
    assert sorted(number_of(e) for e in stored.values()) == list(range(total))
    by_type = Counter(e["type"] for e in stored.values())
    assert by_type == Counter(KINDS[i % len(KINDS)] for i in range(total))
    assert source.counts() == {"total": total, "by_type": dict(sorted(by_type.items())),
                               "quarantined": 0}  # fmt: skip


def test_rudder_batch_over_the_default_limit_is_refused_whole(
    shared_server: ServerProcess, wire: Wire, tmp_path: Path
) -> None:
    """Without raised limits a RudderStack-sized batch gets 413, and the SDK reports it."""
    source = Source.create(shared_server)
    errors: list[Exception] = []
    client = RUDDER.client(source, errors, upload_size=1000)
    for i in range(1000):
        send_numbered(client, i, "x" * 1000)
    client.flush()
    client.join()

    # The SDK's batching is timed, so a batch may come out small enough to pass; any batch
    # over 500 KB must be refused as a whole and reported.
    too_large = [x for x in wire.exchanges if len(x.decoded_body) > DEFAULT_BATCH_LIMIT]
    assert too_large, "the SDK sent no batch over 500 KB"
    for exchange in wire.exchanges:
        assert exchange.status == (413 if exchange in too_large else 200)
    assert {json.loads(x.answer)["code"] for x in too_large} == {"payload_too_large"}
    assert len(errors) == len(too_large)  # 413 is final: reported, not retried
    assert all(isinstance(e, rudder_request.APIError) and e.status == 413 for e in errors)
    accepted = [m["messageId"] for x in wire.exchanges if x not in too_large
                for m in x.payload["batch"]]  # fmt: skip
    stored = source.exported(tmp_path / "events.jsonl")
    assert sorted(e["messageId"] for e in stored) == sorted(accepted)
    counts = source.counts()
    assert (counts["total"], counts["quarantined"]) == (len(accepted), 0)


@pytest.mark.parametrize("sdk", SDKS)
def test_a_message_id_sent_again_through_the_sdk_is_stored_once(
    shared_server: ServerProcess, wire: Wire, tmp_path: Path, sdk: Sdk
) -> None:
    """The same messageIds sent again (as a retry would) are acknowledged, not stored again."""
    source = Source.create(shared_server)
    errors: list[Exception] = []
    client = sdk.client(source, errors, sync_mode=True)
    first_time = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = first_time + timedelta(days=1)
    first = send_every_type(client, "r1", message_ids=True, timestamp=first_time)
    again = send_every_type(client, "r1", message_ids=True, timestamp=later)
    assert [m["messageId"] for m in first.values()] == [m["messageId"] for m in again.values()]

    assert errors == []
    wire.assert_all_succeeded(source.key)
    assert len(wire.exchanges) == 12
    stored = assert_all_stored_once(source.exported(tmp_path / "events.jsonl"), wire, sdk)
    assert len(stored) == 6
    # The copy kept is the first one sent.
    assert {parse_time(e["originalTimestamp"]) for e in stored.values()} == {first_time}


@pytest.mark.parametrize("sdk", SDKS)
def test_the_exact_request_sent_again_is_acknowledged_and_stored_once(
    shared_server: ServerProcess, wire: Wire, tmp_path: Path, sdk: Sdk
) -> None:
    """An SDK whose 200 got lost sends the same bytes again: same answer, nothing new stored."""
    source = Source.create(shared_server)
    errors: list[Exception] = []
    client = sdk.client(source, errors, upload_size=100, gzip=True)
    for i in range(300):
        send_numbered(client, i, "")
    client.flush()
    client.join()
    assert errors == []
    wire.assert_all_succeeded(source.key)
    before = source.exported(tmp_path / "before.jsonl")
    assert len(before) == 300

    with httpx.Client(timeout=30) as http:
        for exchange in wire.exchanges * 2:
            assert exchange.request.url is not None
            headers = {
                name: exchange.request.headers[name]
                for name in ("Authorization", "Content-Type", "Content-Encoding")
                if name in exchange.request.headers
            }
            r = http.post(exchange.request.url, content=exchange.raw_body, headers=headers)
            assert (r.status_code, r.json()) == (200, {"success": True})

    after = source.exported(tmp_path / "after.jsonl")
    assert after == before  # not a row added or changed, seq and receivedAt included
    assert_all_stored_once(after, wire, sdk)
