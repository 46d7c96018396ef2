"""Admin API authentication: a bearer token (until issue-6 roles and scoped tokens land)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from opencdp.api.errors import ApiError


def bearer_checker(expected: str) -> Callable[[Request], None]:
    """A FastAPI dependency that admits only `Authorization: Bearer <expected>`."""

    def check(request: Request) -> None:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "admin API needs `Authorization: Bearer <token>`")
        if not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise ApiError(401, "unauthorized", "invalid admin token")

    return check
