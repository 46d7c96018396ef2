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

    def _egress(self) -> activate.Egress:
        """The folders and hosts this installation's settings let destinations use."""
        return activate.Egress.from_settings(self.ws.settings)

    def _access(self) -> activate.Access:
        return activate.Access(self.ws.read, self.ws.write, self._egress())

    def create_destination(
        self,
        name: str,
        kind: str,
        segment: str,
        purpose: str,
        config: dict[str, Any],
        schedule_minutes: int | None = None,
    ) -> dict[str, Any]:
        """A new destination (the API needs `destinations:configure`: where data goes)."""
        every, egress = schedule_minutes, self._egress()
        return self.ws.write(lambda con: activate.create_destination(
            con, name, kind, segment, purpose, config, schedule_minutes=every,
            egress=egress))  # fmt: skip

    def configure_destination(
        self, name: str, config: dict[str, Any], purpose: str | None = None
    ) -> dict[str, Any]:
        """Change a destination's target, traits or purpose (`destinations:configure`)."""
        egress = self._egress()
        self.ws.privacy.remember_folders(name)  # erasures still scrub its files left there
        return self.ws.write(lambda con: activate.configure_destination(
            con, name, config, purpose=purpose, egress=egress))  # fmt: skip

    def set_destination_audience(
        self,
        name: str,
        segment: str | None = None,
        schedule_minutes: int | None = None,
        unschedule: bool = False,
    ) -> dict[str, Any]:
        """Which segment a configured destination sends, and how often
        (`destinations:write`)."""
        return self.ws.write(lambda con: activate.set_audience(
            con, name, segment_id=segment, schedule_minutes=schedule_minutes,
            unschedule=unschedule))  # fmt: skip

    def list_destinations(self) -> list[dict[str, Any]]:
        return self.ws.read(activate.list_destinations)

    def get_destination(self, name: str) -> dict[str, Any]:
        return self.ws.read(lambda con: activate.get_destination(con, name))

    def delete_destination(self, name: str) -> dict[str, Any]:
        self.ws.privacy.remember_folders(name)  # erasures still scrub the files it wrote
        self.ws.write(lambda con: activate.delete_destination(con, name))
        return {"deleted": name}

    def set_destination_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        return self.ws.write(lambda con: activate.set_enabled(con, name, enabled))

    def sync_destination(self, name: str, mode: str = "incremental") -> dict[str, Any]:
        if not self.ws.stitching:
            self.ws.bring_current()  # a one-shot command sends what the log says now
        return activate.sync(self._access(), name, mode=mode)

    def destination_history(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.ws.read(lambda con: activate.sync_history(con, name, limit))

    def dead_letters(self, name: str) -> list[dict[str, Any]]:
        return self.ws.read(lambda con: activate.dead_letters(con, name))

    def replay_dead_letter(self, name: str, letter_id: str) -> dict[str, Any]:
        return activate.replay_dead_letter(self._access(), name, letter_id)
