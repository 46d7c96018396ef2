"""Backup and restore: consistent, encrypted, checksummed snapshots of a data directory.

`create_backup` (while the server runs, through a reader cursor), `restore_backup`
(verifies first, never replaces a database in use, replays later erasures), `list_backups`
and `verify_backup`. The file format is in `container.py`, the snapshot in `snapshot.py`.
"""

from opencdp.backup.errors import (
    BackupDamaged,
    BackupError,
    BackupNotFound,
    BackupTruncated,
    DataDirInUse,
    IncompatibleBackup,
    MissingKey,
    NotABackup,
    WrongKey,
)
from opencdp.backup.restore import restore_backup, verify_backup
from opencdp.backup.service import backup_path, create_backup, list_backups

__all__ = [
    "BackupDamaged",
    "BackupError",
    "BackupNotFound",
    "BackupTruncated",
    "DataDirInUse",
    "IncompatibleBackup",
    "MissingKey",
    "NotABackup",
    "WrongKey",
    "backup_path",
    "create_backup",
    "list_backups",
    "restore_backup",
    "verify_backup",
]
