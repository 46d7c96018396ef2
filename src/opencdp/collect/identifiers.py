"""The identifiers a collected message carries, extracted once at ingestion.

Identity resolution replays every event; finding the identifiers then would mean parsing each
event's JSON again. Here the message is already parsed (and its traits cleaned), so the
identifiers are listed as `type:value` strings in the event's `identifiers` column for a few
dictionary lookups.
"""

from __future__ import annotations

from typing import Any

_TRAIT_IDENTIFIERS = (("email", "email"), ("phone", "phone"))


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def message_identifiers(
    kind: str,
    user_id: str | None,
    anonymous_id: str | None,
    previous_id: str | None,
    traits: dict[str, Any] | None,
    context: dict[str, Any],
) -> list[str] | None:
    """`type:value` of every identifier in the message, or None when it has none."""
    found: list[str] = []
    if user_id is not None:
        found.append("user_id:" + user_id)
    if anonymous_id is not None:
        found.append("anonymous_id:" + anonymous_id)
    if previous_id is not None:  # alias: the earlier (usually anonymous) id
        found.append("anonymous_id:" + previous_id)
    sources = [traits] if kind == "identify" and traits else []
    context_traits = context.get("traits")
    if isinstance(context_traits, dict) and context_traits:
        sources.append(context_traits)
    for source in sources:
        for key, identifier_type in _TRAIT_IDENTIFIERS:
            value = _text(source.get(key))
            if value is not None:
                found.append(f"{identifier_type}:{value}")
    device = context.get("device")
    if isinstance(device, dict):
        device_id = _text(device.get("id"))
        if device_id is not None:
            found.append("device_id:" + device_id)
    external = context.get("externalIds")
    if isinstance(external, list):
        for entry in external:
            if isinstance(entry, dict):
                value = _text(entry.get("id"))
                if value is not None:
                    kind = (_text(entry.get("type")) or "external_id").replace(":", "_")
                    found.append(f"{kind}:{value}")
    return list(dict.fromkeys(found)) or None
