"""Management operations for data-subject requests, suppression and retention (part of
`Admin`), returning plain JSON-ready data for the API and the offline CLI alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opencdp.privacy import requests, retention
from opencdp.privacy.suppression import drop_counts
from opencdp.workspace import Workspace


def _now() -> datetime:
    return datetime.now(UTC)


class PrivacyAdmin:
    ws: Workspace

    # data-subject requests -------------------------------------------------------------
    def privacy_export(self, identifier: str) -> dict[str, Any]:
        """An access request (Art. 15/20): `{"request": ..., "export": document}`."""
        return self.ws.privacy.access(_identifier(identifier))

    def privacy_erase(self, identifier: str) -> dict[str, Any]:
        """An erasure request (Art. 17): the completed request with its receipt."""
        return self.ws.privacy.erase(_identifier(identifier))

    def privacy_requests(
        self, status: str | None = None, kind: str | None = None, overdue: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]:  # fmt: skip
        now = _now()
        return self.ws.read(lambda con: requests.listing(
            con, status=status, kind=kind, overdue=overdue, limit=limit, now=now))  # fmt: skip

    def privacy_request(self, request_id: str) -> dict[str, Any]:
        return self.ws.privacy.get(request_id)

    def privacy_request_export(self, request_id: str) -> dict[str, Any]:
        return self.ws.privacy.export_of(request_id)

    def suppression_status(self) -> dict[str, Any]:
        """How many identifiers are suppressed and how many messages were dropped."""
        return {"suppressed_identifiers": self.ws.suppression.size,
                "drops": self.ws.read(drop_counts)}  # fmt: skip

    # retention -------------------------------------------------------------------------
    def retention_policies(self) -> list[dict[str, Any]]:
        return self.ws.read(retention.list_policies)

    def set_retention_policy(
        self, name: str, max_age: str, source: str | None = None, event: str | None = None
    ) -> dict[str, Any]:
        now = _now()
        return self.ws.write(lambda con: retention.set_policy(
            con, name, max_age, source=source, event=event, now=now))  # fmt: skip

    def delete_retention_policy(self, name: str) -> dict[str, Any]:
        return self.ws.write(lambda con: retention.delete_policy(con, name))

    def apply_retention(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        if not self.ws.stitching:
            self.ws.bring_current()
        return retention.apply_policies(self.ws, _now(), names)


def _identifier(text: str) -> str:
    if not text or not text.strip():
        raise ValueError("give the person's identifier (an e-mail, phone, user id, ...)")
    return text.strip()
