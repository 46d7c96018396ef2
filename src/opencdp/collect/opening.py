"""Stored events back to what the client sent: the readers' half of field encryption.

With encryption on, the id columns hold pseudonyms and personal members hold sealed tokens
(`personal_fields.py`). Reading events back (recent events, exports) opens them at the
edge, in Python, per batch: tokens are decrypted (their keys loaded in one go), ids are
mapped back through the `identifier_values` vault, and the plain members sealing derived
(`email_domain`, `birth_year`) are dropped again, so the API and CLI answer the same in
both modes. A derived member equal to what its sealed value derives is indistinguishable
from one the client sent itself, so such a client member is dropped too.

Only the places sealing writes to are opened, and a client string that merely looks like
a token (`enc1:…`) is left as it is instead of failing the whole read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from opencdp.crypto.personal import PersonalData, derived_members
from opencdp.crypto.tokens import PREFIX

# Segment names of the id columns → identifier type of their pseudonym.
ID_FIELDS = {"userId": "user_id", "anonymousId": "anonymous_id", "previousId": "anonymous_id"}
_MEMBERS = ("properties", "traits", "extra")  # objects whose personal members are sealed
JSON_FIELDS = ("properties", "traits", "context", "integrations", "extra", "fixes")


class EventOpener:
    """Opens Segment-shaped event rows; `lookups` answers vault queries (a connection not
    busy streaming the rows themselves)."""

    def __init__(self, personal: PersonalData, lookups: duckdb.DuckDBPyConnection) -> None:
        self.personal = personal
        self.lookups = lookups

    def open_messages(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows whose JSON fields are objects (already parsed), opened in place."""
        if not self.personal.enabled or not rows:
            return rows
        self.personal.warm(_tokens(rows))
        ids = self._identifiers(rows)
        for row in rows:
            for name, kind in ID_FIELDS.items():
                value = row.get(name)
                if value is not None:
                    row[name] = ids.get(f"{kind}:{value}", value)
            for name in _MEMBERS:
                if isinstance(row.get(name), dict):
                    row[name] = self._members(row[name])
            if isinstance(row.get("context"), dict):
                row["context"] = self._context(row["context"])
            if isinstance(row.get("fixes"), dict):
                row["fixes"] = {path: self._fix(fix) for path, fix in row["fixes"].items()}
        return rows

    def _open(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(PREFIX):
            return value
        try:
            return self.personal.open(value)
        except ValueError:  # a client's own text that looks like a token
            return value

    def _context(self, context: dict[str, Any]) -> dict[str, Any]:
        opened = dict(context)
        if "ip" in opened:
            opened["ip"] = self._open(opened["ip"])
        if isinstance(opened.get("traits"), dict):
            opened["traits"] = self._members(opened["traits"])
        external = opened.get("externalIds")
        if isinstance(external, list):
            opened["externalIds"] = [
                {**entry, "id": self._open(entry["id"])}
                if isinstance(entry, dict) and "id" in entry else entry
                for entry in external
            ]  # fmt: skip
        return opened

    def _fix(self, fix: Any) -> Any:
        if not isinstance(fix, dict):
            return fix
        return {k: self._open(v) if k in ("original", "cleaned") else v for k, v in fix.items()}

    def open_batches(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        """Batches whose JSON fields are JSON text (CSV and Parquet exports), opened."""
        if not self.personal.enabled:
            return reader
        schema = reader.schema

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                rows = batch.to_pylist()
                for row in rows:
                    for name in JSON_FIELDS:
                        if row.get(name) is not None:
                            row[name] = orjson.loads(row[name])
                for row in self.open_messages(rows):
                    for name in JSON_FIELDS:
                        if row.get(name) is not None:
                            row[name] = orjson.dumps(row[name]).decode()
                yield pa.RecordBatch.from_pylist(rows, schema=schema)

        return pa.RecordBatchReader.from_batches(schema, batches())

    def _identifiers(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Stored id (`user_id:<pseudonym>`) → plaintext, from the vault."""
        wanted = sorted({
            f"{kind}:{row[name]}"
            for row in rows for name, kind in ID_FIELDS.items() if row.get(name) is not None
        })  # fmt: skip
        if not wanted:
            return {}
        found = self.lookups.execute(
            "SELECT identifier, any_value(token) FROM identifier_values"
            " WHERE identifier IN (SELECT unnest($ids::VARCHAR[])) GROUP BY identifier",
            {"ids": wanted},
        ).fetchall()
        self.personal.warm(_tokens([token for _, token in found]))
        return {identifier: self._open(token) for identifier, token in found}

    def _members(self, members: dict[str, Any]) -> dict[str, Any]:
        """An object with its sealed members opened and the derived members dropped."""
        opened: dict[str, Any] = {}
        derived: dict[str, Any] = {}
        for key, stored in members.items():
            value = self._open(stored)
            if value is not stored:
                derived.update(derived_members(key, value))
            opened[key] = value
        for key, value in derived.items():
            if key in opened and opened[key] == value:
                del opened[key]
        return opened


def _tokens(document: Any) -> Iterable[str]:
    """Well-formed tokens anywhere in `document`, for `warm` (which loads their keys)."""
    if isinstance(document, str):
        if document.startswith(PREFIX) and document.count(".") == 2:
            yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _tokens(value)
    elif isinstance(document, list):
        for value in document:
            yield from _tokens(value)
