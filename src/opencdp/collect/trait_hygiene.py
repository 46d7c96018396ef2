"""The hygiene rules imports use, applied to the personal traits of collected messages.

`identify` traits and `context.traits` carry the e-mail, phone and birthday that identity
resolution keys on, so they get the same normalisers as imported columns. A fixed value
replaces the original in the stored traits and the original is kept in the event's `fixes`
(the shape import records use, which the quality report reads). A refused value (a
placeholder such as test@test.com, an impossible birth date) is taken out of the traits, so
it can never glue profiles together, and kept in `fixes` with the reason. The message itself
stays valid and is stored.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from opencdp.hygiene import HygieneOptions, normalize_value

# Segment's reserved trait names (and common snake_case spellings) → hygiene kind.
TRAIT_KINDS: dict[str, str] = {
    "email": "email", "phone": "phone", "mobile": "phone",
    "birthday": "birth_date", "birth_date": "birth_date", "birthDate": "birth_date",
    "firstName": "name", "first_name": "name", "lastName": "name", "last_name": "name",
    "name": "name", "gender": "gender",
}  # fmt: skip
Fixes = dict[str, dict[str, Any]]


@lru_cache(maxsize=64)
def options_for(region: str | None) -> HygieneOptions:
    return HygieneOptions(default_region=region)


def region_of(context: dict[str, Any] | None, default: str | None) -> str | None:
    """The phone region: the source's default, else the country of `context.locale`."""
    if default:
        return default
    locale = context.get("locale") if context else None
    if isinstance(locale, str) and len(locale) >= 5 and locale[2] in "-_":
        return locale[3:5].upper()
    return None


def _json_ready(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def clean_traits(
    traits: dict[str, Any], options: HygieneOptions, prefix: str = "traits"
) -> tuple[dict[str, Any], Fixes]:
    """Cleaned traits and the fixes made, keyed like `traits.email`."""
    if not any(key in traits for key in TRAIT_KINDS):
        return traits, {}
    cleaned = dict(traits)
    fixes: Fixes = {}
    for key, kind in TRAIT_KINDS.items():
        raw = traits.get(key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        result = normalize_value(kind, raw, options=options)
        if result.value is None:
            del cleaned[key]
            problem = result.problem or "unusable value"
            fixes[f"{prefix}.{key}"] = {"original": raw, "problem": problem}
            continue
        value = _json_ready(result.value)
        if value != raw:
            cleaned[key] = value
            fixes[f"{prefix}.{key}"] = {"original": raw, "cleaned": value}
    return cleaned, fixes


def clean_message_traits(
    kind: str, traits: dict[str, Any] | None, context: dict[str, Any], region: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any], Fixes]:
    """A message's traits and context with personal traits cleaned, and the fixes made.

    `identify` traits describe the person; `group` traits describe a company, so only
    `context.traits` of other types are personal.
    """
    context_traits = context.get("traits")
    personal = traits if kind == "identify" else None
    if not personal and not (isinstance(context_traits, dict) and context_traits):
        return traits, context, {}
    options = options_for(region_of(context, region))
    fixes: Fixes = {}
    if personal:
        traits, fixes = clean_traits(personal, options)
    if isinstance(context_traits, dict) and context_traits:
        cleaned, context_fixes = clean_traits(context_traits, options, "context.traits")
        if context_fixes:
            context = {**context, "traits": cleaned}
            fixes.update(context_fixes)
    return traits, context, fixes
