"""Recording every audited API call in one place: an ASGI middleware keyed on the route.

After the app has answered, the matched route (its method and template) decides the action
(`opencdp.audit.actions.route_action`); the principal the authentication dependency left in
`request.state.principal` is the actor. The entry keeps the route template, never the raw
path (which may hold an e-mail address): path and query parameters go through `describe`,
and the profiles an operation resolved arrive through `opencdp.audit.context`. Fields of a
small JSON body count as parameters too (an identifier in a privacy request is hashed). The reason
comes from the `X-Opencdp-Reason` header, a `reason` query parameter, or a `reason` field of
a small JSON body. Collection endpoints are passed straight through: sources writing events
are not accesses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencdp.audit.actions import describe, route_action
from opencdp.audit.context import Note, noting
from opencdp.audit.log import AuditLog
from opencdp.audit.model import ADMIN_TOKEN, ANONYMOUS, Actor, Entry, actor_of, clean, outcome_of

_BODY_LIMIT = 64 * 1024  # JSON bodies read for a `reason` field; larger ones are not


class AuditMiddleware:
    def __init__(self, app: ASGIApp, log: AuditLog, skip_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.log = log
        self.skip = frozenset(skip_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] == "OPTIONS"
                or scope["path"] in self.skip):  # fmt: skip
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        body: dict[str, Any] = {}
        if _json_body_expected(scope):
            receive, body = await _buffered(receive)
        response: dict[str, Any] = {"status": 500, "rows": None}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                for key, value in message.get("headers", ()):
                    if key.lower() == b"x-row-count":
                        response["rows"] = value.decode("latin-1")
            await send(message)

        with noting() as note:
            try:
                await self.app(scope, receive, capture)
            finally:
                self._record(scope, note, body, response)

    def _record(
        self, scope: Scope, note: Note, body: dict[str, Any], response: dict[str, Any]
    ) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or ()
        method = scope["method"]
        if template is None or (method not in methods and method != "HEAD"):
            return  # no route matched: nothing was accessed
        action = route_action(method, template)
        if action is None:
            return
        params: dict[str, Any] = {}
        for source in (scope.get("path_params") or {}, _query(scope), body):  # first wins
            for key, value in source.items():
                params.setdefault(key, value)
        words = [w for w in template.split("/") if w and not w.startswith("{")]
        described = describe(words, params, self.log.keys.identifier_hash)
        status = int(response["status"])
        entry = Entry(
            action, self._actor(scope, note, body, status), "api",
            target_kind=described.target_kind, target=described.target,
            profile_ids=[*described.profile_ids, *note.profile_ids],
            route=f"{method} {template}", client_ip=_client(scope),
            user_agent=clean(_header(scope, b"user-agent")),
            reason=clean(_header(scope, b"x-opencdp-reason") or _text(params.get("reason"))),
            status=status, outcome=outcome_of(status), details=described.details,
        )  # fmt: skip
        if note.target is not None:
            entry.target_kind, entry.target = note.target
        if response["rows"] is not None:
            entry.details["rows"] = int(response["rows"])
        entry.details.update(note.details)
        if action == "config.change":
            entry.details["operation"] = f"{method} {template}"
        if not entry.profile_ids and entry.outcome == "ok":
            entry.resolve = described.identifier  # looked up off the request path
        if note.profiles_seen > len(note.profile_ids):
            entry.details["profiles_seen"] = note.profiles_seen
        self.log.record(entry)

    @staticmethod
    def _actor(scope: Scope, note: Note, body: dict[str, Any], status: int) -> Actor:
        principal = note.principal or scope["state"].get("principal")
        if principal is not None:
            return actor_of(principal)
        attempted = _text(body.get("name"))
        if attempted is not None:  # a failed login names who it tried to be
            return Actor("unverified", clean(attempted, 100) or "", None)
        if status in (401, 403):
            return ANONYMOUS
        return ADMIN_TOKEN  # routes guarded by the admin token alone


def _json_body_expected(scope: Scope) -> bool:
    if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    content_type = _header(scope, b"content-type") or ""
    length = _header(scope, b"content-length")
    return ("json" in content_type and length is not None and length.isdigit()
            and int(length) <= _BODY_LIMIT)  # fmt: skip


async def _buffered(receive: Receive) -> tuple[Receive, dict[str, Any]]:
    """Read the whole (small) body, then hand the app the same messages again."""
    messages: list[Message] = []
    chunks = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    try:
        parsed = json.loads(b"".join(chunks) or b"null")
    except ValueError:
        parsed = None
    return replay, parsed if isinstance(parsed, dict) else {}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=False))


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
