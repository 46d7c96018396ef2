"""The audit endpoints of a running server's admin API, as `Admin`'s audit methods."""

from __future__ import annotations

from typing import Any


class RemoteAudit:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def audit_verify(self) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/audit/verify"))

    def audit_log(
        self,
        user: str | None = None,
        profile: str | None = None,
        since: str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        params = _params(user=user, profile=profile, since=since, action=action, limit=limit)
        return list(self._call("GET", "/v1/audit/log", params=params))

    def audit_report(
        self,
        profile: str | None = None,
        user: str | None = None,
        since: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        params = _params(profile=profile, user=user, since=since, limit=limit)
        return dict(self._call("GET", "/v1/audit/report", params=params))

    def audit_alerts(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/audit/alerts", params=_params(since=since, limit=limit)))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
