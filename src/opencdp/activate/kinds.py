"""The kinds of destination, the configuration each needs, and the traits each sends.

Validation happens once, when a destination is created, so a sync never discovers a typo.
Ad-platform and email-list kinds send a fixed set of traits in the shape the platform
imports, and must declare the purpose their use needs (advertising, email marketing).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from opencdp.activate.errors import InvalidDestination

KINDS = ("webhook", "file", "database", "google_customer_match", "meta_custom_audience",
         "email_list")  # fmt: skip
FILE_FORMATS = ("csv", "jsonl", "parquet")
AD_TRAITS = ("email", "phone", "first_name", "last_name", "country", "postcode", "zip")
EMAIL_LIST_TRAITS = ("email", "first_name", "last_name")
# Kinds whose use is itself a purpose: an ad audience is advertising whatever it is called.
REQUIRED_PURPOSE = {
    "google_customer_match": "advertising",
    "meta_custom_audience": "advertising",
    "email_list": "email_marketing",
}
TRAIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")
REGION = re.compile("[A-Za-z]{2}")
SECRET_KEYS = ("secret", "password")

WEBHOOK_DEFAULTS: dict[str, Any] = {
    "batch_size": 500, "max_attempts": 5, "backoff_seconds": 1.0, "timeout_seconds": 10.0,
    "max_retry_after_seconds": 300.0,
}  # fmt: skip


def validate_config(kind: str, purpose: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config to store for `kind` (defaults filled in); InvalidDestination says why not."""
    if kind not in KINDS:
        raise InvalidDestination(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if not isinstance(config, dict):
        raise InvalidDestination("config must be an object")
    needed = REQUIRED_PURPOSE.get(kind)
    if needed is not None and purpose != needed:
        raise InvalidDestination(f"a {kind} destination must declare purpose {needed!r}")
    cleaned = dict(config)
    if kind in ("webhook", "file", "database"):
        cleaned["traits"] = _traits(config.get("traits", []))
    if kind == "webhook":
        return _webhook(cleaned)
    if kind == "database":
        return _database(cleaned)
    _folder(cleaned)
    if kind == "file":
        if cleaned.get("format") not in FILE_FORMATS:
            raise InvalidDestination(f"format must be one of {', '.join(FILE_FORMATS)}")
    elif kind == "email_list":
        cleaned["tags"] = _strings(config.get("tags", []), "tags")
    else:
        region = config.get("default_region")
        if region is not None and not (isinstance(region, str) and REGION.fullmatch(region)):
            raise InvalidDestination("default_region must be a two-letter country code")
    return cleaned


def sent_traits(kind: str, config: dict[str, Any]) -> list[str]:
    """The profile traits a destination of `kind` sends (email and phone fall back to
    identifiers)."""
    if kind in ("google_customer_match", "meta_custom_audience"):
        return list(AD_TRAITS)
    if kind == "email_list":
        return list(EMAIL_LIST_TRAITS)
    return list(config.get("traits", []))


def public_config(config: dict[str, Any]) -> dict[str, Any]:
    """`config` without secrets: signing keys and database passwords are masked."""
    shown = dict(config)
    for key in SECRET_KEYS:
        if key in shown:
            shown[key] = "***"
    url = shown.get("url")
    if isinstance(url, str):
        parsed = urlparse(url)
        if parsed.password:
            shown["url"] = url.replace(f":{parsed.password}@", ":***@", 1)
    return shown


def _traits(value: Any) -> list[str]:
    names = _strings(value, "traits")
    for name in names:
        if not TRAIT_NAME.match(name):
            raise InvalidDestination(f"trait name {name!r} must be letters, digits and _")
    if len(set(names)) != len(names):
        raise InvalidDestination("traits must not repeat")
    if "profile_id" in names:
        raise InvalidDestination("profile_id is always sent; do not list it as a trait")
    return names


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidDestination(f"{field} must be a list of non-empty strings")
    return list(value)


def _webhook(config: dict[str, Any]) -> dict[str, Any]:
    url = config.get("url")
    if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
        raise InvalidDestination("url must be an http(s) URL")
    secret = config.get("secret")
    if not isinstance(secret, str) or len(secret) < 16:
        raise InvalidDestination("secret must be a string of at least 16 characters")
    merged = {**WEBHOOK_DEFAULTS, **config}
    limits = {"batch_size": (1, 10_000), "max_attempts": (1, 20), "backoff_seconds": (0, 600),
              "timeout_seconds": (0.1, 600), "max_retry_after_seconds": (0, 3600)}  # fmt: skip
    for key, (low, high) in limits.items():
        value = merged[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise InvalidDestination(f"{key} must be a number from {low} to {high}")
    merged["batch_size"] = int(merged["batch_size"])
    merged["max_attempts"] = int(merged["max_attempts"])
    return merged


def _database(config: dict[str, Any]) -> dict[str, Any]:
    url = config.get("url")
    scheme = urlparse(url).scheme.split("+")[0] if isinstance(url, str) else ""
    if scheme not in ("postgres", "postgresql", "mysql", "mariadb"):
        raise InvalidDestination("url must be a postgresql:// or mysql:// URL")
    table = config.get("table")
    if not isinstance(table, str) or not TABLE_NAME.match(table):
        raise InvalidDestination("table must be a name (letters, digits, _; optional schema.)")
    if "synced_at" in config["traits"]:
        raise InvalidDestination("synced_at is a column the sync writes; rename the trait")
    return config


def _folder(config: dict[str, Any]) -> None:
    path = config.get("path")
    if not isinstance(path, str) or not path.strip():
        raise InvalidDestination("path must name the folder files are written to")
