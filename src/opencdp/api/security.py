"""Admin API for people and credentials: login, users, API tokens."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from opencdp.admin import Admin
from opencdp.api.auth import Authenticator, access, authenticate
from opencdp.api.collect import ENDPOINTS
from opencdp.api.errors import ApiError, error_response
from opencdp.api.masking import PiiMaskingMiddleware
from opencdp.config import Settings
from opencdp.security.errors import (
    Forbidden,
    InvalidSecurityRequest,
    LoginFailed,
    TokenNotFound,
    UserExists,
    UserNotFound,
)
from opencdp.security.pii import PiiSchema, WorkspacePii
from opencdp.security.principal import Principal
from opencdp.security.rate_limits import TokenBuckets, optional_buckets, retry_after
from opencdp.security.roles import all_permissions
from opencdp.workspace import admin_token

Role = Literal["admin", "marketer", "analyst", "privacy_officer", "viewer"]


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    token_id: str
    user: str
    kind: Literal["api", "session"]
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    scopes: list[str]
    status: Literal["active", "expired", "revoked"]
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    created_by: str


class IssuedToken(TokenOut):
    token: str = Field(description="The secret itself: shown this once, stored only hashed")


class SessionOut(IssuedToken):
    role: Role


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the token is for")
    scopes: list[str] = Field(
        min_length=1, description="`profiles:read`, `segments:write`, `segments:*`, `*`, ..."
    )
    expires_days: float | None = Field(None, gt=0, description="Default: token_default_days")
    user: str | None = Field(None, description="Owner; default the caller (admins only)")


class UserOut(BaseModel):
    user_id: str
    name: str
    role: Role
    disabled: bool
    created_at: str
    updated_at: str
    password_changed_at: str | None


class PasswordSetOut(UserOut):
    revoked_tokens: int = Field(
        description="Sessions and API tokens of the user revoked with the change (all of "
        "them on a reset; all but the calling credential when users change their own)"
    )


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    password: str | None = Field(None, max_length=1024)


class UserPatch(BaseModel):
    role: Role | None = None
    disabled: bool | None = None


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class OwnPasswordIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class MeOut(BaseModel):
    kind: Literal["user", "token", "admin_token", "cli"]
    name: str
    role: Role
    scopes: list[str]
    token_id: str | None
    permissions: list[str] = Field(description="What this credential may do: role ∩ scopes")


def auth_router(admin: Admin, login_limits: TokenBuckets | None) -> APIRouter:
    """Login (public, rate-limited per name and per client address) and the caller's own."""
    public = APIRouter(tags=["auth"])

    @public.post("/v1/auth/login", response_model=SessionOut)
    def login(body: LoginIn, request: Request) -> dict[str, Any]:
        if login_limits is not None:
            client = request.client.host if request.client else "unknown"
            wait = max(login_limits.take("name:" + body.name), login_limits.take("ip:" + client))
            if wait:
                raise ApiError(
                    429, "rate_limited",
                    f"too many login attempts; retry after {retry_after(wait)} s",
                    {"Retry-After": retry_after(wait)},
                )  # fmt: skip
        session = admin.login(body.name, body.password)
        request.state.principal = admin.principal_for_token(session["token"])
        return session

    @public.post("/v1/auth/logout", response_model=TokenOut)
    def logout(principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        return admin.logout(principal)

    @public.get("/v1/auth/me", response_model=MeOut)
    def me(principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        return {
            "kind": principal.kind, "name": principal.name, "role": principal.role,
            "scopes": sorted(principal.scopes), "token_id": principal.token_id,
            "permissions": sorted(p for p in all_permissions() if principal.can(p)),
        }  # fmt: skip

    @public.put("/v1/auth/password", response_model=PasswordSetOut)
    def change_password(
        body: OwnPasswordIn, principal: Principal = Depends(authenticate)
    ) -> dict[str, Any]:
        return admin.change_own_password(principal, body.current_password, body.new_password)

    return public


def users_router(admin: Admin) -> APIRouter:
    router = APIRouter(prefix="/v1/users", tags=["users"])

    @router.get("", response_model=list[UserOut])
    def list_users() -> list[dict[str, Any]]:
        return admin.list_users()

    @router.post("", status_code=201, response_model=UserOut)
    def create_user(body: UserIn) -> dict[str, Any]:
        return admin.create_user(body.name, body.role, body.password)

    @router.get("/{name}", response_model=UserOut)
    def get_user(name: str) -> dict[str, Any]:
        return admin.get_user(name)

    @router.patch("/{name}", response_model=UserOut)
    def update_user(name: str, body: UserPatch) -> dict[str, Any]:
        return admin.update_user(name, body.role, body.disabled)

    @router.put("/{name}/password", response_model=PasswordSetOut)
    def set_password(name: str, body: PasswordIn) -> dict[str, Any]:
        return admin.set_password(name, body.password)

    return router


def tokens_router(admin: Admin) -> APIRouter:
    """Tokens: each caller sees and revokes their own; admins anyone's (404 otherwise)."""
    router = APIRouter(prefix="/v1/tokens", tags=["tokens"])

    @router.post("", status_code=201, response_model=IssuedToken)
    def create(body: TokenIn, principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        return admin.create_token(principal, body.name, body.scopes, body.expires_days, body.user)

    @router.get("", response_model=list[TokenOut])
    def list_tokens(
        user: str | None = None,
        all: bool = Query(False, description="Include expired and revoked tokens"),
        principal: Principal = Depends(authenticate),
    ) -> list[dict[str, Any]]:
        return admin.list_tokens(principal, user, all)

    @router.get("/{token_id}", response_model=TokenOut)
    def show(token_id: str, principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        return admin.get_token(principal, token_id)

    @router.delete("/{token_id}", response_model=TokenOut)
    def revoke(token_id: str, principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        return admin.revoke_token(principal, token_id)

    return router


def install_security(app: FastAPI, admin: Admin, settings: Settings) -> None:
    """Authentication, rate limits, PII masking and the auth/users/tokens routers."""
    workspace = admin.ws
    app.state.authenticator = Authenticator(
        admin_token(settings),
        resolve=admin.principal_for_token,
        limits=optional_buckets(settings.api_rate_per_second, settings.api_rate_burst),
    )
    workspace.collector.throttle = optional_buckets(
        settings.write_key_events_per_second, settings.write_key_events_burst
    )
    per_minute = settings.login_attempts_per_minute
    login_limits = optional_buckets(per_minute / 60, per_minute)
    app.state.pii = WorkspacePii(PiiSchema.with_traits(settings.pii_traits), workspace.read)
    app.add_middleware(
        PiiMaskingMiddleware,
        schemas=app.state.pii,
        skip_paths=frozenset(f"/v1/{path}" for path in ENDPOINTS),
    )
    for exc_type, status, code in (
        (InvalidSecurityRequest, 400, "invalid_request"),
        (UserNotFound, 404, "not_found"),
        (TokenNotFound, 404, "not_found"),
        (UserExists, 409, "conflict"),
        (Forbidden, 403, "forbidden"),
        (LoginFailed, 401, "unauthorized"),
    ):

        def handler(
            request: Request, exc: Exception, status: int = status, code: str = code
        ) -> Response:
            return error_response(status, code, str(exc))

        app.add_exception_handler(exc_type, handler)
    app.include_router(auth_router(admin, login_limits))
    app.include_router(users_router(admin), dependencies=access("users"))
    app.include_router(tokens_router(admin), dependencies=access("tokens"))
