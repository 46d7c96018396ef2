"""Settings: environment first, then a TOML config file, then defaults.

Every setting is a field of `Settings` with a `doc` in its metadata; `docs/configuration.md`
is checked against this module by the test suite, so a setting cannot go undocumented.
The config file is `OPENCDP_CONFIG` if set, else `opencdp.toml` inside the data directory.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "OPENCDP_"


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one opencdp installation (one data directory)."""

    data_dir: Path = _setting(
        Path("./opencdp-data"),
        "Directory holding the DuckDB database, the admin token and server state.",
    )
    host: str = _setting("127.0.0.1", "Interface the HTTP server listens on.")
    port: int = _setting(8700, "TCP port the HTTP server listens on.")
    admin_token: str = _setting(
        "",
        "Bearer token for the admin API. Empty: generated once and kept in "
        "`<data_dir>/admin-token` (mode 0600).",
    )
    master_key: str = _setting(
        "",
        "Master key (32 bytes, base64 or hex) from which the keys for suppression hashes, "
        "backups and field encryption are derived; kept out of the database and backups. "
        "Empty: read from `master_key_file`.",
    )
    master_key_file: Path | None = _setting(
        None,
        "File holding the master key when `master_key` is empty; default "
        "`<data_dir>/master.key`, created once (mode 0600). Keep a copy apart from backups.",
    )
    field_encryption: bool = _setting(
        False,
        "Encrypt personal data at rest in new data directories: identifiers stored as keyed "
        "pseudonyms, personal trait and property values sealed (AES-GCM) under a key per "
        "person kept in `<data_dir>/keystore.sqlite`, destroyed on erasure. A directory "
        "keeps the mode it was created in. See docs/design/encryption-at-rest.md.",
    )
    backup_dir: Path | None = _setting(
        None,
        "Directory the server (and `opencdp backup` without `-o`) writes backups into; "
        "default `<data_dir>/backups`.",
    )
    backup_keep: int = _setting(
        7,
        "How many backups to keep in `backup_dir`: after each new backup the oldest beyond "
        "this many are deleted; 0 keeps all.",
    )
    max_message_bytes: int = _setting(
        32 * 1024,
        "Default largest single message a source accepts (Segment's 32 KB). "
        "A source may override it up to 4 MB.",
    )
    max_batch_bytes: int = _setting(
        500 * 1024,
        "Default largest request body, after decompression, a source accepts (Segment's "
        "500 KB). A source may override it up to 4 MB (RudderStack SDK batches).",
    )
    max_pending_events: int = _setting(
        250_000,
        "Events waiting for the writer above which the collector answers 503 with "
        "Retry-After instead of queueing more (back-pressure keeps memory bounded).",
    )
    max_commit_events: int = _setting(
        50_000,
        "Most events the writer puts in one group commit.",
    )
    dedupe_messages: int = _setting(
        4_000_000,
        "Deduplication remembers the messageIds of at least this many most recent messages "
        "(at most twice as many), across restarts; 16 bytes of memory per message.",
    )
    checkpoint_wal_bytes: int = _setting(
        256 * 1024 * 1024,
        "Write-ahead-log size at which DuckDB folds the log into the database file.",
    )
    database_memory: str = _setting(
        "1GB",
        "Memory DuckDB may use for its buffer cache and queries (e.g. `512MB`, `4GB`); past "
        "it, data is evicted or spilled to disk, so a long-running server's memory stays flat.",
    )
    identity_stitching: bool = _setting(
        True,
        "Whether the server resolves identities in real time (a thread applying each commit "
        "within a second). Off: collected events reach profiles at the next import or "
        "`opencdp identity rebuild`, and the server's CPU goes to collection.",
    )
    resolve_after_import: bool = _setting(
        True,
        "Whether a command-line import resolves identities before it returns when no server "
        "runs (a running server resolves every commit in the background anyway).",
    )
    privacy_export_days: int = _setting(
        30,
        "Days a stored access export (`privacy/exports/<request>.json`, every personal datum "
        "held about one person) is kept for download; then the scheduler deletes it. 0: kept "
        "until the person is erased. See docs/privacy.md.",
    )
    schedule_seconds: float = _setting(
        300.0,
        "How often the server re-evaluates what time alone changes (segments with time "
        "windows, windowed computed traits) and runs destination syncs that are due; 0 turns "
        "the schedule off.",
    )
    destination_folders: str = _setting(
        "",
        "Comma-separated folders that destinations writing files (file, ad and e-mail lists) "
        "may write into, with their subfolders; a relative destination `path` is placed in "
        "the first. Empty: `<data_dir>/exports`. See docs/destinations.md.",
    )
    destination_allowed_hosts: str = _setting(
        "",
        "Comma-separated host names, IP addresses or networks (CIDR, e.g. `10.0.0.0/8`) that "
        "webhook and database destinations may reach although they are loopback, private, "
        "link-local or otherwise not public; `*` allows every host. Empty: public addresses "
        "only. See docs/destinations.md.",
    )
    pii_traits: str = _setting(
        "",
        "Comma-separated trait names that are personal data besides the built-in list "
        "(email, phone, names, address, birthday, ip, ...); masked for roles without PII "
        "access. See docs/security.md.",
    )
    password_min_length: int = _setting(12, "Fewest characters a user's password may have.")
    session_hours: float = _setting(
        12.0, "Lifetime of the session token a login returns, in hours."
    )
    token_default_days: int = _setting(
        90, "Lifetime of an API token created without an explicit expiry, in days."
    )
    token_max_days: int = _setting(365, "Longest lifetime an API token may be given, in days.")
    api_rate_per_second: float = _setting(
        50.0,
        "Admin API requests per second each token (or the admin token) may make on average; "
        "past it the API answers 429 with Retry-After. 0: no limit.",
    )
    api_rate_burst: int = _setting(
        500, "Admin API requests a token may make at once before `api_rate_per_second` applies."
    )
    write_key_events_per_second: float = _setting(
        20_000.0,
        "Events per second each source's write key may send on average (a batch counts each "
        "message); past it the collector answers 429 with Retry-After. 0: no limit.",
    )
    write_key_events_burst: int = _setting(
        50_000, "Events a write key may send at once before the per-second limit applies."
    )
    login_attempts_per_minute: float = _setting(
        10.0,
        "Login attempts per minute allowed for one user name and for one client address "
        "(each may burst to this many); past it logins answer 429.",
    )
    audit_alert_factor: float = _setting(
        5.0,
        "An actor's profile reads (or exports) today raise an unusual-access alert when they "
        "reach this many times their own daily average over the past 14 days.",
    )
    audit_alert_min_reads: int = _setting(
        200,
        "Fewest profile reads, searches and other reads of customer data in one day that can "
        "raise an unusual-access alert, however small the actor's usual.",
    )
    audit_alert_min_exports: int = _setting(
        10,
        "Fewest exports and destination syncs in one day that can raise an unusual-access "
        "alert, however small the actor's usual.",
    )
    log_level: str = _setting("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.")
    log_format: str = _setting("json", "Log format: `json` (one object per line) or `text`.")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "opencdp.duckdb"

    @property
    def server_file(self) -> Path:
        return self.data_dir / "server.json"


