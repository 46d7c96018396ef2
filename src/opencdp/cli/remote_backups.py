"""The backup endpoints of a running server's admin API, as `Admin`'s backup methods."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx


class RemoteBackups:
    _http: httpx.Client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def create_backup(self, out: Path | None = None) -> dict[str, Any]:
        """The server backs up into its backup directory; with `out`, the file is then
        downloaded there too (the server's copy stays, under its retention)."""
        made = dict(self._call("POST", "/v1/backups", timeout=None))  # large stores take long
        if out is not None:
            self._download(made["name"], out, int(made["bytes"]))
            made["path"] = str(out)
            made["server_copy"] = made["name"]
        return made

    def list_backups(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/backups"))

    def _download(self, name: str, out: Path, size: int) -> None:
        partial = out.with_name(out.name + ".partial")
        with self._http.stream("GET", f"/v1/backups/{name}") as response:
            if response.status_code >= 400:
                response.read()
                self._call("GET", f"/v1/backups/{name}")  # raises with the server's message
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as sink:
                for chunk in response.iter_bytes(1 << 20):
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
        if partial.stat().st_size != size:
            partial.unlink()
            raise OSError(f"downloading backup {name} stopped early; try again")
        os.replace(partial, out)
