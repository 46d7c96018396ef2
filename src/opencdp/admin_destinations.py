"""Management operations for destinations, returning plain JSON-ready data (part of `Admin`).

A sync reads its audience, delivers with no database handle held, then records the outcome
through the writer, so syncing a large audience never stalls collection.
"""

from __future__ import annotations

from typing import Any

from opencdp import activate
from opencdp.workspace import Workspace


class DestinationAdmin:
    ws: Workspace

    def create_destination(
        self,
        name: str,
        kind: str,
        segment: str,
        purpose: str,
        config: dict[str, Any],
        schedule_minutes: int | None = None,
    ) -> dict[str, Any]:
        every = schedule_minutes
        return self.ws.write(lambda con: activate.create_destination(
            con, name, kind, segment, purpose, config, schedule_minutes=every))  # fmt: skip

    def list_destinations(self) -> list[dict[str, Any]]:
        return self.ws.read(activate.list_destinations)

    def get_destination(self, name: str) -> dict[str, Any]:
        return self.ws.read(lambda con: activate.get_destination(con, name))

    def delete_destination(self, name: str) -> dict[str, Any]:
        self.ws.write(lambda con: activate.delete_destination(con, name))
        return {"deleted": name}

    def set_destination_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        return self.ws.write(lambda con: activate.set_enabled(con, name, enabled))

    def sync_destination(self, name: str, mode: str = "incremental") -> dict[str, Any]:
        if not self.ws.stitching:
            self.ws.bring_current()  # a one-shot command sends what the log says now
        return activate.sync(activate.Access(self.ws.read, self.ws.write), name, mode=mode)

    def destination_history(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.ws.read(lambda con: activate.sync_history(con, name, limit))

    def dead_letters(self, name: str) -> list[dict[str, Any]]:
        return self.ws.read(lambda con: activate.dead_letters(con, name))

    def replay_dead_letter(self, name: str, letter_id: str) -> dict[str, Any]:
        access = activate.Access(self.ws.read, self.ws.write)
        return activate.replay_dead_letter(access, name, letter_id)
