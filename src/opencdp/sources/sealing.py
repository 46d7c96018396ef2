"""An import batch's personal data made safe to store, a whole column at a time.

With field encryption on (`crypto/personal.py`), before the batch's rows are assembled:

- identifier columns become stored pseudonyms, hashed once per distinct value; a
  placeholder the identity rules refuse (`test@test.com`, `0`) is decided here, on the
  plaintext, and stored marked blocked; each new identifier's plaintext goes to the vault;
- each row gets a subject: the pseudonym of its strongest usable identifier (else one made
  from its record id), so a person's records and events share one data key;
- personal trait and event columns (by the PII schema or the column's hygiene kind), the
  originals and cleaned values of their fixes, and the whole original row are sealed under
  the row's subject; tags let the quality report and segments compare values;
- plain derived members (`email_domain`, `birth_year`) are added beside them.

With it off, `seal_batch` returns nothing to add and the rows are stored as read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from opencdp.crypto.personal import PersonalData, derived_members, subject_of_identifier
from opencdp.identity.model import Identifier
from opencdp.identity.rules import DEFAULT_PRIORITIES, IdentityRules
from opencdp.security.pii import PERSONAL_KINDS
from opencdp.sources.mapping import ColumnRule

# Identifiers already vaulted by this import: bounded, since a file may hold millions.
_VAULT_MEMO = 1_000_000
_NO_TAG_KINDS = frozenset({"free_text"})  # long text: nobody looks it up by equality
_RULES = IdentityRules()


def is_personal(rule: ColumnRule, personal: PersonalData) -> bool:
    """Whether a column's values are a person's data: every identifier, and traits and
    event fields the PII schema names or whose hygiene kind is personal."""
    if rule.role == "identifier":
        return True
    if rule.role not in ("trait", "event"):
        return False
    return rule.kind in PERSONAL_KINDS or personal.schema.is_pii(rule.name, True)


@dataclass
class SealedBatch:
    """What the assembly SQL reads instead of the plain columns (all empty when off)."""

    columns: dict[str, pa.Array] = field(default_factory=dict)  # extra batch columns
    values: dict[int, str] = field(default_factory=dict)  # rule index → stored value column
    fixes: dict[int, tuple[str, str]] = field(default_factory=dict)  # → (original, cleaned)
    derived: list[tuple[str, str]] = field(default_factory=list)  # (trait, plain column)
    original: str = "original"  # column holding the row's original as stored
    vault: list[tuple[str, str]] = field(default_factory=list)  # identifier_values rows


class BatchSealer:
    """Seals the batches of one import; remembers which identifiers it already vaulted."""

    def __init__(self, personal: PersonalData, con: duckdb.DuckDBPyConnection) -> None:
        self.personal = personal
        self._con = con
        self._vaulted: set[str] = set()

    def seal_batch(
        self,
        batch: pa.Table,
        rules: list[tuple[int, ColumnRule]],
        position: dict[str, int],
        base: pa.Table,
    ) -> SealedBatch:
        """`batch` has the raw (`c`), cleaned (`v`) and problem (`p`) columns; `base` the
        plain `original` text, `record_id` and fix flags (`f`) of each row."""
        personal = self.personal
        if not personal.enabled:
            return SealedBatch()
        out = SealedBatch(original="sealed_original")
        identifiers: list[tuple[int, ColumnRule, pa.Array]] = []
        new: dict[str, str] = {}
        for index, rule in rules:
            if rule.role == "identifier":
                stored = self._pseudonyms(rule.name, self._text(batch.column(f"v{index}")), new)
                out.columns[f"h{index}"] = stored
                out.values[index] = f"h{index}"
                identifiers.append((index, rule, stored))
        subjects = self._subjects(identifiers, base.column("record_id"))
        # Every key this batch seals under, loaded or made at once (not one query each).
        personal.reserve_keys([*subjects, *(subject_of_identifier(m) for m in new)])
        self._vault(new, out)
        for index, rule in rules:
            if rule.role == "record_id" or not is_personal(rule, personal):
                continue
            if rule.role != "identifier":
                tag = None if rule.kind in _NO_TAG_KINDS else rule.name
                cleaned = _python(batch.column(f"v{index}"))
                out.columns[f"s{index}"] = pa.array(
                    personal.seal_column(subjects, cleaned, tag), pa.string()
                )
                out.values[index] = f"s{index}"
                self._derive(rule, batch.column(f"v{index}"), index, out)
            elif rule.name == "email":
                self._derive(rule, batch.column(f"v{index}"), index, out)
            if f"f{index}" in base.column_names:
                raw = batch.column(f"c{position[rule.column]}").to_pylist()
                self._seal_fix(index, raw, base, subjects, out)
        originals = base.column("original").to_pylist()
        sealed = personal.seal_column(subjects, originals)
        out.columns["sealed_original"] = pa.array(
            [None if t is None else orjson.dumps(t).decode() for t in sealed], pa.string()
        )
        return out

    def _seal_fix(
        self, index: int, raw: list[Any], base: pa.Table, subjects: list[str], out: SealedBatch
    ) -> None:
        """Seal the originals of the rows whose fix is recorded; the cleaned value is the
        one stored beside it (its token, or its pseudonym for an identifier)."""
        flags = base.column(f"f{index}").to_pylist()
        keep_raw = [r if f else None for r, f in zip(raw, flags, strict=True)]
        out.columns[f"fo{index}"] = pa.array(
            self.personal.seal_column(subjects, keep_raw), pa.string()
        )
        out.fixes[index] = (f"fo{index}", out.values[index])

    def _text(self, values: pa.ChunkedArray | pa.Array) -> pa.Array:
        """Values as the text plain mode stores (DuckDB's cast, e.g. `1.0` for a double)."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if pa.types.is_string(values.type):
            return values
        self._con.register("sealing_values", pa.table({"v": values}))
        try:
            cast = self._con.sql("SELECT v::VARCHAR AS v FROM sealing_values").to_arrow_table()
        finally:
            self._con.unregister("sealing_values")
        return cast.column("v").combine_chunks()

    def _pseudonyms(self, kind: str, texts: pa.Array, new: dict[str, str]) -> pa.Array:
        """Stored value part of each identifier (`<pseudonym>` or `~<pseudonym>`), hashed
        once per distinct value; identifiers this import has not vaulted go to `new`
        (stored → plain)."""
        distinct = pc.unique(texts).drop_null()
        stored: list[str] = []
        for value in distinct.to_pylist():
            plain = f"{kind}:{value}"
            made = self.personal.identifier(plain, _RULES.is_blocked(Identifier(kind, value)))
            stored.append(made.partition(":")[2])
            if made not in self._vaulted:
                new[made] = plain
        positions = pc.index_in(texts, value_set=distinct)
        return pc.take(pa.array(stored, pa.string()), positions)

    def _vault(self, new: dict[str, str], out: SealedBatch) -> None:
        """Each new identifier's plaintext, sealed under its own pseudonym's key."""
        for made, plain in new.items():
            row = self.personal.vault_row(plain)
            if row is not None:
                out.vault.append((made, row[1]))
            if len(self._vaulted) >= _VAULT_MEMO:
                self._vaulted.clear()
            self._vaulted.add(made)

    def _subjects(
        self, identifiers: list[tuple[int, ColumnRule, pa.Array]], record_ids: pa.ChunkedArray
    ) -> list[str]:
        """Each row's subject: `personal.subject` of its stored identifiers, column-wise
        (strongest type first, the smallest pseudonym among equals; blocked ones skipped)."""
        levels: dict[int, list[pa.Array]] = {}
        for _, rule, stored in identifiers:
            usable = pc.if_else(pc.starts_with(stored, "~"), pa.scalar(None, pa.string()), stored)
            levels.setdefault(DEFAULT_PRIORITIES.get(rule.name, 10), []).append(usable)
        best: pa.Array | None = None
        for level in sorted(levels):
            arrays = levels[level]
            pick = arrays[0] if len(arrays) == 1 else pc.min_element_wise(*arrays)
            best = pick if best is None else pc.coalesce(best, pick)
        chosen = best.to_pylist() if best is not None else [None] * len(record_ids)
        rids = record_ids.to_pylist()
        return [s if s is not None else self.personal.subject((), fallback=r)
                for s, r in zip(chosen, rids, strict=True)]  # fmt: skip

    def _derive(
        self, rule: ColumnRule, values: pa.ChunkedArray, index: int, out: SealedBatch
    ) -> None:
        """Plain derived members of a personal column (`email_domain`, `birth_year`),
        worked out once per distinct value."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        distinct = pc.unique(values).drop_null()
        found = [derived_members(rule.name, v) for v in _python(distinct)]
        names = {name for members in found for name in members}
        taken = {name for name, _ in out.derived}
        positions = pc.index_in(values, value_set=distinct)
        for name in sorted(names - taken):
            column = f"d{index}_{len(out.derived)}"
            out.columns[column] = pc.take(pa.array([m.get(name) for m in found]), positions)
            out.derived.append((name, column))


def _python(values: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Column values as Python, dates as ISO text (what the plain JSON would hold)."""
    return [v.isoformat() if isinstance(v, dt.date) else v for v in values.to_pylist()]


def vault_table(rows: Iterable[tuple[str, str]]) -> pa.Table:
    found = list(rows)
    return pa.table(
        {"identifier": [r[0] for r in found], "token": [r[1] for r in found]},
        schema=pa.schema([("identifier", pa.string()), ("token", pa.string())]),
    )
