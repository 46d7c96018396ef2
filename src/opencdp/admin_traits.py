"""Management operations for computed traits, returning plain JSON-ready data (part of `Admin`).

A new or changed definition is computed for every profile at once, so segments that use it
are right from the start; afterwards the real-time path keeps it current.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opencdp.profiles import computed
from opencdp.security.pii import PiiSchema, personal_filters
from opencdp.workspace import Workspace


class ComputedTraitAdmin:
    ws: Workspace

    def define_computed_trait(
        self, name: str, definition: Any, masked: PiiSchema | None = None
    ) -> dict[str, Any]:
        """Define (or redefine) and compute a trait. With `masked` (the caller lacks
        `pii:read`), filters comparing personal fields are refused. A trait that reads a
        personal field is itself masked for such callers (security/pii.py)."""
        computed.parse_definition(definition)  # a bad definition fails before any write
        personal = personal_filters(definition, masked) if masked is not None else []
        if personal:
            raise computed.InvalidComputedTrait(
                f"{', '.join(repr(p) for p in personal)} is personal: without pii:read a "
                "computed trait may not filter on its value"
            )
        if not self.ws.stitching:
            self.ws.profiles.catch_up()

        def define(con: Any) -> dict[str, Any]:
            trait = computed.define(con, name, definition)
            computed.compute_all(con, now=datetime.now(UTC), names=[name])
            return trait

        return self.ws.write(define)

    def list_computed_traits(self) -> list[dict[str, Any]]:
        return self.ws.read(computed.list_traits)

    def get_computed_trait(self, name: str) -> dict[str, Any]:
        return self.ws.read(lambda con: computed.get_trait(con, name))

    def delete_computed_trait(self, name: str) -> dict[str, Any]:
        self.ws.write(lambda con: computed.delete_trait(con, name))
        return {"deleted": name}

    def compute_traits(self, names: list[str] | None = None) -> dict[str, Any]:
        """Recompute every (or the named) computed trait for every profile now."""
        if not self.ws.stitching:
            self.ws.profiles.catch_up()
        return self.ws.write(lambda con: computed.compute_all(con, now=datetime.now(UTC),
                                                              names=names or None))  # fmt: skip
