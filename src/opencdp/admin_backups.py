"""Management operations for backups (part of `Admin`): make one now, list, fetch a file.

A restore is not here on purpose: it replaces the database under the workspace, so it only
runs from the command line with no server on the data directory (`opencdp restore`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opencdp.backup import backup_path, create_backup, list_backups
from opencdp.workspace import Workspace


class BackupAdmin:
    ws: Workspace

    def create_backup(self, out: Path | None = None) -> dict[str, Any]:
        """Back up as of now into `out`, or into the backup directory with retention."""
        return create_backup(self.ws, out)

    def list_backups(self) -> list[dict[str, Any]]:
        return list_backups(self.ws.settings)

    def backup_file(self, name: str) -> Path:
        return backup_path(self.ws.settings, name)
