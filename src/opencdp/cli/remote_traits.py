"""The computed-trait endpoints of a running server's admin API, as `Admin`'s methods."""

from __future__ import annotations

from typing import Any


class RemoteTraits:
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def define_computed_trait(self, name: str, definition: Any) -> dict[str, Any]:
        return dict(self._call("PUT", f"/v1/computed-traits/{name}", json=definition))

    def list_computed_traits(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/computed-traits"))

    def get_computed_trait(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/computed-traits/{name}"))

    def delete_computed_trait(self, name: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/v1/computed-traits/{name}"))

    def compute_traits(self, names: list[str] | None = None) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/computed-traits/compute", json={"names": names}))
