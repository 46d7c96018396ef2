"""Admin API authentication and authorisation.

`Authenticator` turns the bearer token of a request into a `Principal`, applies the
per-token rate limit, and leaves the principal in `request.state.principal` (the audit log
reads it there). `access(resource)` is the router-level dependency every admin router gets:
it authenticates and checks the permission the matched route needs — `resource:read` for
GET, `resource:write` for other methods, unless the route is listed in `overrides` (a POST
that only reads, a route that also reveals another resource). `require(permission)` is the
same check for one route. Source write keys are not principals: they can only ingest.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam

from opencdp.api.errors import ApiError
from opencdp.security.principal import Principal, bootstrap_admin
from opencdp.security.rate_limits import TokenBuckets, retry_after
from opencdp.security.roles import role_allows

TokenResolver = Callable[[str], Principal | None]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Overrides = Mapping[tuple[str, str], tuple[str, ...]]


class Authenticator:
    """A FastAPI dependency: resolves `Authorization: Bearer <token>` to a principal or 401."""

    def __init__(
        self,
        admin_token: str,
        resolve: TokenResolver | None = None,
        limits: TokenBuckets | None = None,
    ) -> None:
        self._admin = admin_token.encode()
        self._resolve = resolve
        self.limits = limits

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
        self._limit(principal)
        return principal

    def _limit(self, principal: Principal) -> None:
        if self.limits is None:
            return
        wait = self.limits.take(principal.token_id or principal.kind)
        if wait:
            raise ApiError(
                429, "rate_limited",
                f"too many requests with this token (limit {self.limits.rate:g} per second, "
                f"bursts of {self.limits.burst:g}); retry after {retry_after(wait)} s",
                {"Retry-After": retry_after(wait)},
            )  # fmt: skip


def _authenticator(request: Request) -> Authenticator:
    found = getattr(request.app.state, "authenticator", None)
    if not isinstance(found, Authenticator):
        raise RuntimeError("app.state.authenticator is not set")
    return found


def authenticate(request: Request) -> Principal:
    """Dependency: the caller's principal (any authenticated caller)."""
    return _authenticator(request)(request)


def _check(principal: Principal, needed: Iterable[str]) -> None:
    missing = [p for p in needed if not principal.can(p)]
    if not missing:
        return
    by_role = [p for p in missing if not role_allows(principal.role, p)]
    reason = (
        f"role {principal.role} does not have {', '.join(by_role)}"
        if by_role
        else f"this token's scopes ({', '.join(sorted(principal.scopes))}) exclude "
        f"{', '.join(missing)}"
    )
    raise ApiError(403, "forbidden", f"{principal.name!r} may not do this: {reason}")


class Access:
    """Router-level dependency: authenticate, then check the matched route's permissions.

    `resource=None` admits any authenticated caller (routes that act on the caller only,
    such as logout). Tests read `permissions_for` to check every route has a permission.
    """

    def __init__(self, resource: str | None, overrides: Overrides | None = None) -> None:
        self.resource = resource
        self.overrides = dict(overrides or {})

    def permissions_for(self, method: str, path: str) -> tuple[str, ...]:
        override = self.overrides.get((method, path))
        if override is not None:
            return override
        if self.resource is None:
            return ()
        action = "read" if method in READ_METHODS else "write"
        return (f"{self.resource}:{action}",)

    def __call__(self, request: Request) -> Principal:
        principal = authenticate(request)
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        _check(principal, self.permissions_for(request.method, path))
        return principal


def access(resource: str | None, overrides: Overrides | None = None) -> list[DependsParam]:
    """`dependencies=` for `include_router`: this router's routes need `resource` rights."""
    return [Depends(Access(resource, overrides))]


def require(*permissions: str) -> DependsParam:
    """A route dependency needing every one of `permissions`; returns the principal."""

    def check(request: Request) -> Principal:
        principal = authenticate(request)
        _check(principal, permissions)
        return principal

    dependency: DependsParam = Depends(check)
    return dependency
