"""Management operations on a workspace, returning plain JSON-ready data.

One implementation serves both doors: the admin API calls these in the server, and the CLI
calls them directly when no server runs (or the same endpoints over HTTP when one does).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from opencdp.admin_audit import AuditAdmin
from opencdp.admin_backups import BackupAdmin
from opencdp.admin_consent import ConsentAdmin
from opencdp.admin_destinations import DestinationAdmin
from opencdp.admin_predictions import PredictionAdmin
from opencdp.admin_privacy import PrivacyAdmin
from opencdp.admin_security import SecurityAdmin
from opencdp.admin_segments import SegmentAdmin
from opencdp.admin_traits import ComputedTraitAdmin
from opencdp.audit.context import note_profiles
from opencdp.collect import quarantine, sources
from opencdp.collect.events import count_events, export_events, recent_events
from opencdp.collect.replay import replay
from opencdp.hygiene.quality import quality_report
from opencdp.identity import probabilistic
from opencdp.identity.clusters import identity_counts, record_clusters
from opencdp.privacy.purposes import resolve as resolve_purpose
from opencdp.profiles.lookup import exact_profiles, find_profile_id, search_profiles
from opencdp.profiles.view import profile_view
from opencdp.sources import history
from opencdp.sources import service as imports
from opencdp.sources.databases import DatabaseQuery
from opencdp.sources.importer import Progress
from opencdp.sources.mapping import parse_mapping
from opencdp.sources.replay import replay_import_row
from opencdp.workspace import Workspace


class NotFound(LookupError):
    """The named object does not exist."""


class Admin(PredictionAdmin,
            SegmentAdmin, DestinationAdmin, ComputedTraitAdmin, BackupAdmin, SecurityAdmin,
            AuditAdmin, PrivacyAdmin, ConsentAdmin):
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    # sources ---------------------------------------------------------------
    def create_source(
        self,
        name: str,
        max_message_bytes: int | None = None,
        max_batch_bytes: int | None = None,
        default_region: str | None = None,
    ) -> dict[str, Any]:
        return self.ws.write_sources(
            lambda con: sources.create_source(
                con,
                name,
                max_message_bytes=max_message_bytes,
                max_batch_bytes=max_batch_bytes,
                default_region=default_region,
            )
        ).to_json()

    def list_sources(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.ws.read(sources.list_sources)]

    def get_source(self, name: str) -> dict[str, Any]:
        return self.ws.read(lambda con: sources.get_source(con, name)).to_json()

    def set_source_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        return self.ws.write_sources(lambda con: sources.set_enabled(con, name, enabled)).to_json()

    def rotate_write_key(self, name: str) -> dict[str, Any]:
        return self.ws.write_sources(lambda con: sources.rotate_write_key(con, name)).to_json()

    def set_source_limits(
        self, name: str, max_message_bytes: int | None, max_batch_bytes: int | None
    ) -> dict[str, Any]:
        return self.ws.write_sources(
            lambda con: sources.set_limits(
                con, name, max_message_bytes=max_message_bytes, max_batch_bytes=max_batch_bytes
            )
        ).to_json()

    def set_source_region(self, name: str, region: str | None) -> dict[str, Any]:
        return self.ws.write_sources(
            lambda con: sources.set_default_region(con, name, region)
        ).to_json()

    def _source_id(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.ws.read(lambda con: sources.get_source(con, name)).source_id

    # events ----------------------------------------------------------------
    def count_events(self, source: str | None = None) -> dict[str, Any]:
        source_id = self._source_id(source)
        counts = self.ws.read(lambda con: count_events(con, source_id))
        counts["quarantined"] = self.ws.read(
            lambda con: quarantine.count_quarantine(con, source_id)
        )
        return counts

    def recent_events(self, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        source_id = self._source_id(source)
        return self.ws.read(lambda con: recent_events(con, source_id=source_id, limit=limit))

    def export_events(
        self,
        out: Path | BinaryIO,
        fmt: str,
        source: str | None = None,
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        purpose: str | None = None,
    ) -> int:
        """Every event, or with `purpose` only those of people consenting to it."""
        source_id = self._source_id(source)
        chosen = self.ws.read(lambda con: resolve_purpose(con, purpose)) if purpose else None
        return self.ws.read(
            lambda con: export_events(con, out, fmt, source_id, transform, purpose=chosen)
        )

    # quarantine ------------------------------------------------------------
    def list_quarantine(
        self, source: str | None = None, status: str | None = "pending", limit: int = 100
    ) -> list[dict[str, Any]]:
        source_id = self._source_id(source)
        records = self.ws.read(
            lambda con: quarantine.list_quarantine(
                con, source_id=source_id, status=status, limit=limit
            )
        )
        return [r.to_json() for r in records]

    def _quarantined(self, quarantine_id: int) -> quarantine.QuarantinedRecord:
        record = self.ws.read(lambda con: quarantine.get_quarantined(con, quarantine_id))
        if record is None:
            raise NotFound(f"no quarantined record {quarantine_id}")
        return record

    def replay_quarantined(self, quarantine_id: int, fixed_payload: Any = None) -> dict[str, Any]:
        """Validate a quarantined record again (fixed or as stored) and store it.

        Collected messages are replayed through the collector; imported rows through the
        mapping of the import they came from (`fixed_payload` then holds column values).
        """
        record = self._quarantined(quarantine_id)
        if record.stage == "import":
            counts = replay_import_row(self.ws, record, fixed_payload)
            return {"quarantine_id": quarantine_id, "stored": counts.records + counts.events,
                    "duplicates": counts.unchanged}  # fmt: skip
        result = replay(self.ws.collector, record, fixed_payload)
        return {"quarantine_id": quarantine_id, "stored": result.stored,
                "duplicates": result.duplicates}  # fmt: skip

    def discard_quarantined(self, quarantine_id: int) -> dict[str, Any]:
        record = self._quarantined(quarantine_id)
        self.ws.write(lambda con: quarantine.mark(con, record.quarantine_id, "discarded"))
        return {"quarantine_id": quarantine_id, "status": "discarded"}

    # imports ---------------------------------------------------------------
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
        report = imports.import_file(
            self.ws, path, source=source, mapping=parse_mapping(mapping), fmt=fmt,
            encoding=encoding, delimiter=delimiter, progress=progress, location=location,
        )  # fmt: skip
        return self._resolved(report.to_json())

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
        spec = DatabaseQuery(url, table=table, query=query, cursor=cursor)
        report = imports.import_database(
            self.ws, spec, source=source, mapping=parse_mapping(mapping), progress=progress
        )
        return self._resolved(report.to_json())

    def _resolved(self, report: dict[str, Any]) -> dict[str, Any]:
        """Resolve the imported records into profiles before answering (matching runs by
        itself after imports, in the server and from the CLI alike)."""
        if self.ws.stitching or not self.ws.settings.resolve_after_import:
            return report  # the server's stitcher resolves it within a second
        started = time.perf_counter()
        changes = self.ws.profiles.catch_up()
        report["identity"] = {"observations": changes.observed,
                              "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip
        return report

    def list_imports(self, source: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        source_id = self._source_id(source)
        return self.ws.read(lambda con: history.list_imports(con, source_id, limit))

    # identity and profiles -------------------------------------------------
    def rebuild_identity(self) -> dict[str, Any]:
        started = time.perf_counter()
        observed = self.ws.profiles.rebuild()
        counts = self.ws.read(identity_counts)
        return {"observations": observed, **counts,
                "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip

    def unmerge(self, identifier: str, origin: str) -> dict[str, Any]:
        """Split a profile by undoing the merges one observation (`origin`) caused."""
        before = self.get_profile(identifier, limit=1)
        if not any(m["origin"] == origin for m in before["merges"]):
            raise NotFound(f"profile {before['profile_id']} has no merge caused by {origin!r}")
        # The stored forms (pseudonyms when encrypted), read before the split, not the
        # plaintext the view shows.
        keys: list[tuple[str, str]] = self.ws.read(lambda con: con.execute(
            "SELECT identifier_type, identifier_value FROM identity_links WHERE profile_id = ?",
            [before["profile_id"]]).fetchall())  # fmt: skip
        self.ws.profiles.unmerge(origin)

        def profiles_now(con: Any) -> list[str]:
            rows = con.execute(
                "SELECT DISTINCT profile_id FROM identity_links"
                " WHERE (identifier_type, identifier_value) IN (SELECT unnest($t), unnest($v))"
                " ORDER BY profile_id",
                {"t": [k[0] for k in keys], "v": [k[1] for k in keys]},
            ).fetchall()
            return [row[0] for row in rows]

        return {"profile_id": before["profile_id"], "origin": origin,
                "profiles": self.ws.read(profiles_now)}  # fmt: skip

    def resolve_matches(self) -> dict[str, Any]:
        """Probabilistic matching over every imported record: auto-merge or queue for review."""
        started = time.perf_counter()
        self.ws.profiles.catch_up()  # pairs already on one profile are not proposed
        records = self.ws.read(probabilistic.people)
        rows, summary = probabilistic.proposals(records)
        reserve = self.ws.event_log.reserve
        stored = self.ws.write(lambda con: probabilistic.store_proposals(con, rows, reserve))
        self.ws.profiles.catch_up()
        return {**summary, **stored, "seconds": round(time.perf_counter() - started, 3)}

    def review_queue(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.ws.read(lambda con: probabilistic.review_queue(con, limit))

    def decide_match(self, record_l: str, record_r: str, accept: bool) -> dict[str, Any]:
        reserve = self.ws.event_log.reserve
        found = self.ws.write(
            lambda con: probabilistic.decide_pair(con, record_l, record_r, accept, reserve)
        )
        if not found:
            raise NotFound(f"no pending match between {record_l!r} and {record_r!r}")
        self.ws.profiles.catch_up()
        return {"record_l": record_l, "record_r": record_r,
                "status": "accepted" if accept else "rejected"}  # fmt: skip

    def identity_clusters(self, source: str | None = None) -> list[dict[str, Any]]:
        self._source_id(source)  # an unknown source is an error, not an empty list
        return self.ws.read(lambda con: record_clusters(con, source))

    def get_profile(
        self, identifier: str, limit: int = 50, before: int | None = None, event: str | None = None
    ) -> dict[str, Any]:
        def view(con: Any) -> dict[str, Any]:
            profile_id = find_profile_id(con, identifier)
            if profile_id is None:
                raise NotFound(f"no profile has the identifier {identifier!r}")
            note_profiles([profile_id])  # the audit entry names the profile read
            return profile_view(con, profile_id, limit=limit, before=before, event=event)

        return self.ws.read(view)

    def search_profiles(
        self, fragment: str, limit: int = 20, exact_only: bool = False
    ) -> list[dict[str, Any]]:
        """Profiles whose identifiers or names contain `fragment`; `exact_only` (callers
        without `pii:read`): only the profile a whole identifier names."""
        if exact_only:
            found = self.ws.read(lambda con: exact_profiles(con, fragment))
        else:
            found = self.ws.read(lambda con: search_profiles(con, fragment, limit))
        note_profiles(hit["profile_id"] for hit in found)
        return found

    # data quality ------------------------------------------------------------
    def quality_report(self, source: str | None = None) -> dict[str, Any]:
        source_id = self._source_id(source)
        return self.ws.read(lambda con: quality_report(con, source_id=source_id))
