"""Stored events back to what the client sent: the readers' half of field encryption.

With encryption on, the id columns hold pseudonyms and personal members hold sealed tokens
(`personal_fields.py`). Reading events back (recent events, exports) opens them at the
edge, in Python, per batch: tokens are decrypted (their keys loaded in one go), ids are
mapped back through the `identifier_values` vault, and the plain members sealing derived
(`email_domain`, `birth_year`) are dropped again, so the API and CLI answer the same in
both modes. A derived member equal to what its sealed value derives is indistinguishable
from one the client sent itself, so such a client member is dropped too (documented).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from opencdp.crypto.personal import PersonalData, derived_members, personal_data
from opencdp.crypto.tokens import PREFIX

# Segment names of the id columns → identifier type of their pseudonym.
ID_FIELDS = {"userId": "user_id", "anonymousId": "anonymous_id", "previousId": "anonymous_id"}
_MEMBERS = ("properties", "traits", "extra")  # objects whose personal members are sealed
JSON_FIELDS = ("properties", "traits", "context", "integrations", "extra", "fixes")


def personal_for(con: duckdb.DuckDBPyConnection) -> PersonalData:
    """The data directory's `PersonalData`, found through a cursor: the lookup leaves a
    result open on the connection it runs on, which would block the caller's next step."""
    cursor = con.cursor()
    try:
        return personal_data(cursor)
    finally:
        cursor.close()


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
            context = row.get("context")
            if isinstance(context, dict):
                traits = context.get("traits")
                context = self.personal.open_all(context)
                if isinstance(traits, dict):
                    context["traits"] = self._members(traits)
                row["context"] = context
            if row.get("fixes") is not None:
                row["fixes"] = self.personal.open_all(row["fixes"])
        return rows

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
        self.personal.warm(token for _, token in found)
        return {identifier: self.personal.open(token) for identifier, token in found}

    def _members(self, members: dict[str, Any]) -> dict[str, Any]:
        """An object with its sealed members opened and the derived members dropped."""
        opened: dict[str, Any] = {}
        derived: dict[str, Any] = {}
        for key, stored in members.items():
            value = stored
            if isinstance(stored, str) and stored.startswith(PREFIX):
                value = self.personal.open(stored)
                derived.update(derived_members(key, value))
            opened[key] = value
        for key, value in derived.items():
            if key in opened and opened[key] == value:
                del opened[key]
        return opened


def _tokens(document: Any) -> Iterable[str]:
    if isinstance(document, str):
        if document.startswith(PREFIX):
            yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _tokens(value)
    elif isinstance(document, list):
        for value in document:
            yield from _tokens(value)
