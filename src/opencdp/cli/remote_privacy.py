"""The privacy endpoints of a running server's admin API, as `Admin`'s privacy methods."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


class RemotePrivacy:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def privacy_export(self, identifier: str) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/privacy/access", json={"identifier": identifier}))

    def privacy_erase(self, identifier: str) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/privacy/erasure", json={"identifier": identifier}))

    def privacy_requests(
        self, status: str | None = None, kind: str | None = None, overdue: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]:  # fmt: skip
        params: dict[str, Any] = {"overdue": overdue, "limit": limit}
        params.update({k: v for k, v in (("status", status), ("kind", kind)) if v is not None})
        return list(self._call("GET", "/v1/privacy/requests", params=params))

    def privacy_request(self, request_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/privacy/requests/{quote(request_id, safe='')}"))

    def privacy_request_export(self, request_id: str) -> dict[str, Any]:
        path = f"/v1/privacy/requests/{quote(request_id, safe='')}/export"
        return dict(self._call("GET", path))

    def suppression_status(self) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/privacy/suppression"))

    def retention_policies(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/privacy/retention"))

    def set_retention_policy(
        self, name: str, max_age: str, source: str | None = None, event: str | None = None
    ) -> dict[str, Any]:
        body = {"max_age": max_age, "source": source, "event": event}
        return dict(self._call("PUT", f"/v1/privacy/retention/{quote(name, safe='')}", json=body))

    def delete_retention_policy(self, name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/privacy/retention/{quote(name, safe='')}"))

    def apply_retention(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        return list(self._call("POST", "/v1/privacy/retention/apply", json={"names": names}))
