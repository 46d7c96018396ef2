"""Why a backup cannot be made, read or restored — each a reason the operator can act on."""

from __future__ import annotations


class BackupError(RuntimeError):
    """A backup or restore failed; the message says why and what to do."""


class NotABackup(BackupError):
    """The file is not an opencdp backup (or not one of a format this version reads)."""


class WrongKey(BackupError):
    """The backup was encrypted under a different master key."""


class MissingKey(BackupError):
    """No master key is configured for the data directory a backup is restored into."""


class BackupTruncated(BackupError):
    """The file ends before the backup does (an interrupted copy or a full disk)."""


class BackupDamaged(BackupError):
    """The file fails authentication or its checksums: altered or corrupted."""


class IncompatibleBackup(BackupError):
    """The backup's schema is newer than this opencdp understands."""


class DataDirInUse(BackupError):
    """A server or another process holds the database a restore would replace."""


class BackupNotFound(LookupError):
    """No backup of that name in the backup directory."""