def setting_docs() -> dict[str, str]:
    """Name → documentation of every setting (used by docs and the docs test)."""
    return {f.name: str(f.metadata["doc"]) for f in fields(Settings)}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _coerce(kind: Any, value: Any, name: str) -> Any:
    converters: dict[str, Callable[[Any], Any]] = {
        "Path": Path, "int": int, "float": float, "str": str, "bool": _boolean,
    }  # fmt: skip
    name_of_kind = kind if isinstance(kind, str) else kind.__name__
    target = converters[name_of_kind.removesuffix(" | None")]
    try:
        return target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r} as {kind}") from exc


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Resolve settings: explicit overrides (CLI flags) → environment → config file → default."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    data_dir = overrides.get("data_dir") or env.get(f"{ENV_PREFIX}DATA_DIR")
    config_path = env.get(f"{ENV_PREFIX}CONFIG")
    base = Path(data_dir) if data_dir else Settings().data_dir
    path = Path(config_path) if config_path else base / "opencdp.toml"
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        unknown = set(from_file) - {f.name for f in fields(Settings)}
        if unknown:
            raise ConfigError(f"config file {path}: unknown settings {sorted(unknown)}")
        values.update(from_file)
    for f in fields(Settings):
        env_value = env.get(ENV_PREFIX + f.name.upper())
        if env_value is not None and env_value != "":
            values[f.name] = env_value
        if overrides.get(f.name) is not None:
            values[f.name] = overrides[f.name]
    settings = Settings()
    coerced = {
        f.name: _coerce(f.type, values[f.name], f.name)
        for f in fields(Settings)
        if f.name in values
    }
    return replace(settings, **coerced)
