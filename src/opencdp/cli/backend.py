"""How a CLI command reaches the data: the running server's API, or the file directly.

DuckDB lets one process write a database file. When `opencdp serve` runs on the data
directory (its `server.json` names a live process that answers `/health`), commands go
through its admin API; otherwise the command opens the file itself for its duration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast
from urllib.parse import quote

import httpx

from opencdp.admin import Admin
from opencdp.audit.model import cli_actor
from opencdp.audit.offline import AuditedAdmin
from opencdp.cli.audit_context import cli_reason, server_headers
from opencdp.cli.remote_audit import RemoteAudit
from opencdp.cli.remote_backups import RemoteBackups
from opencdp.cli.remote_consent import RemoteConsent
from opencdp.cli.remote_destinations import RemoteDestinations
from opencdp.cli.remote_predict import RemotePredictions
from opencdp.cli.remote_privacy import RemotePrivacy
from opencdp.cli.remote_security import RemoteSecurity
from opencdp.cli.remote_segments import RemoteSegments
from opencdp.cli.remote_traits import RemoteTraits
from opencdp.config import Settings
from opencdp.security.principal import Principal
from opencdp.sources.importer import Progress
from opencdp.workspace import Workspace, admin_token


class CommandError(Exception):
    """A command failed for a reason the user can act on (becomes exit status 1)."""


class Backend(Protocol):
    def create_source(
        self,
        name: str,
        max_message_bytes: int | None = None,
        max_batch_bytes: int | None = None,
        default_region: str | None = None,
    ) -> dict[str, Any]: ...
    def list_sources(self) -> list[dict[str, Any]]: ...
    def get_source(self, name: str) -> dict[str, Any]: ...
    def set_source_enabled(self, name: str, enabled: bool) -> dict[str, Any]: ...
    def rotate_write_key(self, name: str) -> dict[str, Any]: ...
    def set_source_limits(
        self, name: str, max_message_bytes: int | None, max_batch_bytes: int | None
    ) -> dict[str, Any]: ...
    def set_source_region(self, name: str, region: str | None) -> dict[str, Any]: ...
    def count_events(self, source: str | None = None) -> dict[str, Any]: ...
    def rebuild_identity(self) -> dict[str, Any]: ...
    def unmerge(self, identifier: str, origin: str) -> dict[str, Any]: ...
    def resolve_matches(self) -> dict[str, Any]: ...
    def review_queue(self, limit: int = 50) -> list[dict[str, Any]]: ...
    def decide_match(self, record_l: str, record_r: str, accept: bool) -> dict[str, Any]: ...
    def identity_clusters(self, source: str | None = None) -> list[dict[str, Any]]: ...
    def get_profile(
        self, identifier: str, limit: int = 50, before: int | None = None, event: str | None = None
    ) -> dict[str, Any]: ...
    def search_profiles(self, fragment: str, limit: int = 20) -> list[dict[str, Any]]: ...
    def recent_events(self, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]: ...
    def export_events(
        self, out: Path | BinaryIO, fmt: str, source: str | None = None, *,
        purpose: str | None = None,
    ) -> int: ...
    def list_quarantine(
        self, source: str | None = None, status: str | None = "pending", limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def replay_quarantined(
        self, quarantine_id: int, fixed_payload: Any = None
    ) -> dict[str, Any]: ...
    def discard_quarantined(self, quarantine_id: int) -> dict[str, Any]: ...
    def import_file(
        self,
        source: str,
        path: Path,
        mapping: dict[str, Any],
        fmt: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        progress: Progress | None = None,
        location: str | None = None,
    ) -> dict[str, Any]: ...
    def import_database(
        self,
        source: str,
        url: str,
        mapping: dict[str, Any],
        table: str | None = None,
        query: str | None = None,
        cursor: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]: ...
    def list_imports(self, source: str | None = None, limit: int = 50) -> list[dict[str, Any]]: ...
    def quality_report(self, source: str | None = None) -> dict[str, Any]: ...
    def create_segment(
        self, name: str, where: str | None = None, definition: Any = None,
        description: str | None = None, realtime: bool = True,
    ) -> dict[str, Any]: ...
    def update_segment(
        self, name: str, where: str | None = None, definition: Any = None
    ) -> dict[str, Any]: ...
    def delete_segment(self, name: str) -> dict[str, Any]: ...
    def list_segments(self) -> list[dict[str, Any]]: ...
    def get_segment(self, name: str) -> dict[str, Any]: ...
    def preview_segment(
        self, where: str | None = None, definition: Any = None, sample: int = 10,
        purpose: str | None = None,
    ) -> dict[str, Any]: ...
    def count_segment(self, name: str, sample: int = 0) -> dict[str, Any]: ...
    def segment_members(
        self, name: str, limit: int = 100, offset: int = 0, purpose: str | None = None
    ) -> dict[str, Any]: ...
    def segment_history(
        self, name: str, profile_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def evaluate_segments(self, name: str | None = None) -> list[dict[str, Any]]: ...
    def create_destination(
        self, name: str, kind: str, segment: str, purpose: str, config: dict[str, Any],
        schedule_minutes: int | None = None,
    ) -> dict[str, Any]: ...
    def list_destinations(self) -> list[dict[str, Any]]: ...
    def get_destination(self, name: str) -> dict[str, Any]: ...
    def delete_destination(self, name: str) -> dict[str, Any]: ...
    def configure_destination(
        self, name: str, config: dict[str, Any], purpose: str | None = None
    ) -> dict[str, Any]: ...
    def set_destination_audience(
        self, name: str, segment: str | None = None, schedule_minutes: int | None = None,
        unschedule: bool = False,
    ) -> dict[str, Any]: ...
    def sync_destination(self, name: str, mode: str = "incremental") -> dict[str, Any]: ...
    def destination_history(self, name: str, limit: int = 100) -> list[dict[str, Any]]: ...
    def dead_letters(self, name: str) -> list[dict[str, Any]]: ...
    def replay_dead_letter(self, name: str, letter_id: str) -> dict[str, Any]: ...
    def define_computed_trait(self, name: str, definition: Any) -> dict[str, Any]: ...
    def list_computed_traits(self) -> list[dict[str, Any]]: ...
    def get_computed_trait(self, name: str) -> dict[str, Any]: ...
    def delete_computed_trait(self, name: str) -> dict[str, Any]: ...
    def compute_traits(self, names: list[str] | None = None) -> dict[str, Any]: ...
    def train_prediction(
        self, kind: str, name: str | None = None, options: dict[str, Any] | None = None,
        refresh_hours: float | None = None, as_of: str | None = None,
    ) -> dict[str, Any]: ...
    def refresh_predictions(self, as_of: str | None = None) -> list[dict[str, Any]]: ...
    def list_predictions(self) -> list[dict[str, Any]]: ...
    def get_prediction(self, name: str) -> dict[str, Any]: ...
    def delete_prediction(self, name: str) -> dict[str, Any]: ...
    def list_prediction_models(
        self, name: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def get_prediction_model(self, model_id: str) -> dict[str, Any]: ...
    def prediction_scores(
        self, name: str, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]: ...
    def profile_recommendations(
        self, identifier: str, name: str = "next_product", limit: int = 10
    ) -> dict[str, Any]: ...
    def prediction_trends(
        self, by: str = "product", days: int = 30, limit: int = 10, as_of: str | None = None
    ) -> dict[str, Any]: ...
    def prediction_list(
        self, which: str, limit: int = 100, days: int = 30, as_of: str | None = None
    ) -> dict[str, Any]: ...
    def privacy_export(self, identifier: str) -> dict[str, Any]: ...
    def privacy_erase(self, identifier: str) -> dict[str, Any]: ...
    def privacy_requests(
        self, status: str | None = None, kind: str | None = None, overdue: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]: ...
    def privacy_request(self, request_id: str) -> dict[str, Any]: ...
    def privacy_request_export(self, request_id: str) -> dict[str, Any]: ...
    def suppression_status(self) -> dict[str, Any]: ...
    def retention_policies(self) -> list[dict[str, Any]]: ...
    def set_retention_policy(
        self, name: str, max_age: str, source: str | None = None, event: str | None = None
    ) -> dict[str, Any]: ...
    def delete_retention_policy(self, name: str) -> dict[str, Any]: ...
    def apply_retention(self, names: list[str] | None = None) -> list[dict[str, Any]]: ...
    def state_consent(
        self, identifier: str, purpose: str, granted: bool, legal_basis: str = "consent",
        stated_at: str | None = None, policy_version: str | None = None,
        expires_at: str | None = None, jurisdiction: str | None = None, note: str | None = None,
    ) -> dict[str, Any]: ...
    def get_consents(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> dict[str, Any]: ...
    def consent_history(
        self, identifier: str, purpose: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def list_purposes(self) -> list[dict[str, Any]]: ...
    def export_people(
        self, out: Path | BinaryIO, fmt: str, purpose: str, segment: str | None = None
    ) -> int: ...
    def add_purpose(
        self, name: str, description: str | None = None, aliases: list[str] | None = None
    ) -> dict[str, Any]: ...
    def create_backup(self, out: Path | None = None) -> dict[str, Any]: ...
    def list_backups(self) -> list[dict[str, Any]]: ...
    def audit_verify(self) -> dict[str, Any]: ...
    def audit_log(
        self, user: str | None = None, profile: str | None = None, since: str | None = None,
        action: str | None = None, limit: int = 100,
    ) -> list[dict[str, Any]]: ...
    def audit_report(
        self, profile: str | None = None, user: str | None = None, since: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]: ...
    def audit_alerts(self, since: str | None = None, limit: int = 100) -> list[dict[str, Any]]: ...
    # users and tokens (`actor` is used offline; the server acts as the caller's token)
    def create_user(self, name: str, role: str, password: str | None = None) -> dict[str, Any]: ...
    def list_users(self) -> list[dict[str, Any]]: ...
    def update_user(
        self, name: str, role: str | None = None, disabled: bool | None = None
    ) -> dict[str, Any]: ...
    def set_password(self, name: str, password: str) -> dict[str, Any]: ...
    def create_token(
        self, actor: Principal, name: str, scopes: list[str], expires_days: float | None = None,
        user: str | None = None,
    ) -> dict[str, Any]: ...  # fmt: skip
    def list_tokens(
        self, actor: Principal, user: str | None = None, include_inactive: bool = False
    ) -> list[dict[str, Any]]: ...
    def revoke_token(self, actor: Principal, token_id: str) -> dict[str, Any]: ...


def running_server_url(settings: Settings) -> str | None:
    """The URL of a live server on this data directory, if one runs."""
    try:
        info = json.loads(settings.server_file.read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = str(info["url"]).replace("://0.0.0.0:", "://127.0.0.1:")
    try:
        healthy = httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return None
    return url if healthy else None


class RemoteBackend(RemotePredictions, RemoteConsent,
                    RemoteSegments, RemoteDestinations, RemoteTraits, RemoteBackups,
                    RemoteAudit, RemotePrivacy, RemoteSecurity):
    """The admin API of a running server, with the same methods as `Admin`."""

    def __init__(self, url: str, token: str) -> None:
        self._http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}", **server_headers()},
            timeout=300.0,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise CommandError(message)
        return response.json()

    def create_source(
        self,
        name: str,
        max_message_bytes: int | None = None,
        max_batch_bytes: int | None = None,
        default_region: str | None = None,
    ) -> dict[str, Any]:
        body = {"name": name, "max_message_bytes": max_message_bytes,
                "max_batch_bytes": max_batch_bytes, "default_region": default_region}  # fmt: skip
        return dict(self._call("POST", "/v1/sources", json=body))

    def list_sources(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/sources"))

    def get_source(self, name: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/sources/{name}"))

    def set_source_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        action = "enable" if enabled else "disable"
        return dict(self._call("POST", f"/v1/sources/{name}/{action}"))

    def rotate_write_key(self, name: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/v1/sources/{name}/rotate-key"))

    def set_source_limits(
        self, name: str, max_message_bytes: int | None, max_batch_bytes: int | None
    ) -> dict[str, Any]:
        body = {"max_message_bytes": max_message_bytes, "max_batch_bytes": max_batch_bytes}
        return dict(self._call("PUT", f"/v1/sources/{name}/limits", json=body))

    def set_source_region(self, name: str, region: str | None) -> dict[str, Any]:
        body = {"default_region": region}
        return dict(self._call("PUT", f"/v1/sources/{name}/region", json=body))

    def rebuild_identity(self) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/identity/rebuild"))

    def resolve_matches(self) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/identity/resolve"))

    def review_queue(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/identity/review", params={"limit": limit}))

    def decide_match(self, record_l: str, record_r: str, accept: bool) -> dict[str, Any]:
        path = f"/v1/identity/review/{'accept' if accept else 'reject'}"
        return dict(self._call("POST", path, json={"record_l": record_l, "record_r": record_r}))

    def unmerge(self, identifier: str, origin: str) -> dict[str, Any]:
        path = f"/v1/profiles/{quote(identifier, safe='')}/unmerge"
        return dict(self._call("POST", path, json={"origin": origin}))

    def identity_clusters(self, source: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/identity/clusters", params=_params(source=source)))

    def get_profile(
        self, identifier: str, limit: int = 50, before: int | None = None, event: str | None = None
    ) -> dict[str, Any]:
        params = _params(limit=limit, before=before, event=event)
        return dict(self._call("GET", f"/v1/profiles/{quote(identifier, safe='')}", params=params))

    def search_profiles(self, fragment: str, limit: int = 20) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/profiles", params={"q": fragment, "limit": limit}))

    def count_events(self, source: str | None = None) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/events/count", params=_params(source=source)))

    def recent_events(self, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/events", params=_params(source=source, limit=limit)))

    def export_events(
        self, out: Path | BinaryIO, fmt: str, source: str | None = None, *,
        purpose: str | None = None,
    ) -> int:
        params = _params(source=source, format=fmt, purpose=purpose)
        return self._stream_export("/v1/events/export", params, out)

    def _stream_export(self, path: str, params: dict[str, Any], out: Path | BinaryIO) -> int:
        """Stream an export endpoint's file into `out`; returns its X-Row-Count."""
        with self._http.stream("GET", path, params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise CommandError(response.json().get("message", response.text))
            rows = int(response.headers.get("x-row-count", "-1"))
            sink = open(out, "wb") if isinstance(out, Path) else out  # noqa: SIM115
            try:
                for chunk in response.iter_bytes():
                    sink.write(chunk)
            finally:
                if isinstance(out, Path):
                    sink.close()
        return rows

    def list_quarantine(
        self, source: str | None = None, status: str | None = "pending", limit: int = 100
    ) -> list[dict[str, Any]]:
        params = _params(source=source, status=status or "all", limit=limit)
        return list(self._call("GET", "/v1/quarantine", params=params))

    def replay_quarantined(self, quarantine_id: int, fixed_payload: Any = None) -> dict[str, Any]:
        body = {"payload": fixed_payload}
        return dict(self._call("POST", f"/v1/quarantine/{quarantine_id}/replay", json=body))

    def discard_quarantined(self, quarantine_id: int) -> dict[str, Any]:
        return dict(self._call("POST", f"/v1/quarantine/{quarantine_id}/discard"))

    def import_file(
        self,
        source: str,
        path: Path,
        mapping: dict[str, Any],
        fmt: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        progress: Progress | None = None,
        location: str | None = None,
    ) -> dict[str, Any]:
        params = _params(format=fmt, encoding=encoding, delimiter=delimiter)
        with open(path, "rb") as handle:
            return dict(
                self._call(
                    "POST", f"/v1/sources/{source}/imports", params=params,
                    files={"file": (path.name, handle)},
                    data={"mapping": json.dumps(mapping)},
                )
            )  # fmt: skip

    def import_database(
        self,
        source: str,
        url: str,
        mapping: dict[str, Any],
        table: str | None = None,
        query: str | None = None,
        cursor: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        body = {"url": url, "table": table, "query": query, "cursor": cursor, "mapping": mapping}
        return dict(self._call("POST", f"/v1/sources/{source}/imports/database", json=body))

    def list_imports(self, source: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        if source is None:
            raise CommandError("give --source to list imports through the server")
        return list(self._call("GET", f"/v1/sources/{source}/imports", params={"limit": limit}))

    def quality_report(self, source: str | None = None) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/quality", params=_params(source=source)))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@contextmanager
def open_backend(settings: Settings) -> Iterator[Backend]:
    url = running_server_url(settings)
    if url is not None:
        yield RemoteBackend(url, admin_token(settings))
        return
    with Workspace(settings) as workspace:
        # Every audited call is recorded with the local user as actor (cli:<os user>).
        yield cast(Backend, AuditedAdmin(Admin(workspace), workspace.audit, cli_actor(),
                                         cli_reason()))  # fmt: skip
