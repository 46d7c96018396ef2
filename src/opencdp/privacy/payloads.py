"""The identifiers a quarantined payload mentions, best effort.

A quarantined message or import row failed validation, so nothing listed its identifiers
when it arrived. To find a person known only from the quarantine (a restore replaying an
erasure from hashes) and to keep an erased person's rejected rows out of it, they are read
from the payload as stored: a collected message's ids, trait e-mails and phones, device and
external ids (`suppression.raw_identifiers`); an imported row's identifier columns by the
import's mapping; and any e-mail address anywhere in the text. E-mail addresses and phone
numbers are also taken as hygiene would have stored them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from opencdp.hygiene import normalize_value
from opencdp.hygiene.dispatch import UnknownKind
from opencdp.hygiene.options import HygieneOptions
from opencdp.privacy.suppression import raw_identifiers, with_cleaned
from opencdp.sources.mapping import Mapping

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
MappingOf = Callable[[str], "Mapping | None"]  # import id → the mapping it ran with


def text_emails(text: str) -> list[str]:
    """`email:<address>` of every e-mail address in `text`, lower-cased."""
    return [f"email:{m.lower()}" for m in _EMAIL.findall(text)]


def payload_identifiers(stage: str, payload: str, mapping_of: MappingOf) -> list[str]:
    """`type:value` of the identifiers a quarantine row's payload mentions."""
    try:
        data: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        data = None
    found: list[str] = []
    if stage == "import" and isinstance(data, dict) and isinstance(data.get("values"), dict):
        import_id = data.get("import_id")
        mapping = mapping_of(import_id) if isinstance(import_id, str) else None
        found = row_identifiers(data["values"], mapping)
    elif isinstance(data, dict):
        found = raw_identifiers(data)
    return list(dict.fromkeys([*found, *text_emails(payload)]))


def row_identifiers(values: dict[str, Any], mapping: Mapping | None) -> list[str]:
    """An imported row's identifiers: its identifier columns (by `mapping`) as given,
    trimmed and cleaned, and the e-mail addresses in any column."""
    found: list[str] = []
    rules = {r.column.strip().lower(): r for r in mapping.by_role("identifier")} if mapping \
        else {}  # fmt: skip
    for column, value in values.items():
        if value is None:
            continue
        text = str(value)
        rule = rules.get(str(column).strip().lower())
        if rule is not None and text.strip():
            found += [f"{rule.name}:{text}", f"{rule.name}:{text.strip()}"]
            cleaned = _cleaned(rule.kind, text, mapping)
            if cleaned is not None:
                found.append(f"{rule.name}:{cleaned}")
        found += text_emails(text)
    return with_cleaned(list(dict.fromkeys(found)), mapping.default_region if mapping else None)


def _cleaned(kind: str, text: str, mapping: Mapping | None) -> str | None:
    try:
        value = normalize_value(kind, text, options=HygieneOptions(
            default_region=mapping.default_region if mapping else None)).value
    except UnknownKind:
        return None
    return None if value is None else str(value)
