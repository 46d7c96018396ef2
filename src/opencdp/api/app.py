"""The FastAPI application: collection, admin API and health, over one open workspace."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from starlette.responses import Response

from opencdp import __version__
from opencdp.activate import DeadLetterNotFound, DestinationNotFound, SyncInProgress
from opencdp.admin import Admin, NotFound
from opencdp.api.audit import audit_router
from opencdp.api.audit_middleware import AuditMiddleware
from opencdp.api.auth import access
from opencdp.api.backups import backups_router
from opencdp.api.collect import ENDPOINTS, collection_router
from opencdp.api.computed_traits import computed_traits_router
from opencdp.api.consents import consents_router
from opencdp.api.destinations import destinations_router
from opencdp.api.errors import error_response, install_error_handlers
from opencdp.api.events import events_router
from opencdp.api.exports import exports_router
from opencdp.api.imports import imports_router
from opencdp.api.openapi import document_errors
from opencdp.api.predictions import predictions_router
from opencdp.api.privacy import privacy_router
from opencdp.api.profiles import profiles_router
from opencdp.api.quality import quality_router
from opencdp.api.security import install_security
from opencdp.api.segments import segments_router
from opencdp.api.sources import sources_router
from opencdp.backup import BackupNotFound
from opencdp.collect.replay import ReplayError
from opencdp.collect.sources import InvalidSourceSetting, SourceError, SourceNotFound
from opencdp.config import Settings
from opencdp.db.connection import fetch_one
from opencdp.predict.registry import PredictionNotFound
from opencdp.privacy.consent import ConsentNotFound
from opencdp.privacy.requests import RequestFailed, RequestNotFound
from opencdp.privacy.retention import RetentionPolicyNotFound
from opencdp.privacy.suppression import IdentifierSuppressed
from opencdp.profiles.computed import ComputedTraitNotFound
from opencdp.segments.errors import InvalidSegment
from opencdp.segments.service import SegmentNotFound
from opencdp.sources.databases import DatabaseSourceError
from opencdp.sources.mapping import MappingError
from opencdp.sources.readers import UnreadableFile
from opencdp.workspace import Workspace


def create_app(settings: Settings) -> FastAPI:
    """Build the app; the workspace opens on startup and closes (checkpointed) on shutdown."""
    workspace = Workspace(settings)
    admin = Admin(workspace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _write_server_file(settings)
        if settings.identity_stitching:
            workspace.start_stitching()
        workspace.start_schedule()
        try:
            yield
        finally:
            settings.server_file.unlink(missing_ok=True)
            workspace.close()

    app = FastAPI(title="opencdp", version=__version__, lifespan=lifespan)
    app.state.workspace = workspace
    install_error_handlers(app)
    document_errors(app)
    _map_domain_errors(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/ready", tags=["health"])
    def ready() -> Response:
        if workspace.writer.pending >= settings.max_pending_events:
            return error_response(503, "overloaded", "writer queue is full", {"Retry-After": "1"})
        workspace.read(lambda con: fetch_one(con, "SELECT 1"))
        return Response(b'{"status": "ready"}', media_type="application/json")

    app.include_router(collection_router(workspace.collector))
    # One audit entry per access of customer data, login and change, keyed on the route.
    app.add_middleware(AuditMiddleware, log=workspace.audit,
                       skip_paths=[f"/v1/{path}" for path in ENDPOINTS])  # fmt: skip
    # Every admin router states the resource it acts on: GET needs `<resource>:read`, other
    # methods `<resource>:write`, with the listed exceptions (docs/security.md has the table;
    # tests/api/test_route_permissions.py fails for a route without one).
    install_security(app, admin, settings)
    app.include_router(sources_router(admin), dependencies=access("sources"))
    app.include_router(events_router(admin), dependencies=access("events"))
    app.include_router(imports_router(admin), dependencies=access("imports"))
    app.include_router(quality_router(admin), dependencies=access("quality"))
    # before profiles: `/v1/profiles/{identifier:path}` would take `.../consents` too
    app.include_router(consents_router(admin), dependencies=access("consent", {
        ("GET", "/v1/profiles/{identifier:path}/consents"): ("consent:read", "profiles:read"),
    }))  # fmt: skip
    app.include_router(exports_router(admin), dependencies=access("profiles", {
        # files of people's values cannot be masked usefully: they need PII access
        ("GET", "/v1/profiles/export"): ("profiles:read", "consent:read", "pii:read"),
        ("GET", "/v1/segments/{name}/export"): (
            "segments:read", "profiles:read", "consent:read", "pii:read"),
    }))  # fmt: skip
    app.include_router(profiles_router(admin), dependencies=access("profiles"))
    app.include_router(segments_router(admin), dependencies=access("segments", {
        ("POST", "/v1/segments/preview"): ("segments:read",),
        # members carry profile traits: reading them is reading profiles
        ("GET", "/v1/segments/{name}/members"): ("segments:read", "profiles:read"),
    }))  # fmt: skip
    app.include_router(destinations_router(admin), dependencies=access("destinations", {
        # where personal data goes (URL, database, folder, traits, purpose): admins only
        ("POST", "/v1/destinations"): ("destinations:configure",),
        ("PATCH", "/v1/destinations/{name}/config"): ("destinations:configure",),
        ("DELETE", "/v1/destinations/{name}"): ("destinations:configure",),
    }))  # fmt: skip
    app.include_router(computed_traits_router(admin), dependencies=access("traits"))
    app.include_router(audit_router(admin), dependencies=access("audit"))
    app.include_router(backups_router(admin), dependencies=access("backup"))
    app.include_router(predictions_router(admin), dependencies=access("predictions", {
        ("GET", "/v1/predictions/recommendations/{identifier:path}"):
            ("predictions:read", "profiles:read"),
    }))  # fmt: skip
    app.include_router(privacy_router(admin), dependencies=access("privacy"))
    return app


def _map_domain_errors(app: FastAPI) -> None:
    statuses: list[tuple[type[Exception], int, str]] = [
        (SourceNotFound, 404, "not_found"),
        (InvalidSourceSetting, 400, "invalid_source_setting"),
        (NotFound, 404, "not_found"),
        (ConsentNotFound, 404, "not_found"),
        (SegmentNotFound, 404, "not_found"),
        (DestinationNotFound, 404, "not_found"),
        (DeadLetterNotFound, 404, "not_found"),
        (ComputedTraitNotFound, 404, "not_found"),
        (RequestNotFound, 404, "not_found"),
        (RequestFailed, 500, "request_failed"),
        (IdentifierSuppressed, 409, "suppressed"),
        (RetentionPolicyNotFound, 404, "not_found"),
        (BackupNotFound, 404, "not_found"),
        (PredictionNotFound, 404, "not_found"),
        (SyncInProgress, 409, "sync_in_progress"),
        (InvalidSegment, 400, "invalid_segment"),
        (SourceError, 409, "conflict"),
        (MappingError, 400, "invalid_mapping"),
        (UnreadableFile, 400, "unreadable_file"),
        (DatabaseSourceError, 400, "database_error"),
        (ReplayError, 409, "cannot_replay"),
        (ValueError, 400, "invalid_request"),
    ]
    for exc_type, status, code in statuses:

        def handler(
            request: Request, exc: Exception, status: int = status, code: str = code
        ) -> Response:
            return error_response(status, code, str(exc))

        app.add_exception_handler(exc_type, handler)


def _write_server_file(settings: Settings) -> None:
    """Tell CLI commands on this data directory that a server owns it and where it listens."""
    info = {
        "pid": os.getpid(),
        "url": f"http://{settings.host}:{settings.port}",
        "started_at": datetime.now(UTC).isoformat(),
    }
    settings.server_file.write_text(json.dumps(info), encoding="utf-8")
