"""The segment endpoints of a running server's admin API, as `Admin`'s segment methods."""

from __future__ import annotations

from typing import Any


class RemoteSegments:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def create_segment(
        self,
        name: str,
        where: str | None = None,
        definition: Any = None,
        description: str | None = None,
        realtime: bool = True,
    ) -> dict[str, Any]:
        body = {"name": name, "where": where, "definition": definition,
                "description": description, "realtime": realtime}  # fmt: skip
        return dict(self._call("POST", "/v1/segments", json=body))

    def update_segment(
        self, name: str, where: str | None = None, definition: Any = None
    ) -> dict[str, Any]:
        body = {"where": where, "definition": definition}
        return dict(self._call("PUT", f"/v1/segments/{name}", json=body))

    def delete_segment(self, name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/segments/{name}"))

    def list_segments(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/segments"))

    def get_segment(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/segments/{name}"))

    def preview_segment(
        self,
        where: str | None = None,
        definition: Any = None,
        sample: int = 10,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        body = {"where": where, "definition": definition, "sample": sample, "purpose": purpose}
        return dict(self._call("POST", "/v1/segments/preview", json=body))

    def count_segment(self, name: str, sample: int = 0) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/segments/{name}/count", params={"sample": sample}))

    def segment_members(
        self, name: str, limit: int = 100, offset: int = 0, purpose: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if purpose is not None:
            params["purpose"] = purpose
        return dict(self._call("GET", f"/v1/segments/{name}/members", params=params))

    def segment_history(
        self, name: str, profile_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if profile_id is not None:
            params["profile_id"] = profile_id
        return list(self._call("GET", f"/v1/segments/{name}/history", params=params))

    def evaluate_segments(self, name: str | None = None) -> list[dict[str, Any]]:
        path = "/v1/segments/evaluate" if name is None else f"/v1/segments/{name}/evaluate"
        return list(self._call("POST", path))
