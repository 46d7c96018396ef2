"""Admin API authentication and authorisation.

`Authenticator` turns the bearer token of a request into a `Principal` and leaves it in
`request.state.principal` (the audit log reads it from there); `require(permission)` is the
per-route check. Source write keys are not principals: they can only ingest.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from opencdp.api.errors import ApiError
from opencdp.security.principal import Principal, bootstrap_admin

TokenResolver = Callable[[str], Principal | None]


class Authenticator:
    """A FastAPI dependency: resolves `Authorization: Bearer <token>` to a principal or 401."""

    def __init__(self, admin_token: str, resolve: TokenResolver | None = None) -> None:
        self._admin = admin_token.encode()
        self._resolve = resolve

    def __call__(self, request: Request) -> Principal:
        principal = getattr(request.state, "principal", None)
        if isinstance(principal, Principal):
            return principal
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "admin API needs `Authorization: Bearer <token>`")
        if hmac.compare_digest(token.encode(), self._admin):
            principal = bootstrap_admin()
        elif self._resolve is not None:
            principal = self._resolve(token)
        if principal is None:
            raise ApiError(401, "unauthorized", "invalid, expired or revoked token")
        request.state.principal = principal
        return principal
