"""Finding a profile from any identifier, or candidates from a fragment of one.

A query is normalised the way ingest stored the value (an e-mail lower-cased and its
domain in IDNA form, a phone in E.164: `hygiene/`), then turned into the stored form with
`PersonalData.identifier` — the value itself when field encryption is off, its keyed
pseudonym when on — and looked up exactly. So `Ann@Mail.CO.JP`, `ann@mail.co.jp`,
`+66 81 234 5678` and `081-234-5678` (with a Thai default region) find the same profile in
both modes, and no lookup needs the plaintext in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from opencdp.crypto.personal import PersonalData, personal_data
from opencdp.hygiene import HygieneOptions, normalize_value
from opencdp.identity.rules import DEFAULT_PRIORITIES
from opencdp.sources.mapping import IDENTIFIER_TYPES

_TYPES = frozenset(IDENTIFIER_TYPES) | frozenset(DEFAULT_PRIORITIES)
# Types a bare value is tried under (`source_record` ids are never typed bare).
_BARE_TYPES = tuple(sorted(_TYPES - {"source_record"}, key=lambda t: DEFAULT_PRIORITIES.get(t, 99)))
_REGIONS = (
    "SELECT DISTINCT default_region FROM sources WHERE default_region IS NOT NULL"
    " UNION SELECT DISTINCT mapping ->> 'default_region' FROM imports"
    " WHERE mapping ->> 'default_region' IS NOT NULL"
)
_NAME_KEYS = ("name", "first_name", "last_name", "full_name", "firstName", "lastName", "fullName")


def split_identifier(text: str) -> tuple[str | None, str]:
    """`email:ann@mail.co.jp` → ("email", "ann@mail.co.jp"); a bare value has no type."""
    kind, sep, value = text.partition(":")
    if sep and kind in _TYPES and value:
        return kind, value
    return None, text


class _Regions:
    """Default phone regions of the workspace's sources and imports, read once if needed."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._found: list[str] | None = None

    def __call__(self) -> list[str]:
        if self._found is None:
            rows = self._con.execute(_REGIONS).fetchall()
            self._found = sorted({str(r[0]) for r in rows if r[0]})
        return self._found


def plain_candidates(kind: str, value: str, regions: _Regions | None = None) -> list[str]:
    """The values ingest may have stored for `value` as a `kind` identifier: as typed,
    trimmed, and as its type's hygiene rule cleans it (e-mail, phone in E.164)."""
    found = [value, value.strip()]
    text = value.strip()
    if kind == "email" and "@" in text:
        found.append(text.lower())
        cleaned = normalize_value("email", text).value
        if cleaned is not None:
            found.append(str(cleaned))
    elif kind == "phone" and any(c.isdigit() for c in text):
        cleaned = normalize_value("phone", text).value
        if cleaned is None and regions is not None:
            for region in regions():
                options = HygieneOptions(default_region=region)
                cleaned = normalize_value("phone", text, options=options).value
                if cleaned is not None:
                    break
        if cleaned is not None:
            found.append(str(cleaned))
    return [v for v in dict.fromkeys(found) if v or v == value]  # '' only as typed


def stored_forms(
    con: duckdb.DuckDBPyConnection, text: str, personal: PersonalData | None = None
) -> dict[tuple[str, str], str]:
    """(type, stored value) → the plaintext it stands for, for every form `text` may be
    stored in: under its own type, or under every identifier type for a bare value."""
    personal = personal if personal is not None else personal_data(con)
    kind, value = split_identifier(text.strip())
    regions = _Regions(con)
    forms: dict[tuple[str, str], str] = {}
    for each in (kind,) if kind is not None else _BARE_TYPES:
        for plain in plain_candidates(each, value, regions):
            stored = personal.identifier(f"{each}:{plain}").partition(":")[2]
            forms.setdefault((each, stored), plain)
    return forms


def _linked(
    con: duckdb.DuckDBPyConnection, text: str, personal: PersonalData | None = None
) -> list[tuple[str, str, str]]:
    """(type, plaintext, profile_id) of every link `text` names, strongest type first.

    Off mode, a bare value also matches a type no rule knows (an `externalIds` type): the
    stored value is the value itself, so any link holding it is the one meant."""
    personal = personal if personal is not None else personal_data(con)
    forms = stored_forms(con, text, personal)
    kind, value = split_identifier(text.strip())
    values = sorted({stored for _, stored in forms})
    rows = con.execute(
        "SELECT DISTINCT identifier_type, identifier_value, profile_id FROM identity_links"
        " WHERE identifier_value IN (SELECT unnest($values))"
        " AND ($kind::VARCHAR IS NULL OR identifier_type = $kind)",
        {"values": values, "kind": kind},
    ).fetchall()
    found: list[tuple[str, str, str]] = []
    for row_type, stored, profile_id in rows:
        plain = forms.get((row_type, stored))
        if plain is None and not personal.enabled and row_type not in _TYPES:
            plain = stored if stored in (value, value.strip()) else None
        if plain is not None:
            found.append((str(row_type), plain, str(profile_id)))
    found.sort(key=lambda r: (DEFAULT_PRIORITIES.get(r[0], 99), r[1] != value, r[0], r[2]))
    return found


