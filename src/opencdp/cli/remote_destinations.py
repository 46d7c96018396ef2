"""The destination endpoints of a running server's admin API, as `Admin`'s methods."""

from __future__ import annotations

from typing import Any


class RemoteDestinations:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def create_destination(
        self, name: str, kind: str, segment: str, purpose: str, config: dict[str, Any],
        schedule_minutes: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        body = {"name": name, "kind": kind, "segment": segment, "purpose": purpose,
                "config": config, "schedule_minutes": schedule_minutes}  # fmt: skip
        return dict(self._call("POST", "/v1/destinations", json=body))

    def configure_destination(
        self, name: str, config: dict[str, Any], purpose: str | None = None
    ) -> dict[str, Any]:
        body = {"config": config, "purpose": purpose}
        return dict(self._call("PATCH", f"/v1/destinations/{name}/config", json=body))

    def set_destination_audience(
        self, name: str, segment: str | None = None, schedule_minutes: int | None = None,
        unschedule: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        body = {"segment": segment, "schedule_minutes": schedule_minutes,
                "unschedule": unschedule}  # fmt: skip
        path = f"/v1/destinations/{name}/audience"
        return dict(self._call("PATCH", path, json=body))

    def list_destinations(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/destinations"))

    def get_destination(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/destinations/{name}"))

    def delete_destination(self, name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/destinations/{name}"))

    def sync_destination(self, name: str, mode: str = "incremental") -> dict[str, Any]:
        return dict(self._call("POST", f"/v1/destinations/{name}/sync", params={"mode": mode}))

    def destination_history(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/v1/destinations/{name}/syncs", params={"limit": limit}))

    def dead_letters(self, name: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/v1/destinations/{name}/dead-letters"))

    def replay_dead_letter(self, name: str, letter_id: str) -> dict[str, Any]:
        path = f"/v1/destinations/{name}/dead-letters/{letter_id}/replay"
        return dict(self._call("POST", path))
