"""A real HTTP receiver in a thread: verifies signatures, answers from a script, records."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opencdp.activate.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify

SECRET = "whsec-0123456789abcdef"


@dataclass
class Received:
    key: str
    body: dict[str, Any]
    raw: bytes
    signed: bool


@dataclass
class Receiver:
    url: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    on_request: Any = None


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            signed = verify(SECRET, raw, self.headers.get(SIGNATURE_HEADER, ""), int(time.time()))
            state.requests.append(
                Received(self.headers.get(IDEMPOTENCY_HEADER, ""), json.loads(raw), raw, signed)
            )
            if state.on_request:
                state.on_request()
            status, headers = state.script.pop(0) if state.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