def find_profile_id(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The profile of `text`: a profile id, `type:value`, or a bare value of any type.

    The value is normalised as ingest normalises it (see the module docstring); a bare
    value that several identifier types share resolves by the strongest type.
    """
    text = text.strip()
    if text.startswith("prof_"):
        row = con.execute(
            "SELECT profile_id FROM identity_links WHERE profile_id = ? LIMIT 1", [text]
        ).fetchall()
        return str(row[0][0]) if row else None
    found = _linked(con, text)
    return found[0][2] if found else None


def search_profiles(
    con: duckdb.DuckDBPyConnection, fragment: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Profiles with an identifier or a name matching `fragment` (case-insensitive).

    Field encryption off: any part of an identifier or an imported name. On, identifiers
    are pseudonyms and names sealed tokens, so a fragment cannot be matched inside them
    (plan R2); what still works is a whole identifier (normalised as for a lookup), a part
    of an e-mail *domain* (the plain `email_domain` kept beside the sealed e-mail), and a
    whole first, last or full name (compared by its equality tag).
    """
    personal = personal_data(con)
    if not personal.enabled:
        return _search_plain(con, fragment, limit)
    return _search_sealed(con, personal, fragment.strip(), limit)


def _search_plain(
    con: duckdb.DuckDBPyConnection, fragment: str, limit: int
) -> list[dict[str, Any]]:
    pattern = "%" + fragment.strip().replace("%", "").replace("_", r"\_") + "%"
    rows = con.execute(
        "WITH hits AS ("
        "  SELECT profile_id, identifier_type AS field, identifier_value AS value"
        "  FROM identity_links WHERE identifier_value ILIKE $p ESCAPE '\\'"
        "  UNION ALL"
        "  SELECT l.profile_id, 'name', r.traits ->> k.key"
        "  FROM source_records r, json_each(r.identifiers) j,"
        "       (SELECT unnest(['name', 'first_name', 'last_name', 'full_name']) AS key) k,"
        "       identity_links l"
        "  WHERE r.traits ->> k.key ILIKE $p ESCAPE '\\'"
        "    AND l.identifier_type = j.key AND l.identifier_value = j.value ->> '$'"
        ")"
        " SELECT profile_id, list(DISTINCT field || ': ' || value ORDER BY field || ': ' || value)"
        " FROM hits GROUP BY profile_id ORDER BY profile_id LIMIT $limit",
        {"p": pattern, "limit": limit},
    ).fetchall()
    return [{"profile_id": pid, "matches": list(matches)} for pid, matches in rows]


def _search_sealed(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, fragment: str, limit: int
) -> list[dict[str, Any]]:
    if not fragment:
        return []
    hits: dict[str, set[str]] = {}
    for kind, plain, profile_id in _linked(con, fragment, personal):
        hits.setdefault(profile_id, set()).add(f"{kind}: {plain}")
    pattern = "%" + fragment.lstrip("@").replace("%", "").replace("_", r"\_") + "%"
    domains = con.execute(
        "SELECT DISTINCT l.profile_id, v.token FROM identity_links l"
        " JOIN identifier_values v ON v.identifier = 'email:' || l.identifier_value"
        " WHERE l.identifier_type = 'email' AND l.profile_id IN ("
        "   SELECT profile_id FROM profiles WHERE traits ->> 'email_domain' ILIKE $p ESCAPE '\\'"
        "   UNION SELECT l2.profile_id FROM source_records r, json_each(r.identifiers) j,"
        "     identity_links l2 WHERE r.traits ->> 'email_domain' ILIKE $p ESCAPE '\\'"
        "     AND l2.identifier_type = j.key AND l2.identifier_value = j.value ->> '$')",
        {"p": pattern},
    ).fetchall()
    personal.warm(token for _, token in domains)
    needle = fragment.casefold()
    for profile_id, token in domains:
        address = personal.open(token)
        # only the addresses whose own text holds the fragment, as the plain search shows
        if isinstance(address, str) and needle in address.rpartition("@")[2].casefold():
            hits.setdefault(str(profile_id), set()).add(f"email: {address}")
    for profile_id, value in _names(con, personal, fragment):
        hits.setdefault(profile_id, set()).add(f"name: {value}")
    return [{"profile_id": pid, "matches": sorted(hits[pid])} for pid in sorted(hits)[:limit]]


def _names(
    con: duckdb.DuckDBPyConnection, personal: PersonalData, fragment: str
) -> Iterable[tuple[str, str]]:
    """(profile_id, name) of imported records with a whole name equal to `fragment`."""
    tags = {personal.tag(key, fragment): key for key in _NAME_KEYS}
    rows = con.execute(
        "SELECT DISTINCT l.profile_id, r.traits ->> k.key"
        " FROM source_records r, json_each(r.identifiers) j,"
        "      (SELECT unnest($keys) AS key) k, identity_links l"
        " WHERE split_part(r.traits ->> k.key, '.', 2) IN (SELECT unnest($tags))"
        "   AND l.identifier_type = j.key AND l.identifier_value = j.value ->> '$'",
        {"keys": list(_NAME_KEYS), "tags": sorted(tags)},
    ).fetchall()
    personal.warm(token for _, token in rows)
    for profile_id, token in rows:
        yield str(profile_id), str(personal.open(token))


def exact_profiles(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """The profile a whole identifier names (as `find_profile_id`), in the shape of search
    hits: for callers who may not search by fragment, since a fragment search answers
    questions about values they see masked."""
    profile_id = find_profile_id(con, text)
    if profile_id is None:
        return []
    kind, value = split_identifier(text.strip())
    if value.startswith("prof_") and kind is None:
        return [{"profile_id": profile_id, "matches": []}]
    matches = sorted({f"{t}: {plain}" for t, plain, pid in _linked(con, text) if pid == profile_id})
    return [{"profile_id": profile_id, "matches": matches}]
