"""The master key and what is derived from it.

The master key never enters the database or a backup: it comes from `OPENCDP_MASTER_KEY`
(setting `master_key`, 32 bytes as base64 or hex) or from the key file (setting
`master_key_file`, default `<data_dir>/master.key`, created once with mode 0600; keep a copy
apart from the backups, or hold it in a KMS and pass it in the environment). Every other key
is derived from it with HKDF-SHA256 and a purpose label, so one secret serves suppression
hashes, backups and field encryption without any of them sharing a key.

The default key file keeps the one-command demo working, but it lives in the data
directory: whoever copies that directory (a disk, a VM snapshot, the same unix user) has
the key too, and with it can recompute the audit chain and open every backup. The server
therefore warns at start while the key is there (`key_exposure`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from opencdp.config import Settings

KEY_BYTES = 32
log = logging.getLogger(__name__)


class MasterKeyError(RuntimeError):
    """The master key is missing, unreadable or of the wrong length."""


def load_master_key(settings: Settings) -> bytes:
    """The installation's master key: the configured one, else the key file (created once)."""
    if settings.master_key:
        return _decode(settings.master_key, "setting master_key")
    path = key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
    return _decode(path.read_text(encoding="ascii").strip(), f"key file {path}")


def key_file(settings: Settings) -> Path:
    return settings.master_key_file or settings.data_dir / "master.key"


def key_exposure(settings: Settings) -> str | None:
    """Why the master key is poorly kept, if it is: its file lies in the data directory
    or the backup directory, next to what it is meant to protect. None when it comes from
    the environment or lies elsewhere."""
    if settings.master_key:
        return None
    path = key_file(settings).resolve()
    places = [("data directory", settings.data_dir)]
    if settings.backup_dir is not None:
        places.append(("backup directory", settings.backup_dir))
    for name, folder in places:
        if path.is_relative_to(folder.resolve()):
            return (
                f"the master key file {path} is inside the {name} {folder}: whoever copies "
                "that directory can also open the backups and rewrite the audit log. Keep "
                "it elsewhere: set OPENCDP_MASTER_KEY (from a secret store) or "
                "master_key_file to a path outside it (docs/security.md)"
            )
    return None


def warn_key_exposure(settings: Settings) -> None:
    """Log a warning at server start while the master key lies beside the data."""
    problem = key_exposure(settings)
    if problem is not None:
        log.warning(problem)


def derive_key(master: bytes, purpose: str, context: bytes = b"") -> bytes:
    """A 32-byte key for one purpose (and optionally one subject), from the master key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
        info=b"opencdp/" + purpose.encode() + b"/" + context,
    ).derive(master)  # fmt: skip


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` as hex: equality lookups without keeping the value."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _decode(text: str, where: str) -> bytes:
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == KEY_BYTES:
            return raw
    raise MasterKeyError(f"{where}: expected {KEY_BYTES} bytes as hex or base64")
