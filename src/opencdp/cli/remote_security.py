"""The user and token endpoints of a running server's admin API, as `Admin`'s methods.

The `actor` argument of the token methods is ignored here: the server acts as the
principal of the CLI's credential (the data directory's admin token).
"""

from __future__ import annotations

from typing import Any

from opencdp.security.principal import Principal


class RemoteSecurity:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def create_user(self, name: str, role: str, password: str | None = None) -> dict[str, Any]:
        body = {"name": name, "role": role, "password": password}
        return dict(self._call("POST", "/v1/users", json=body))

    def list_users(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/users"))

    def get_user(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/users/{name}"))

    def update_user(
        self, name: str, role: str | None = None, disabled: bool | None = None
    ) -> dict[str, Any]:
        body = {"role": role, "disabled": disabled}
        return dict(self._call("PATCH", f"/v1/users/{name}", json=body))

    def set_password(self, name: str, password: str) -> dict[str, Any]:
        return dict(self._call("PUT", f"/v1/users/{name}/password", json={"password": password}))

    def create_token(
        self,
        actor: Principal,
        name: str,
        scopes: list[str],
        expires_days: float | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        body = {"name": name, "scopes": scopes, "expires_days": expires_days, "user": user}
        return dict(self._call("POST", "/v1/tokens", json=body))

    def list_tokens(
        self, actor: Principal, user: str | None = None, include_inactive: bool = False
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"all": include_inactive}
        if user is not None:
            params["user"] = user
        return list(self._call("GET", "/v1/tokens", params=params))

    def get_token(self, actor: Principal, token_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/tokens/{token_id}"))

    def revoke_token(self, actor: Principal, token_id: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/tokens/{token_id}"))
