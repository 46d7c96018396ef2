"""Management operations for segments, returning plain JSON-ready data (part of `Admin`).

Reads answer from a cursor; definitions and evaluations go through the single writer. A
workspace opened by a one-shot command first brings profiles up to the log, so a count or an
evaluation never misses what was collected before the command ran.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opencdp.privacy.purposes import registered
from opencdp.privacy.purposes import resolve as resolve_purpose
from opencdp.security.pii import PiiSchema
from opencdp.segments import membership, service
from opencdp.segments.pii_conditions import refuse_personal_values
from opencdp.segments.tree import Node
from opencdp.workspace import Workspace


def _now() -> datetime:
    return datetime.now(UTC)


class SegmentAdmin:
    ws: Workspace

    def _purposes(self) -> dict[str, str]:
        """The workspace's own consent purposes, which definitions may name."""
        return self.ws.read(registered)

    def _definition(self, where: str | None, definition: Any, masked: PiiSchema | None) -> Node:
        """The tree of a definition; with `masked` (the caller lacks `pii:read`), value
        tests on personal fields are refused (segments/pii_conditions.py)."""
        tree = service.read_definition(where, definition, self._purposes())
        if masked is not None:
            refuse_personal_values(tree, masked)
        return tree

    def _current(self) -> None:
        if not self.ws.stitching:  # the server's stitcher keeps profiles current itself
            self.ws.bring_current()

    def create_segment(
        self,
        name: str,
        where: str | None = None,
        definition: Any = None,
        description: str | None = None,
        realtime: bool = True,
        masked: PiiSchema | None = None,
    ) -> dict[str, Any]:
        tree = self._definition(where, definition, masked)
        self._current()
        return self.ws.write(lambda con: service.create_segment(
            con, name, tree, now=_now(), description=description, realtime=realtime))  # fmt: skip

    def update_segment(
        self,
        name: str,
        where: str | None = None,
        definition: Any = None,
        masked: PiiSchema | None = None,
    ) -> dict[str, Any]:
        tree = self._definition(where, definition, masked)
        self._current()
        return self.ws.write(lambda con: service.update_segment(con, name, tree, now=_now()))

    def delete_segment(self, name: str) -> dict[str, Any]:
        return self.ws.write(lambda con: service.delete_segment(con, name))

    def list_segments(self) -> list[dict[str, Any]]:
        return self.ws.read(service.list_segments)

    def get_segment(self, name: str) -> dict[str, Any]:
        """The segment with its compiled SQL in DuckDB and Spark dialects."""

        def show(con: Any) -> dict[str, Any]:
            segment = service.get_segment(con, name)
            tree = service.read_definition(None, segment["definition"], registered(con))
            compiled = service.compile_tree(con, tree)
            return {**segment, "sql": {"duckdb": compiled.sql("duckdb"),
                                       "spark": compiled.sql("spark")}}  # fmt: skip

        return self.ws.read(show)

    def preview_segment(
        self,
        where: str | None = None,
        definition: Any = None,
        sample: int = 10,
        purpose: str | None = None,
        masked: PiiSchema | None = None,
    ) -> dict[str, Any]:
        """Count and sample the matches; with `purpose`, only those who may be activated
        for it (consent granted, not suppressed)."""
        tree: Node = self._definition(where, definition, masked)
        self._current()

        def preview(con: Any) -> dict[str, Any]:
            chosen = resolve_purpose(con, purpose) if purpose else None
            return service.preview(con, tree, now=_now(), sample=sample, purpose=chosen)

        return self.ws.read(preview)

    def count_segment(self, name: str, sample: int = 0) -> dict[str, Any]:
        """How many profiles match the segment now (evaluated live, nothing stored)."""
        self._current()

        def count(con: Any) -> dict[str, Any]:
            segment = service.get_segment(con, name)
            tree = service.read_definition(None, segment["definition"], registered(con))
            found = service.preview(con, tree, now=_now(), sample=sample)
            return {"segment": name, **found, "members_stored": segment["member_count"],
                    "evaluated_at": segment["evaluated_at"]}  # fmt: skip

        return self.ws.read(count)

    def segment_members(
        self, name: str, limit: int = 100, offset: int = 0, purpose: str | None = None
    ) -> dict[str, Any]:
        """A page of members; with `purpose`, only those who may be activated for it."""

        def page(con: Any) -> dict[str, Any]:
            chosen = resolve_purpose(con, purpose) if purpose else None
            return service.members(con, name, limit=limit, offset=offset, purpose=chosen)

        return self.ws.read(page)

    def segment_history(
        self, name: str, profile_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        def read(con: Any) -> list[dict[str, Any]]:
            segment = service.get_segment(con, name)
            return membership.history(con, segment["segment_id"], profile_id=profile_id,
                                      limit=limit)  # fmt: skip

        return self.ws.read(read)

    def evaluate_segments(self, name: str | None = None) -> list[dict[str, Any]]:
        """Re-evaluate one or every segment now; entries and exits are recorded."""
        self._current()
        if name is not None:
            done = [self.ws.write(lambda con: service.evaluate_segment(con, name, now=_now()))]
        else:
            done = self.ws.write(lambda con: service.evaluate_all(con, now=_now()))
        return [{"segment_id": t.segment_id, "entered": t.entered, "exited": t.exited,
                 "members": t.members} for t in done]  # fmt: skip
