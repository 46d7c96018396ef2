"""The consent endpoints of a running server's admin API, as `Admin`'s consent methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote


class RemoteConsent:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _stream_export(self, path: str, params: dict[str, Any], out: Path | BinaryIO) -> int:
        raise NotImplementedError

    def export_people(
        self, out: Path | BinaryIO, fmt: str, purpose: str, segment: str | None = None
    ) -> int:
        params = {"purpose": purpose, "format": fmt}
        path = "/v1/profiles/export"
        if segment is not None:
            path = f"/v1/segments/{quote(segment, safe='')}/export"
        return self._stream_export(path, params, out)

    def state_consent(
        self,
        identifier: str,
        purpose: str,
        granted: bool,
        legal_basis: str = "consent",
        stated_at: str | None = None,
        policy_version: str | None = None,
        expires_at: str | None = None,
        jurisdiction: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        body = {"identifier": identifier, "purpose": purpose, "granted": granted,
                "legal_basis": legal_basis, "stated_at": stated_at,
                "policy_version": policy_version, "expires_at": expires_at,
                "jurisdiction": jurisdiction, "note": note}  # fmt: skip
        return dict(self._call("POST", "/v1/consents", json=body))

    def record_consents(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("POST", "/v1/consents/batch", json={"statements": statements}))

    def get_consents(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if purpose is not None:
            params["purpose"] = purpose
        path = f"/v1/profiles/{quote(identifier, safe='')}/consents"
        return dict(self._call("GET", path, params=params))

    def consent_history(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        return list(self.get_consents(identifier, purpose, limit)["history"])

    def list_purposes(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/consents/purposes"))

    def add_purpose(
        self, name: str, description: str | None = None, aliases: list[str] | None = None
    ) -> dict[str, Any]:
        body = {"name": name, "description": description, "aliases": aliases or []}
        return dict(self._call("POST", "/v1/consents/purposes", json=body))
